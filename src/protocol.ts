/**
 * The one typed message protocol between the extension host and the webview (GitLens / Continue style).
 * Each direction is a record `{ method: [Params, Result] }`; a Result of `void` marks a notification.
 * Adding a message is one line here; both sides fail the type-check when a field is renamed.
 */
import type { RetrieverName, ScoreExplanation, MetadataFilter, FusionConfig, RankPosition } from './core/retrieve/types';
import type { Placement } from './core/eval/hit-placement';
import type { NeighbourhoodView } from './core/adapt/neighbourhood';

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
  /** Also run dense (and hybrid, when asked) with the query adapter of retrievalLens.queryAdapter, side by side. */
  adapter?: boolean;
}

/** The query adapter retrievalLens.queryAdapter names, as the editor could load it for the current index. */
export interface AdapterStatus {
  /** The setting's value ("" = none). */
  setting: string;
  state: 'off' | 'ready' | 'error';
  /** The adapter's id when ready. */
  id?: string;
  /** Why it is off or refused (another model or dimension, a damaged folder, an untrusted workspace). */
  message?: string;
  /** The trial's dense gain when it was trained, e.g. "+0.033 nDCG@10 (95% CI …, p = …)". */
  trained?: string;
}

/** Columns run with the query adapter, beside the plain ones. */
export interface AdaptedColumns {
  adapterId: string;
  columns: Partial<Record<'dense' | 'hybrid', ResultRow[]>>;
}

/** One hit of a configured external retriever, placed in the workspace (or shown as unplaced, never dropped). */
export interface ExternalHitRow {
  rank: number;
  score: number;
  /** The engine's id for the hit. */
  id: string;
  /** The workspace document it maps to; null when unplaced. */
  docId: string | null;
  /** The path the engine stored, if any. */
  path?: string;
  start?: number;
  end?: number;
  placement: Placement;
  /** Why the hit is placed at document level only, or not at all. */
  reason?: string;
  preview: string;
  /** Grade of the label overlapping the placed span (or a document label), if any. */
  label?: number;
}

/** A configured retriever of retrievalLens.retrievers as an inspector column. */
export interface ExternalColumn {
  name: string;
  kind: string;
  /** Where queries are sent (host, database), as the consent prompt named it. */
  destination: string;
  status: 'ok' | 'not contacted' | 'error';
  /** Why it was not contacted, or the error it answered with. */
  reason?: string;
  hits: ExternalHitRow[];
  /** Capabilities the user should know while reading the column (e.g. the filter was not applied). */
  notes: string[];
  /**
   * For a query with labeled spans: each span this retriever did not return in its top K, with why, from what can be
   * seen outside the engine (src/core/diagnose/external-misses.ts). Absent when the query has no labels.
   */
  missed?: ExternalMissRow[];
}

export interface ExternalMissRow {
  docId: string;
  start: number;
  end: number;
  grade: number;
  quote: string;
  /** query-failed | below-k | chunking | exact-match | lexical | not-returned */
  category: string;
  evidence: string;
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
  /** The configured external retrievers (retrievalLens.retrievers), beside the local columns; absent when none. */
  external?: ExternalColumn[];
  /** Dense (and hybrid) with the query adapter, when the toggle was on and the adapter loaded. */
  adapted?: AdaptedColumns;
  /** Why the adapter columns are missing although the toggle was on. */
  adapterError?: string;
}

export interface InitState {
  host: HostInfo;
  index: IndexStatus;
  evalQueries: EvalQueryRef[];
  activeQueryId?: string;
  retrievers: RetrieverName[];
  /** The configured query adapter (absent from hosts that predate adapters). */
  adapter?: AdapterStatus;
}

/** Webview → host. */
export interface WebviewToHost {
  ready: [Record<string, never>, InitState];
  search: [SearchParams, SearchView];
  reveal: [{ docId: string; start: number; end: number }, void];
  label: [{ queryId?: string; queryText: string; docId: string; start: number; end: number; grade: number }, { queryId: string }];
  buildIndex: [Record<string, never>, void];
}

/**
 * Parameter checks for every webview → host method, against the types above (the mapped type makes the compiler
 * require one per method). A webview renders documents from workspaces nobody vetted; if one ever ran script, the
 * host still accepts only well-formed calls. Each returns the problem, or undefined when the params are valid.
 */
