import { approximateTokenCounter } from '../chunking/approximate-token-counter';
import type { SecretSource } from '../io/secret-source';
import { chatCompletionsUrl, chatDestination, type ChatEndpointConfig } from './chat-endpoints';
import { clientPostOptions, EndpointResponseError, postJsonWithRetries, readEndpointKey } from './endpoint-request';

/**
 * A chat model behind the OpenAI-compatible `POST /v1/chat/completions` protocol (OpenAI, Azure OpenAI, Ollama,
 * vLLM, LM Studio): `{model, messages, temperature}` → `{choices: [{message: {content}}], usage: {prompt_tokens,
 * completion_tokens, total_tokens}}`. Retries (429, 5xx, timeouts, dropped connections, honouring Retry-After) are
 * endpoint-request.ts's, the embedder's own; the usage the service reports is totalled here.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ChatAnswer {
  content: string;
  usage: ChatUsage;
}

export const emptyUsage = (): ChatUsage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });

export function addUsage(into: ChatUsage, u: ChatUsage): void {
  into.promptTokens += u.promptTokens;
  into.completionTokens += u.completionTokens;
  into.totalTokens += u.totalTokens;
}

export interface ChatClientDeps {
  fetch?: typeof fetch;
  baseDelayMs?: number;
}

export class ChatClient {
  /** Totals of the usage the service reported, over every answer of this client. */
  readonly usage: ChatUsage = emptyUsage();
  requests = 0;
  retries = 0;
  readonly url: string;
  /** Host and path requests go to (no query string), for confirmations and logs. */
  readonly destination: string;

  private constructor(
    readonly name: string,
    readonly config: ChatEndpointConfig,
    private readonly apiKey: string | undefined,
    private readonly deps: ChatClientDeps,
  ) {
    this.url = chatCompletionsUrl(config.url);
    this.destination = chatDestination(config);
  }

  /** Reads the key (when `apiKeySecret` names one); nothing is sent until `complete`. */
  static async create(name: string, config: ChatEndpointConfig, secrets: SecretSource, deps: ChatClientDeps = {}): Promise<ChatClient> {
    return new ChatClient(name, config, await readEndpointKey(`chat endpoint "${name}"`, config, secrets), deps);
  }

  /** Requests in flight at once for this endpoint (the setting's concurrency, default 4). */
  get concurrency(): number {
    return this.config.concurrency ?? 4;
  }

  /** One completion; retried as endpoint-request.ts says. A reply without a message content is an error, never an empty answer. */
  async complete(messages: ChatMessage[], signal?: AbortSignal): Promise<ChatAnswer> {
    const where = `chat endpoint "${this.name}" (${this.destination})`;
    const body: Record<string, unknown> = { model: this.config.model, messages, temperature: this.config.temperature ?? 0 };
    if (this.config.maxTokens) body.max_tokens = this.config.maxTokens;
    const answer = await postJsonWithRetries(this.url, body, clientPostOptions(where, this.config, this.apiKey, this.deps, this, { timeoutMs: 60_000 }, signal), (text) => parseChatResponse(text, where));
    addUsage(this.usage, answer.usage);
    return answer;
  }
}

/** The first choice's message content and the usage; a reply of another shape is an EndpointResponseError naming what is wrong. */
export function parseChatResponse(text: string, where: string): ChatAnswer {
  let json: { choices?: Array<{ message?: { content?: unknown } }>; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown } };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (e) {
    throw new EndpointResponseError(`${where}: response: malformed JSON: ${e instanceof Error ? e.message : e}`);
  }
  const content = Array.isArray(json?.choices) ? json.choices[0]?.message?.content : undefined;
  if (typeof content !== 'string') throw new EndpointResponseError(`${where}: response: choices[0].message.content must be a string`);
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  const promptTokens = n(json.usage?.prompt_tokens);
  const completionTokens = n(json.usage?.completion_tokens);
  return { content, usage: { promptTokens, completionTokens, totalTokens: n(json.usage?.total_tokens) || promptTokens + completionTokens } };
}

/** Tokens of the messages as sent (an estimate: the service's tokenizer is not known here), plus a few per message for the chat format. */
export function estimatePromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((s, m) => s + approximateTokenCounter.count(m.content) + 4, 2);
}

/**
 * Runs `task` over `items` with at most `concurrency` in flight, results in input order. Cancelling `signal` stops
 * new tasks (the ones in flight see the signal themselves); the first task that throws stops the rest and is rethrown.
 */
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>, options: { signal?: AbortSignal; onDone?: (done: number, total: number) => void } = {}): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      options.signal?.throwIfAborted();
      const i = next++;
      try {
        out[i] = await task(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
      options.onDone?.(++done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}
