/**
 * The transport every webview shares: the wire format, the messenger for either side, and the parameter checks a
 * webview's messages are held to. Each webview's own messages live in a file of their own beside this one
 * (inspector.ts, neighbourhood.ts, baseline.ts, readiness.ts), as GitLens keeps one protocol per webview: each
 * direction is a record `{ method: [Params, Result] }`; a Result of `void` marks a notification. Adding a message is
 * one line in its webview's file; both sides fail the type-check when a field is renamed.
 */
/**
 * Parameter checks for every webview → host method, against the types above (the mapped type makes the compiler
 * require one per method). A webview renders documents from workspaces nobody vetted; if one ever ran script, the
 * host still accepts only well-formed calls. Each returns the problem, or undefined when the params are valid.
 */
export type Check = (p: Record<string, unknown>) => string | undefined;
export const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
export const isStr = (v: unknown, max = 10_000) => typeof v === 'string' && v.length <= max;
export const optStr = (v: unknown, max = 10_000) => v === undefined || isStr(v, max);
export const strList = (v: unknown) => Array.isArray(v) && v.length <= 100 && v.every((x) => isStr(x, 1000));
export const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
export const span = (p: Record<string, unknown>, strict: boolean): string | undefined =>
  !isStr(p.docId, 4096) || !p.docId ? 'docId must be a non-empty string' : !isInt(p.start) || !isInt(p.end) || (p.end as number) < (p.start as number) || (strict && p.end === p.start) ? `start/end must be whole numbers with start ${strict ? '<' : '<='} end` : undefined;

export type Method<D> = keyof D & string;
export type ParamsOf<D, M extends keyof D> = D[M] extends [infer P, unknown] ? P : never;
export type ResultOf<D, M extends keyof D> = D[M] extends [unknown, infer R] ? R : never;

/** The wire format. `id` present = request expecting a reply; absent = notification. */
export type WireMessage =
  | { kind: 'request'; id: number; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: number; result?: unknown; error?: string };

export function isWireMessage(m: unknown): m is WireMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  switch (o.kind) {
    case 'request':
      return typeof o.id === 'number' && typeof o.method === 'string';
    case 'notification':
      return typeof o.method === 'string';
    case 'response':
      return typeof o.id === 'number' && (o.error === undefined || typeof o.error === 'string');
    default:
      return false;
  }
}

type Handler<D, M extends keyof D> = (params: ParamsOf<D, M>) => Promise<ResultOf<D, M>> | ResultOf<D, M>;

/**
 * A messenger for one side: `Incoming` is what the other side sends us, `Outgoing` what we send.
 * `post` is the transport (webview.postMessage or vscodeApi.postMessage); feed received messages to `receive`.
 */
export class Messenger<Incoming, Outgoing> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<string, (params: unknown) => unknown>();

  constructor(
    private readonly post: (message: WireMessage) => void,
    private readonly onError: (message: string) => void = () => undefined,
    /** Parameter checks per incoming method (e.g. WEBVIEW_TO_HOST_CHECKS): a failing message is dropped and logged. */
    private readonly checks?: { [method: string]: ((params: Record<string, unknown>) => string | undefined) | undefined },
  ) {}

  on<M extends Method<Incoming>>(method: M, handler: Handler<Incoming, M>): void {
    this.handlers.set(method, handler as (params: unknown) => unknown);
  }

  request<M extends Method<Outgoing>>(method: M, params: ParamsOf<Outgoing, M>): Promise<ResultOf<Outgoing, M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ kind: 'request', id, method, params });
    });
  }

  notify<M extends Method<Outgoing>>(method: M, params: ParamsOf<Outgoing, M>): void {
    this.post({ kind: 'notification', method, params });
  }

  /** Validates the envelope; unknown or malformed messages are reported and dropped, never thrown. */
  async receive(message: unknown): Promise<void> {
    if (!isWireMessage(message)) {
      this.onError(`dropped a malformed message: ${safeJson(message)}`);
      return;
    }
    if (message.kind === 'response') {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) p.reject(new Error(message.error));
      else p.resolve(message.result);
      return;
    }
    const handler = this.handlers.get(message.method);
    if (!handler) {
      this.onError(`no handler for ${message.method}`);
      if (message.kind === 'request') this.post({ kind: 'response', id: message.id, error: `unknown method ${message.method}` });
      return;
    }
    if (typeof message.params !== 'object' || message.params === null) {
      this.onError(`dropped ${message.method}: params must be an object`);
      if (message.kind === 'request') this.post({ kind: 'response', id: message.id, error: `params of ${message.method} must be an object` });
      return;
    }
    if (this.checks) {
      const check = Object.prototype.hasOwnProperty.call(this.checks, message.method) ? this.checks[message.method] : undefined;
      const problem = check ? check(message.params as Record<string, unknown>) : `no parameter check for ${message.method}`;
      if (problem) {
        this.onError(`dropped ${message.method}: ${problem}`);
        if (message.kind === 'request') this.post({ kind: 'response', id: message.id, error: `invalid ${message.method}: ${problem}` });
        return;
      }
    }
    try {
      const result = await handler(message.params);
      if (message.kind === 'request') this.post({ kind: 'response', id: message.id, result });
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      this.onError(`${message.method} failed: ${text}`);
      if (message.kind === 'request') this.post({ kind: 'response', id: message.id, error: text });
    }
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v).slice(0, 200);
  } catch {
    return String(v);
  }
}