type Check = (p: Record<string, unknown>) => string | undefined;
const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isStr = (v: unknown, max = 10_000) => typeof v === 'string' && v.length <= max;
const optStr = (v: unknown, max = 10_000) => v === undefined || isStr(v, max);
const strList = (v: unknown) => Array.isArray(v) && v.length <= 100 && v.every((x) => isStr(x, 1000));
const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
function checkFilter(f: unknown): string | undefined {
  if (f === undefined) return undefined;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return 'filter must be an object';
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    if (k === 'pathGlobs' || k === 'excludeGlobs' || k === 'languages') {
      if (!strList(v)) return `filter.${k} must be a list of strings`;
    } else if (k === 'headingPath' || k === 'modifiedAfter') {
      if (!isStr(v, 1000)) return `filter.${k} must be a string`;
    } else if (k === 'frontMatter') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'filter.frontMatter must be an object';
      for (const [fk, fv] of Object.entries(v)) if (!(scalar(fv) || (Array.isArray(fv) && fv.every(scalar)))) return `filter.frontMatter.${fk} must be a string, number, boolean or a list of them`;
    } else return `unknown filter field "${k}"`;
  }
  return undefined;
}
function checkFusion(f: unknown): string | undefined {
  if (f === undefined) return undefined;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return 'fusion must be an object';
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    if (k === 'method') {
      if (v !== 'rrf' && v !== 'weighted') return 'fusion.method must be "rrf" or "weighted"';
    } else if (k === 'normalization') {
      if (v !== 'min-max' && v !== 'z-score') return 'fusion.normalization must be "min-max" or "z-score"';
    } else if (k === 'rrfK' || k === 'denseWeight' || k === 'depth') {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `fusion.${k} must be a finite number`;
    } else return `unknown fusion field "${k}"`;
  }
  return undefined;
}
const span = (p: Record<string, unknown>, strict: boolean): string | undefined =>
  !isStr(p.docId, 4096) || !p.docId ? 'docId must be a non-empty string' : !isInt(p.start) || !isInt(p.end) || (p.end as number) < (p.start as number) || (strict && p.end === p.start) ? `start/end must be whole numbers with start ${strict ? '<' : '<='} end` : undefined;

export const WEBVIEW_TO_HOST_CHECKS: { [M in keyof WebviewToHost]: Check } = {
  ready: () => undefined,
  buildIndex: () => undefined,
  search: (p) =>
    !isStr(p.query) ? 'query must be a string of at most 10,000 characters'
    : !optStr(p.queryId, 200) ? 'queryId must be a string'
    : !isInt(p.k, 1, 1000) ? 'k must be a whole number from 1 to 1000'
    : !Array.isArray(p.retrievers) || p.retrievers.length > 20 || !p.retrievers.every((r) => typeof r === 'string' && /^[\w.:-]{1,64}$/.test(r)) ? 'retrievers must be a list of retriever names'
    : p.adapter !== undefined && typeof p.adapter !== 'boolean' ? 'adapter must be true or false'
    : checkFilter(p.filter) ?? checkFusion(p.fusion),
  reveal: (p) => span(p, false),
  label: (p) =>
    !optStr(p.queryId, 200) ? 'queryId must be a string'
    : !isStr(p.queryText) || !(p.queryText as string).trim() ? 'queryText must be a non-empty string'
    : !isInt(p.grade, 0, 3) ? 'grade must be 0, 1, 2 or 3'
    : span(p, true),
};

/** Inspector → host requests that open another view; validated by their own table, merged below. */
export interface InspectorActionsToHost {
  /** Opens the query neighbourhood view for this query. */
  neighbourhood: [{ query: string; queryId?: string }, void];
}

export const INSPECTOR_ACTION_CHECKS: { [M in keyof InspectorActionsToHost]: Check } = {
  neighbourhood: (p) => (!isStr(p.query) || !(p.query as string).trim() ? 'query must be a non-empty string' : !optStr(p.queryId, 200) ? 'queryId must be a string' : undefined),
};

/** Everything the Query Inspector webview may send, and the checks it is held to. */
export type InspectorToHost = WebviewToHost & InspectorActionsToHost;
export const INSPECTOR_TO_HOST_CHECKS: { [M in keyof InspectorToHost]: Check } = { ...WEBVIEW_TO_HOST_CHECKS, ...INSPECTOR_ACTION_CHECKS };

/** Host → webview. */
export interface HostToWebview {
  indexStatus: [IndexStatus, void];
  setQuery: [{ text: string; queryId?: string }, void];
  evalQueries: [{ queries: EvalQueryRef[] }, void];
  adapterStatus: [AdapterStatus, void];
}

/** What the query neighbourhood view shows: the view model, or why there is none. */
export interface NeighbourhoodState {
  view?: NeighbourhoodView;
  error?: string;
  adapter: AdapterStatus;
}

/** Neighbourhood webview → host. */
export interface NeighbourhoodToHost {
  ready: [Record<string, never>, NeighbourhoodState];
  reveal: [{ docId: string; start: number; end: number }, void];
}

export const NEIGHBOURHOOD_TO_HOST_CHECKS: { [M in keyof NeighbourhoodToHost]: Check } = {
  ready: () => undefined,
  reveal: (p) => span(p, false),
};

/** Host → neighbourhood webview. */
export interface HostToNeighbourhood {
  show: [NeighbourhoodState, void];
}

/** One bar of a metric chart: a run (retriever, or retriever + adapter) and its value. */
export interface BaselineBar {
  run: string;
  value: number;
  /** A "+ adapter" run, drawn lighter with an outline. */
  adapted: boolean;
  color: string;
}

