/**
 * The one typed message protocol between the extension host and the webview (GitLens / Continue style).
 * Each direction is a record `{ method: [Params, Result] }`; a Result of `void` marks a notification.
 * Adding a message is one line here; both sides fail the type-check when a field is renamed.
 */
import type { RetrieverName, ScoreExplanation, MetadataFilter, FusionConfig, RankPosition } from './core/retrieve/types';

export interface HostInfo {
  extensionVersion: string;
  vscodeVersion: string;
  activationMs: number;
}

export interface IndexStatus {
  state: 'none' | 'indexing' | 'ready' | 'error';
  documents: number;
  chunks: number;
  model: string | null;
  chunker: string;
  staleFiles: number;
  message?: string;
}

export interface EvalQueryRef {
  id: string;
  text: string;
  split: 'train' | 'eval';
}

export interface ResultRow {
  chunkId: string;
  docId: string;
  start: number;
  end: number;
  headingPath: string[];
  preview: string;
  rank: number;
  score: number;
  explanation: ScoreExplanation;
  /** This chunk's rank in every retriever that ran (null = not retrieved). */
  ranks: Partial<Record<RetrieverName, number | null>>;
  /** Grade of the label overlapping this chunk for the active query, if any. */
  label?: number;
}

export interface MissedSpan {
  docId: string;
  start: number;
  end: number;
  quote: string;
  grade: number;
  /** Best rank of any chunk overlapping the span, per retriever. */
  positions: Partial<Record<RetrieverName, RankPosition>>;
  category?: string;
  evidence?: string;
}

export interface SearchParams {
  query: string;
  queryId?: string;
  k: number;
  retrievers: RetrieverName[];
  filter?: MetadataFilter;
  fusion?: Partial<FusionConfig>;
}

export interface SearchView {
  query: string;
  queryId?: string;
  k: number;
  columns: Partial<Record<RetrieverName, ResultRow[]>>;
  errors: Partial<Record<RetrieverName, string>>;
  missed: MissedSpan[];
  filterRemoved: number;
  /** The fusion the search ran with, fully resolved: engine defaults, then workspace settings, then the request's overrides. */
  fusion: FusionConfig;
  timingsMs: Record<string, number>;
}

export interface InitState {
  host: HostInfo;
  index: IndexStatus;
  evalQueries: EvalQueryRef[];
  activeQueryId?: string;
  retrievers: RetrieverName[];
}

/** Webview → host. */
export interface WebviewToHost {
  ready: [Record<string, never>, InitState];
  search: [SearchParams, SearchView];
  reveal: [{ docId: string; start: number; end: number }, void];
  label: [{ queryId?: string; queryText: string; docId: string; start: number; end: number; grade: number }, { queryId: string }];
  buildIndex: [Record<string, never>, void];
}

/** Host → webview. */
export interface HostToWebview {
  indexStatus: [IndexStatus, void];
  setQuery: [{ text: string; queryId?: string }, void];
  evalQueries: [{ queries: EvalQueryRef[] }, void];
}

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
      if (message.kind === 'request') this.post({ kind: 'response', id: message.id, error: `params of ${message.method} must be an object` });
      return;
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
