/** The Query Inspector's messages (webview-ui/inspector ↔ src/extension/webviews/inspector). */
import type { RetrieverName, ScoreExplanation, MetadataFilter, FusionConfig, RankPosition } from '../core/retrieve/types';
import type { Placement } from '../core/eval/hit-placement';
import type { AdapterStatus } from '../core/adapt/adapter-status';
import { isInt, isStr, optStr, scalar, span, strList, type Check } from './messenger';

export type { AdapterStatus };
// What the inspector app needs of the core, re-exported so webview apps import only their protocol.
export { availableRetrievers, RETRIEVERS } from '../core/retrieve/types';
export type { FusionConfig, MetadataFilter, RetrieverName, ScoreExplanation } from '../core/retrieve/types';
export { describeFusion } from '../core/retrieve/fusion-label';
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
  /** The category every view gives this miss (the one diagnosis, without what-if indexes). */
  category?: string;
  evidence?: string;
  /** When the readiness report's what-if indexes (another chunker or model) recovered it: which, and their category. */
  whatIf?: string;
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
  /** Recorded production runs (`trace:<name>`) shown as columns beside the configured retrievers. */
  recorded?: string[];
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
   * told for it by the one diagnosis (src/core/diagnose/diagnose-misses.ts). Absent when the query has no labels.
   */
  missed?: ExternalMissRow[];
}

export interface ExternalMissRow {
  docId: string;
  start: number;
  end: number;
  grade: number;
  quote: string;
  /** A category of the one miss diagnosis (FAILURE_CATEGORIES of diagnose-misses.ts). */
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
  /** The workspace's recorded runs (`trace:<name>`, from import-traces), each pickable as a column. */
  recorded?: string[];
}

/** Webview → host. */
export interface WebviewToHost {
  ready: [Record<string, never>, InitState];
  search: [SearchParams, SearchView];
  reveal: [{ docId: string; start: number; end: number }, void];
  label: [{ queryId?: string; queryText: string; docId: string; start: number; end: number; grade: number }, { queryId: string }];
  buildIndex: [Record<string, never>, void];
}

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
export const WEBVIEW_TO_HOST_CHECKS: { [M in keyof WebviewToHost]: Check } = {
  ready: () => undefined,
  buildIndex: () => undefined,
  search: (p) =>
    !isStr(p.query) ? 'query must be a string of at most 10,000 characters'
    : !optStr(p.queryId, 200) ? 'queryId must be a string'
    : !isInt(p.k, 1, 1000) ? 'k must be a whole number from 1 to 1000'
    : !Array.isArray(p.retrievers) || p.retrievers.length > 20 || !p.retrievers.every((r) => typeof r === 'string' && /^[\w.:-]{1,64}$/.test(r)) ? 'retrievers must be a list of retriever names'
    : p.adapter !== undefined && typeof p.adapter !== 'boolean' ? 'adapter must be true or false'
    : p.recorded !== undefined && (!Array.isArray(p.recorded) || p.recorded.length > 20 || !p.recorded.every((r) => typeof r === 'string' && /^trace:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(r))) ? 'recorded must be a list of trace:<name> runs'
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
  /**
   * Opens the query neighbourhood view for this query: drawn through the local dense retriever, or through the external
   * column `retriever` names (a configured retriever of retrievalLens.retrievers, or a recorded run `trace:<name>`).
   */
  neighbourhood: [{ query: string; queryId?: string; retriever?: string }, void];
}

export const INSPECTOR_ACTION_CHECKS: { [M in keyof InspectorActionsToHost]: Check } = {
  neighbourhood: (p) =>
    !isStr(p.query) || !(p.query as string).trim() ? 'query must be a non-empty string'
    : !optStr(p.queryId, 200) ? 'queryId must be a string'
    : p.retriever !== undefined && !(isStr(p.retriever, 200) && !!(p.retriever as string).trim() && (p.retriever as string).trim() === p.retriever && !/\p{Cc}/u.test(p.retriever as string)) ? 'retriever must be the name of an external column'
    : undefined,
};

/** An eval query the empty inspector offers to try, with the failure kind its labels were written to show. */
export interface ExampleQuery {
  id: string;
  text: string;
  kind: string;
}

/** Inspector → host requests that guide a newcomer (src/extension/webviews/inspector/inspector-guide.ts). */
export interface InspectorGuideToHost {
  /** Up to three eval queries to try (one per failure kind), and the state the host kept from the last panel. */
  guide: [Record<string, never>, { examples: ExampleQuery[]; state?: unknown }];
  /** The app's state, kept by the host so a closed and reopened inspector shows what it showed (webview state ends with the panel). */
  keepState: [{ state: unknown }, void];
}

export const INSPECTOR_GUIDE_CHECKS: { [M in keyof InspectorGuideToHost]: Check } = {
  guide: () => undefined,
  keepState: (p) => (typeof p.state !== 'object' || p.state === null || Array.isArray(p.state) ? 'state must be an object' : undefined),
};

/** Everything the Query Inspector webview may send, and the checks it is held to. */
export type InspectorToHost = WebviewToHost & InspectorActionsToHost & InspectorGuideToHost;
export const INSPECTOR_TO_HOST_CHECKS: { [M in keyof InspectorToHost]: Check } = { ...WEBVIEW_TO_HOST_CHECKS, ...INSPECTOR_ACTION_CHECKS, ...INSPECTOR_GUIDE_CHECKS };

/** Host → webview. */
export interface HostToWebview {
  indexStatus: [IndexStatus, void];
  setQuery: [{ text: string; queryId?: string }, void];
  /** The eval set changed: its queries, and the recorded runs (trace:<name>) pickable as columns. */
  evalQueries: [{ queries: EvalQueryRef[]; recorded?: string[] }, void];
  adapterStatus: [AdapterStatus, void];
}
