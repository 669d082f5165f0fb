import { approximateTokenCounter } from '../chunking/approximate-token-counter';
import type { SecretSource } from '../io/secret-source';
import { clientPostOptions, EndpointResponseError, postJsonWithRetries, readEndpointKey } from './endpoint-request';
import { cutToChars, normalizeInPlace } from './vector-math';

/**
 * The characters of an input sent to the service: 24,000, about 6,000 tokens of English at 4 characters a token,
 * within OpenAI's 8,191-token limit for its embedding models (a service with a smaller window truncates or refuses on
 * its own). A 1 MB chunk (whole-document) would otherwise be a request the service refuses, or a bill.
 */
export const OPENAI_MAX_INPUT_CHARS = 24_000;
import type { EmbedOptions, Embedder, ModelInfo } from './embedder';
import type { EmbeddingEndpointConfig } from './endpoint-config';

/**
 * An embedding model behind the OpenAI-compatible `POST /v1/embeddings` protocol (OpenAI, Azure OpenAI, Ollama,
 * vLLM, TEI, LM Studio): `{model, input: [...]}` → `{data: [{index, embedding}], usage: {prompt_tokens}}`. Inputs
 * go in batches, a few batches at once; 429 and 5xx answers (and dropped connections) are retried with
 * exponential backoff, honouring Retry-After. `tokensUsed` adds up the usage the service reports, for the
 * re-embedding cost line.
 */
export class OpenAIEmbedder implements Embedder {
  readonly info: ModelInfo;
  tokensUsed = 0;
  requests = 0;
  retries = 0;
  private readonly url: string;

  private constructor(
    readonly name: string,
    readonly config: EmbeddingEndpointConfig,
    private readonly apiKey: string | undefined,
    dims: number,
    private readonly deps: { fetch?: typeof fetch; baseDelayMs?: number },
  ) {
    this.url = embeddingsUrl(config.url);
    const u = new URL(this.url);
    this.info = { id: config.model, provider: 'openai-compatible', revision: `${u.host}${u.pathname}`, dtype: 'api', dims, maxTokens: 0 };
  }

  /** Reads the API key (when named) and learns the dimension from one request when `dims` is not configured. */
  static async create(name: string, config: EmbeddingEndpointConfig, secrets: SecretSource, deps: { fetch?: typeof fetch; baseDelayMs?: number } = {}): Promise<OpenAIEmbedder> {
    const key = await readEndpointKey(`embedding endpoint "${name}"`, config, secrets);
    const e = new OpenAIEmbedder(name, config, key, config.dims ?? 0, deps);
    if (config.dims) return e;
    const [v] = await e.request(['dimension probe']);
    const sized = new OpenAIEmbedder(name, config, key, v.length, deps);
    sized.tokensUsed = e.tokensUsed;
    sized.requests = e.requests;
    return sized;
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const size = this.config.batchSize ?? 64;
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += size) batches.push(texts.slice(i, i + size).map((t) => cutToChars(t, OPENAI_MAX_INPUT_CHARS)));
    const out: Float32Array[][] = new Array(batches.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < batches.length) {
        options.signal?.throwIfAborted();
        const b = next++;
        out[b] = await this.request(batches[b], options.signal);
        done += batches[b].length;
        options.onProgress?.(done, texts.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency ?? 4, batches.length) }, worker));
    return out.flat();
  }

  /** One batch, retried on 429 / 5xx / connection errors (see endpoint-request.ts); vectors in input order, unit length. */
  private async request(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const where = `embedding endpoint "${this.name}" (${this.info.revision})`;
    return postJsonWithRetries(this.url, { model: this.config.model, input, encoding_format: 'float' }, clientPostOptions(where, this.config, this.apiKey, this.deps, this, { timeoutMs: 30_000 }, signal), (text) => this.parse(text, input.length, where));
  }

  private parse(text: string, n: number, where: string): Float32Array[] {
    let json: { data?: Array<{ index?: number; embedding?: unknown }>; usage?: { prompt_tokens?: number; total_tokens?: number } };
    try {
      json = JSON.parse(text) as typeof json;
    } catch (e) {
      throw new EndpointResponseError(`${where}: response: malformed JSON: ${e instanceof Error ? e.message : e}`);
    }
    if (!Array.isArray(json.data) || json.data.length !== n) throw new EndpointResponseError(`${where}: response: data must be an array of ${n} embeddings, got ${Array.isArray(json.data) ? json.data.length : typeof json.data}`);
    this.tokensUsed += json.usage?.prompt_tokens ?? json.usage?.total_tokens ?? 0;
    const out: Float32Array[] = new Array(n);
    json.data.forEach((d, i) => {
      const at = typeof d.index === 'number' ? d.index : i;
      if (!Array.isArray(d.embedding) || !d.embedding.every((x) => typeof x === 'number')) throw new EndpointResponseError(`${where}: response: data[${i}].embedding must be an array of numbers (encoding_format float)`);
      if (this.info.dims && d.embedding.length !== this.info.dims) throw new EndpointResponseError(`${where}: response: data[${i}].embedding has ${d.embedding.length} dimensions, expected ${this.info.dims}`);
      out[at] = normalizeInPlace(Float32Array.from(d.embedding as number[]));
    });
    return out;
  }

  /** An estimate (the service's tokenizer is not known here); tokensUsed has the service's own count. */
  countTokens(text: string): number {
    return approximateTokenCounter.count(text);
  }

  async dispose(): Promise<void> {}
}

/** `…/v1` → `…/v1/embeddings`; a URL already ending in /embeddings is kept, and so is a query string (Azure's api-version). */
export function embeddingsUrl(url: string): string {
  const u = new URL(url);
  const p = u.pathname.replace(/\/+$/, '');
  u.pathname = /\/embeddings$/.test(p) ? p : `${p}/embeddings`;
  return u.toString();
}
