import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Embedder } from '../../src/core/embed/embedder';

/**
 * Real local HTTP servers (node:http on 127.0.0.1, a free port) that speak the protocols external retrievers and
 * embedding APIs use, each backed by a real ranking or model so what they answer can be checked independently.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Reply = { status?: number; headers?: Record<string, string>; body: unknown; delayMs?: number } | 'hang';

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  /** Most requests that were in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startJsonServer(handle: (req: RecordedRequest) => Reply | Promise<Reply>): Promise<TestServer> {
  let inFlight = 0;
  const state: TestServer = { url: '', requests: [], maxInFlight: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      const r: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      state.requests.push(r);
      void Promise.resolve(handle(r)).then(async (reply) => {
        if (reply === 'hang') {
          res.on('close', () => inFlight--);
          return;
        }
        if (reply.delayMs) await new Promise((ok) => setTimeout(ok, reply.delayMs));
        inFlight--;
        const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(body);
      });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return state;
}

/**
 * The OpenAI `POST /v1/embeddings` protocol backed by a real embedding model: `{model, input}` (a string or a list)
 * → `{object: "list", data: [{object: "embedding", index, embedding}], model, usage: {prompt_tokens, total_tokens}}`,
 * tokens counted with the model's own tokenizer. `failures` are answered first, one per request (e.g. 429, 503).
 */
export async function startEmbeddingsServer(model: Embedder, options: { failures?: Array<{ status: number; retryAfter?: string }>; apiKey?: string } = {}): Promise<TestServer & { failuresLeft: () => number }> {
  const failures = [...(options.failures ?? [])];
  const s = await startJsonServer(async (req): Promise<Reply> => {
    if (req.method !== 'POST' || !req.url.startsWith('/v1/embeddings')) return { status: 404, body: { error: { message: `no route ${req.method} ${req.url}` } } };
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } };
    const f = failures.shift();
    if (f) return { status: f.status, headers: f.retryAfter === undefined ? undefined : { 'retry-after': f.retryAfter }, body: { error: { message: f.status === 429 ? 'Rate limit reached' : 'The server is overloaded', type: 'server_error' } } };
    const body = JSON.parse(req.body) as { model: string; input: string | string[] };
    const input = Array.isArray(body.input) ? body.input : [body.input];
    const vectors = await model.embed(input);
    const tokens = input.reduce((n, t) => n + model.countTokens(t), 0);
    return {
      body: {
        object: 'list',
        data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: Array.from(v) })),
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      },
    };
  });
  return Object.assign(s, { failuresLeft: () => failures.length });
}
