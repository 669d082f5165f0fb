import type { SecretSource } from '../io/secret-source';

/**
 * What every OpenAI-compatible endpoint (embeddings, chat completions) shares: the API key read from a secret, the
 * header it goes in, and one JSON POST retried on 429, 5xx, a dropped connection or a timeout, with exponential
 * backoff (jittered) that honours the service's Retry-After. One copy, so the embedder and the chat client retry
 * alike.
 */

/** The fields of an endpoint setting this module reads. */
export interface EndpointAccess {
  apiKeySecret?: string;
  apiKeyHeader?: string;
  timeoutMs?: number;
  maxRetries?: number;
}

/** The API key named by `apiKeySecret`, or undefined when none is named; a named secret that is not set is an error saying where to set it. */
export async function readEndpointKey(what: string, config: EndpointAccess, secrets: SecretSource): Promise<string | undefined> {
  if (!config.apiKeySecret) return undefined;
  const key = await secrets.get(config.apiKeySecret);
  if (!key) throw new Error(`${what}: secret ${config.apiKeySecret} is not set (${secrets.describe(config.apiKeySecret)})`);
  return key;
}

/** JSON headers plus the key: `Authorization: Bearer …`, or the key alone in another header (Azure's `api-key`). */
export function endpointHeaders(config: EndpointAccess, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) {
    const h = config.apiKeyHeader ?? 'authorization';
    headers[h] = h.toLowerCase() === 'authorization' ? `Bearer ${apiKey}` : apiKey;
  }
  return headers;
}

/** An answer the service gave that is not worth retrying (it would answer the same): thrown through the retry loop. */
export class EndpointResponseError extends Error {}

export interface PostOptions {
  /** Names the endpoint in every error ("embedding endpoint "x" (host/path)"). */
  where: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  /** First backoff (doubled per attempt, jittered ±25 %); default 500 ms. */
  baseDelayMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Called once per request sent, and once per retry decided. */
  onRequest?: () => void;
  onRetry?: (problem: string, delayMs: number) => void;
}

/**
 * The PostOptions of an endpoint client: its headers and key, its configured timeout and retries (or the defaults
 * given), its injected fetch and backoff, and the request and retry counts it keeps (`counts`, updated in place).
 */
export function clientPostOptions(
  where: string,
  config: EndpointAccess,
  apiKey: string | undefined,
  deps: { baseDelayMs?: number; fetch?: typeof fetch },
  counts: { requests: number; retries: number },
  defaults: { timeoutMs: number },
  signal?: AbortSignal,
): PostOptions {
  return {
    where,
    headers: endpointHeaders(config, apiKey),
    timeoutMs: config.timeoutMs ?? defaults.timeoutMs,
    maxRetries: config.maxRetries ?? 5,
    baseDelayMs: deps.baseDelayMs,
    signal,
    fetch: deps.fetch,
    onRequest: () => void counts.requests++,
    onRetry: () => void counts.retries++,
  };
}

/** Longest wait between attempts, whatever Retry-After asks. */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * POSTs `body` and hands the answer's text to `parse` (which may throw EndpointResponseError to stop). 429, 5xx,
 * connection errors and timeouts are retried up to `maxRetries` times; other statuses fail at once. Cancelling
 * `signal` stops at once, also mid-wait.
 */
export async function postJsonWithRetries<T>(url: string, body: unknown, options: PostOptions, parse: (text: string) => T): Promise<T> {
  const { signal, where, timeoutMs, maxRetries } = options;
  const payload = JSON.stringify(body);
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    let status = 0;
    let retryAfter: string | null = null;
    let problem: string;
    try {
      options.onRequest?.();
      const res = await (options.fetch ?? fetch)(url, { method: 'POST', headers: options.headers, body: payload, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      const text = await res.text();
      if (res.ok) return parse(text);
      problem = `HTTP ${res.status}: ${text.slice(0, 200)}`;
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      if (e instanceof EndpointResponseError) throw e;
      problem = timeout.aborted ? `no response within ${timeoutMs} ms` : `request failed: ${(e as { cause?: { code?: string } }).cause?.code ?? (e instanceof Error ? e.message : e)}`;
    }
    const retryable = status === 0 || status === 429 || status >= 500;
    if (!retryable || attempt >= maxRetries) throw new Error(`${where}: ${problem}${retryable ? ` (after ${attempt + 1} attempts)` : ''}`);
    const delay = retryDelay(attempt, retryAfter, options.baseDelayMs ?? 500);
    options.onRetry?.(problem, delay);
    await sleep(delay, signal);
  }
}

/**
 * The wait before retry `attempt` (0-based): Retry-After when the service sent one (seconds, or an HTTP date),
 * else base · 2^attempt jittered ±25 %; at most MAX_RETRY_DELAY_MS.
 */
export function retryDelay(attempt: number, retryAfter: string | null, baseDelayMs: number, now = Date.now()): number {
  let hinted: number | undefined;
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) hinted = seconds * 1000;
    else {
      const at = Date.parse(retryAfter);
      if (Number.isFinite(at)) hinted = Math.max(0, at - now);
    }
  }
  return Math.min(MAX_RETRY_DELAY_MS, hinted ?? baseDelayMs * 2 ** attempt * (0.75 + Math.random() / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}
