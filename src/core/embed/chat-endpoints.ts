import { checkOpenAIEndpointFields, type ConfigProblem } from './endpoint-config';

/**
 * `retrievalLens.chatEndpoints`: OpenAI-compatible `POST /v1/chat/completions` services (OpenAI, Azure OpenAI,
 * Ollama, vLLM, LM Studio) that the LLM judge asks. The same rules as embeddingEndpoints: the key comes from a
 * secret (`apiKeySecret`: an environment variable for the CLI, secret storage in the editor), never from settings;
 * the setting is restricted (an untrusted workspace's value is ignored, see workspace-trust.ts), because such an
 * endpoint receives document text.
 */
export interface ChatEndpointConfig {
  type: 'openai';
  /** The chat-completions URL (`…/v1/chat/completions`) or its base (`…/v1`); a query string (Azure's api-version) is kept. */
  url: string;
  model: string;
  /** Secret holding the API key, sent as `Authorization: Bearer …` (or in `apiKeyHeader`, e.g. Azure's `api-key`). */
  apiKeySecret?: string;
  apiKeyHeader?: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per request (default 60,000 ms: a chat answer is slower than an embedding). */
  timeoutMs?: number;
  /** Retries of a 429, 5xx, dropped connection or timeout (default 5). */
  maxRetries?: number;
  /** Sampling temperature sent with each request (default 0: the judge should answer the same twice). */
  temperature?: number;
  /** max_tokens sent with each request (default: not sent, the service's own). */
  maxTokens?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks `retrievalLens.chatEndpoints`: each problem at its JSON path below the setting, so the line can be named. */
export function validateChatEndpoints(value: unknown): { endpoints: Record<string, ChatEndpointConfig>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (!isObject(value)) return { endpoints: {}, problems: [{ path: [], problem: 'must be an object mapping an endpoint name to its settings' }] };
  const out: Record<string, ChatEndpointConfig> = {};
  for (const [name, c] of Object.entries(value)) {
    const before = problems.length;
    if (!isObject(c)) {
      problems.push({ path: [name], problem: 'must be an object with "url" and "model"' });
      continue;
    }
    checkOpenAIEndpointFields(name, c, problems, '/v1/chat/completions', ['maxTokens']);
    if (c.temperature !== undefined && !(typeof c.temperature === 'number' && c.temperature >= 0 && c.temperature <= 2)) problems.push({ path: [name, 'temperature'], problem: 'must be a number within [0, 2]' });
    if (problems.length === before) out[name] = { type: 'openai', ...c } as ChatEndpointConfig;
  }
  return { endpoints: out, problems };
}

/** `…/v1` → `…/v1/chat/completions`; a URL already ending in /chat/completions is kept, and so is a query string. */
export function chatCompletionsUrl(url: string): string {
  const u = new URL(url);
  const p = u.pathname.replace(/\/+$/, '');
  u.pathname = /\/chat\/completions$/.test(p) ? p : `${p}/chat/completions`;
  return u.toString();
}

/** Where requests go, for the confirmation and logs: host and path, never a query string (it may carry a key). */
export function chatDestination(config: ChatEndpointConfig): string {
  const u = new URL(chatCompletionsUrl(config.url));
  return `${u.protocol}//${u.host}${u.pathname}`;
}