export interface BaselineMetricChart {
  measure: string;
  bars: BaselineBar[];
}

/** A per-query win or loss of a run against the baseline run, on nDCG@10. */
export interface BaselineWinLoss {
  kind: 'win' | 'loss';
  queryId: string;
  /** The query's text, shown beside its id (as text). */
  queryText?: string;
  from: string;
  to: string;
}

export interface BaselineComparison {
  run: string;
  base: string;
  summary: string;
  items: BaselineWinLoss[];
}

/** The hybrid trade-off chart, in the chart's own coordinates. */
export interface BaselineSweepChart {
  measure: string;
  width: number;
  height: number;
  /** Horizontal grid lines with their value labels, and the dense-weight ticks. */
  grid: Array<{ y: number; label: string }>;
  xTicks: Array<{ x: number; label: string }>;
  x0: number;
  x1: number;
  bottom: number;
  textX: number;
  points: Array<{ x: number; y: number; title: string }>;
  rrf: { y: number; label: string };
  configured: { x: number; y: number; label: string };
  normalization: string;
  verdict: string;
}

export interface BaselineConfiguredRow {
  name: string;
  destination: string;
  status: string;
  ndcg: string;
  recall: string;
  vsLocal: string;
  note: string;
}

export interface BaselineCategory {
  name: string;
  count: number;
  /** What the category says to do (CATEGORY_FIX), shown beside its bar. */
  fix: string;
  /** Bar width in the 400-wide category chart. */
  width: number;
}

/** Everything the baseline results app draws (built by src/extension/webviews/baseline/baseline-model.ts). */
export interface BaselineView {
  title: string;
  intro: string;
  metrics: BaselineMetricChart[];
  docLevel?: { title: string; intro: string; metrics: BaselineMetricChart[] };
  sweep?: BaselineSweepChart;
  configured?: { intro: string; columns: string[]; rows: BaselineConfiguredRow[] };
  /** The query adapter note; the link to train one sits between `before` and `after`. */
  adapter: { before: string; after: string };
  comparisons: BaselineComparison[];
  missesTitle: string;
  categories: BaselineCategory[];
}

/** Baseline results webview → host. */
export interface BaselineToHost {
  ready: [Record<string, never>, BaselineView];
  /** Opens the Query Inspector on this eval query. */
  inspectQuery: [{ queryId: string }, void];
  /** Runs "Train Query Adapter (trial fine-tune)". */
  trainAdapter: [Record<string, never>, void];
}

export const BASELINE_TO_HOST_CHECKS: { [M in keyof BaselineToHost]: Check } = {
  ready: () => undefined,
  inspectQuery: (p) => (!isStr(p.queryId, 200) || !p.queryId ? 'queryId must be a non-empty string' : undefined),
  trainAdapter: () => undefined,
};

/** Host → baseline results webview. */
export interface HostToBaseline {
  show: [BaselineView, void];
}

/** A table of the readiness report, with the level (or other) heading it sits under. */
export interface ReadinessTable {
  id: string;
  heading: string;
  /** Text above the table. */
  intro?: string;
  columns: string[];
  /** Right-aligned (numeric) columns. */
  numeric: boolean[];
  rows: string[][];
  /** Text under the table. */
  notes: string[];
}

/**
 * One checklist line: ticked only when the figure it rests on holds at the stated bar; `not-settled` when the
 * evidence is too thin to say either way (never drawn as a tick).
 */
export interface ReadinessChecklistRow {
  item: string;
  state: 'met' | 'not-met' | 'not-settled';
  detail: string;
  /** The figure, its n, p and CI where it has them, and the bar it is held to, drawn beside the tick. */
  evidence: string;
  /** What would settle it (e.g. "label about 40 more eval queries"), when it is not met or not settled. */
  settle?: string;
}

/** Everything the readiness report app draws (built by src/extension/webviews/readiness/readiness-model.ts). */
export interface ReadinessView {
  title: string;
  justified: boolean;
  reasons: string[];
  baselineLine: string;
  foundLine: string;
  tables: ReadinessTable[];
  /** Sections without a table: a level not measured, the adapter gain not measured, retrievers not scored. */
  notes: Array<{ id: string; heading?: string; lines: string[] }>;
  checklist: ReadinessChecklistRow[];
  missed: ReadinessTable;
  generated: string;
}

/** Readiness report webview → host. */
export interface ReadinessToHost {
  ready: [Record<string, never>, ReadinessView];
  /** Runs "Train Query Adapter (trial fine-tune)". */
  trainAdapter: [Record<string, never>, void];
  /** Opens the report as Markdown (the file the CLI's `diagnose --markdown` would write). */
  openMarkdown: [Record<string, never>, void];
}

export const READINESS_TO_HOST_CHECKS: { [M in keyof ReadinessToHost]: Check } = {
  ready: () => undefined,
  trainAdapter: () => undefined,
  openMarkdown: () => undefined,
};

/** Host → readiness report webview. */
export interface HostToReadiness {
  show: [ReadinessView, void];
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
