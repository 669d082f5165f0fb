import type { SourceDocument } from '../corpus/document';
import { LocalRetriever } from '../retrieve/local-retriever';
import { answeredQueries, runQueries, unappliedFilter, type FailedQuery, type Retriever } from '../retrieve/retriever';
import { documentQrels, spanOverlapsChunk } from './chunk-relevance';
import type { EvalQuery, Qrels } from './evalset-types';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { documentLookup, emptyPlacementCounts, placeHits, type DocumentLookup, type PlacedHit, type PlacementCounts } from './hit-placement';
import { computeMetrics, type MetricsResult } from './metrics';
import { gitCommit } from './run-manifest';
import { rankedRun } from './trec-io';

export interface RetrieverEvaluationOptions {
  level: 'doc' | 'chunk';
  /** Ranking depth per query (default 100). */
  depth?: number;
  /** Hits asked of the retriever per query (default: depth; local retrievers at doc level ask for more chunks). */
  k?: number;
  cutoffs?: number[];
  split?: 'eval' | 'train' | 'all';
  /** How hit ids become workspace documents (external retrievers). */
  documentId?: DocumentIdRule;
  /** Queries in flight at once (default: the retriever's capability). */
  concurrency?: number;
  workspaceRoot?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** A run of any retriever; `placed` keeps every hit with where it landed in the workspace, unplaced ones included. */
export interface RetrieverEvaluationResult {
  retriever: string;
  metrics: MetricsResult;
  /** qid → ranked ids: document ids (doc level) or labeled-span ids (chunk level), unplaced hits under their own id. */
  ranking: Map<string, string[]>;
  placed: Map<string, PlacedHit[]>;
  qrels: Qrels;
  placement: PlacementCounts;
  /** Queries the retriever could not answer: left out of the metrics, listed with the message. */
  failures: FailedQuery[];
  /** Queries with a metadata filter the retriever applies only in part or not at all (see unappliedFilter). */
  filtersNotApplied: number;
  manifest: RetrieverRunManifest;
}

export interface RetrieverRunManifest {
  tool: string;
  retriever: string;
  kind: Retriever['kind'];
  level: 'doc' | 'chunk';
  /** How chunk-level relevance was decided (see spanQrels). */
  relevance: 'document' | 'labeled-span';
  k: number;
  documents: number;
  queries: number;
  failedQueries: number;
  placement: PlacementCounts;
  gitCommit: string | null;
  createdAt: string;
}

/** The qrels id of a labeled span. */
export function spanItemId(docId: string, start: number, end: number): string {
  return `span:${docId}:${start}-${end}`;
}

/**
 * Chunk-level qrels that hold for any chunking: each labeled span (not stale) is one relevant item. Engines chunk
 * differently from the local index, so their chunks cannot be looked up in the local chunk qrels; instead a hit
 * finds a labeled span when it holds at least half of it or the span covers at least half of the hit (the rule
 * local chunks are judged by, SPAN_OVERLAP_RULE), and a span is found once: a second hit over it counts as not
 * relevant, like a duplicate.
 */
export function spanQrels(queries: EvalQuery[]): Qrels {
  const qrels: Qrels = new Map();
  for (const q of queries) {
    if (!q.judgments.some((j) => j.target.type === 'span')) continue;
    const m = new Map<string, number>();
    for (const j of q.judgments) {
      if (j.target.type !== 'span' || j.stale) continue;
      const id = spanItemId(j.target.docId, j.target.start, j.target.end);
      m.set(id, Math.max(m.get(id) ?? 0, j.grade));
    }
    qrels.set(q.id, m);
  }
  return qrels;
}

/** The run ids of one query's placed hits at chunk level: the labeled span each hit finds first, else its own id. */
export function spanRun(q: EvalQuery, placed: PlacedHit[]): string[] {
  const spans = q.judgments.filter((j) => j.target.type === 'span' && !j.stale && j.grade > 0).map((j) => ({ grade: j.grade, t: j.target as { docId: string; start: number; end: number } }));
  const found = new Set<string>();
  return placed.map((p, i) => {
    if (p.docId !== null && p.start !== undefined && p.end !== undefined) {
      const hitSpan = { start: p.start, end: p.end };
      const best = spans
        .filter((s) => s.t.docId === p.docId && !found.has(spanItemId(s.t.docId, s.t.start, s.t.end)) && spanOverlapsChunk(s.t, hitSpan))
        .sort((a, b) => b.grade - a.grade)[0];
      if (best) {
        const id = spanItemId(best.t.docId, best.t.start, best.t.end);
        found.add(id);
        return id;
      }
    }
    return `hit:${i + 1}:${p.hit.id}`;
  });
}

/**
 * Runs every judged query through any retriever (local or external) and scores it: at document level by the
 * documents the hits map to, at chunk level by the labeled spans the hits find (spanQrels). Queries run with
 * bounded concurrency; one that fails is listed and left out, and the rest still count.
 */
export async function evaluateRetriever(
  retriever: Retriever,
  documents: Iterable<SourceDocument> | DocumentLookup,
  queries: EvalQuery[],
  options: RetrieverEvaluationOptions,
): Promise<RetrieverEvaluationResult> {
  const depth = options.depth ?? 100;
  const split = options.split ?? 'eval';
  const docs = 'getDocument' in documents && 'byPath' in documents ? documents : documentLookup(documents as Iterable<SourceDocument>);
  const judged = queries.filter((q) => q.judgments.length && (split === 'all' || q.split === split));
  const qrelsAll = options.level === 'doc' ? documentQrels(judged) : spanQrels(judged);
  let k = options.k ?? depth;
  if (options.k === undefined && options.level === 'doc' && retriever instanceof LocalRetriever) {
    const ix = retriever.index;
    k = Math.ceil(depth * Math.min(8, Math.max(1, ix.chunkMap.size / Math.max(1, ix.docs.size))));
  }
  const outcomes = await runQueries(retriever, judged, { k, concurrency: options.concurrency, explain: false, signal: options.signal, onProgress: options.onProgress });
  const ranking = new Map<string, string[]>();
  const placed = new Map<string, PlacedHit[]>();
  const placement = emptyPlacementCounts();
  const { answered, failures } = answeredQueries(judged, outcomes);
  let filtersNotApplied = 0;
  const qrels: Qrels = new Map();
  for (const { query: q, hits } of answered) {
    if (unappliedFilter(retriever, q.filter).length) filtersNotApplied++;
    const p = placeHits(hits, docs, options.documentId);
    for (const h of p) placement[h.placement]++;
    placed.set(q.id, p);
    let ids: string[];
    if (options.level === 'doc') {
      const seen = new Set<string>();
      ids = [];
      for (const h of p) {
        const id = h.docId ?? `unplaced:${h.hit.id}`;
        if (!seen.has(id)) ids.push(id);
        seen.add(id);
      }
    } else ids = spanRun(q, p);
    ranking.set(q.id, ids.slice(0, depth));
    const judgedHere = qrelsAll.get(q.id);
    if (judgedHere) qrels.set(q.id, judgedHere);
  }
  const metrics = computeMetrics(qrels, rankedRun(ranking), { cutoffs: options.cutoffs });
  const manifest: RetrieverRunManifest = {
    tool: 'retrieval-lens 0.1.0',
    retriever: retriever.name,
    kind: retriever.kind,
    level: options.level,
    relevance: options.level === 'doc' ? 'document' : 'labeled-span',
    k: depth,
    documents: docs.size,
    queries: qrels.size,
    failedQueries: failures.length,
    placement,
    gitCommit: options.workspaceRoot ? gitCommit(options.workspaceRoot) : null,
    createdAt: new Date().toISOString(),
  };
  return { retriever: retriever.name, metrics, ranking, placed, qrels, placement, failures, filtersNotApplied, manifest };
}
