import { startJsonServer, type Reply, type TestServer } from './protocol-servers';

/**
 * A stand-in for an OpenAI-compatible chat-completions service: a real HTTP server on 127.0.0.1 that speaks
 * `POST /v1/chat/completions` (`{model, messages}` → `{id, object: "chat.completion", model, choices: [{index,
 * message: {role: "assistant", content}, finish_reason}], usage: {prompt_tokens, completion_tokens, total_tokens}}`)
 * and errors as OpenAI sends them (`{error: {message, type}}`). What it answers is the test's `answer(query,
 * passage)`, read from the judge prompt's user message ("Query: …\n\nPassage:\n…"), so every answer is
 * deterministic and the test knows it. Scripted trouble: `failures` are answered first, one per request (429 with
 * Retry-After, 503); `hangFirst` requests get no answer at all (past any timeout). Token usage is counted as a
 * whitespace-word count of what was sent and answered, so totals can be checked exactly.
 */
export interface ChatStandInOptions {
  answer: (query: string, passage: string) => string;
  /**
   * For prompts other than the judge's (the query generator's): the answer to the request's messages, or undefined
   * to fall back on `answer`. Deterministic like `answer`.
   */
  reply?: (messages: Array<{ role: string; content: string }>) => string | undefined;
  failures?: Array<{ status: number; retryAfter?: string }>;
  hangFirst?: number;
  apiKey?: string;
  /** Milliseconds before each answer (to see concurrency). */
  delayMs?: number;
}

export interface ChatStandIn extends TestServer {
  /** Tokens reported in every successful answer's usage, summed. */
  reported: { prompt: number; completion: number };
  /** Successful answers given. */
  answered: number;
}

export const words = (t: string) => t.split(/\s+/).filter(Boolean).length;

export async function chatCompletionsStandIn(options: ChatStandInOptions): Promise<ChatStandIn> {
  const failures = [...(options.failures ?? [])];
  let hang = options.hangFirst ?? 0;
  const reported = { prompt: 0, completion: 0 };
  const state = { answered: 0 };
  const s = await startJsonServer((req): Reply => {
    if (req.method !== 'POST' || !req.url.startsWith('/v1/chat/completions')) return { status: 404, body: { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } } };
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } };
    if (hang > 0) {
      hang--;
      return 'hang';
    }
    const f = failures.shift();
    if (f) return { status: f.status, headers: f.retryAfter === undefined ? undefined : { 'retry-after': f.retryAfter }, body: { error: { message: f.status === 429 ? 'Rate limit reached for requests' : 'The server is overloaded', type: f.status === 429 ? 'requests' : 'server_error' } } };
    const body = JSON.parse(req.body) as { model?: unknown; messages?: Array<{ role: string; content: string }> };
    if (typeof body.model !== 'string' || !Array.isArray(body.messages)) return { status: 400, body: { error: { message: "'model' and 'messages' are required", type: 'invalid_request_error' } } };
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const m = /^Query: ([\s\S]*?)\n\nPassage:\n([\s\S]*)$/.exec(user);
    const content = options.reply?.(body.messages) ?? (m ? options.answer(m[1], m[2]) : 'I cannot tell.');
    const prompt = body.messages.reduce((n, x) => n + words(x.content), 0);
    const completion = words(content);
    reported.prompt += prompt;
    reported.completion += completion;
    state.answered++;
    return {
      delayMs: options.delayMs,
      body: {
        id: `chatcmpl-${state.answered}`,
        object: 'chat.completion',
        created: 1_700_000_000,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      },
    };
  });
  return Object.assign(s, { reported, get answered() { return state.answered; } });
}
