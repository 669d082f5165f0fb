import type { SourceDocument } from '../corpus/document';
import { answeredQueries, runQueries, type FailedQuery, type Retriever } from '../retrieve/retriever';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { RetrieverName } from '../retrieve/types';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { documentLookup, placeHits } from './hit-placement';
import { spanOverlapsChunk } from './chunk-relevance';
import type { EvalQuery } from './evalset-types';

/**
 * Pooled judging. Every retriever's top K for each query goes into one pool, deduplicated by span overlap, so each
 * passage is judged once however many retrievers returned it. Hole@K per retriever is the share of its top K that
 * no judgment covers: when it is high, a comparison between retrievers rests on unjudged results (scored as not
 * relevant by trec_eval convention).
 *
 * A hit is judged for a query when a (non-stale) span judgment of the same document overlaps it by the chunk rule
 * (SPAN_OVERLAP_RULE: half of the span or half of the hit), or a document judgment names its document. Two hits of
 * one query are the same pool item when they are the same chunk, or the same document with spans that overlap by
 * that rule.
 */

/** One retrieved passage; external retrievers give a document and character offsets (chunkId is optional). */
export interface PoolHit {
  docId: string;
  start: number;
  end: number;
  chunkId?: string;
  text?: string;
}

/** A named ranking: what one retriever (local or external) returned per query id, best first. */
export interface NamedRanking {
  retriever: string;
  results: Map<string, PoolHit[]>;
}

export interface PoolItem {
  queryId: string;
  queryText: string;
  docId: string;
  start: number;
  end: number;
  chunkId?: string;
  text?: string;
  /** Every retriever that returned it in its top K, with its rank there (1-based). */
  hits: Array<{ retriever: string; rank: number }>;
}

export interface HoleAtK {
  retriever: string;
  k: number;
  /** Hits in top K over all pooled queries, and how many of them no judgment covers. */
  total: number;
  unjudged: number;
  /** unjudged / total (0 when the retriever returned nothing). */
  hole: number;
}

export interface Pool {
  k: number;
  queries: number;
  /** Unjudged items, one per passage, grouped by query in input order (see judgingOrder); within a query by best rank. */
  items: PoolItem[];
  holes: HoleAtK[];
  /** How much the retrievers' top K lists disagree, per pooled query id (see topKDisagreement); the value order uses it. */
  disagreement?: Map<string, number>;
}

/**
 * How much retrievers disagree on a query: 1 − the mean, over every pair of retrievers that answered it, of the
 * overlap of their top K passage sets, |A ∩ B| / max(|A|, |B|) (judged passages count too; two hits are one passage
 * by the pool's rule). 0 when every retriever returned the same passages (in any order) or fewer than two answered;
 * 1 when no two share a passage. Two empty lists overlap fully. Order inside the top K is ignored on purpose: what
 * matters to judging is which passages a retriever would be scored on.
 */
export function topKDisagreement(lists: ReadonlyArray<readonly PoolHit[]>): number {
  if (lists.length < 2) return 0;
  const reps: PoolHit[] = [];
  const sets = lists.map((hits) => {
    const ids = new Set<number>();
    for (const h of hits) {
      let id = reps.findIndex((r) => samePassage(r, h));
      if (id < 0) id = reps.push(h) - 1;
      ids.add(id);
    }
    return ids;
  });
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < sets.length; a++)
    for (let b = a + 1; b < sets.length; b++) {
      const size = Math.max(sets[a].size, sets[b].size);
      const shared = [...sets[a]].filter((x) => sets[b].has(x)).length;
      sum += size ? shared / size : 1;
      pairs++;
    }
  return 1 - sum / pairs;
}

export function isJudged(query: EvalQuery, hit: { docId: string; start: number; end: number }): boolean {
  return query.judgments.some((j) => {
    if (j.target.docId !== hit.docId) return false;
    if (j.target.type === 'document') return true;
    return !j.stale && spanOverlapsChunk(j.target, hit);
  });
}

function samePassage(a: PoolHit, b: PoolHit): boolean {
  if (a.chunkId && b.chunkId && a.chunkId === b.chunkId) return true;
  return a.docId === b.docId && spanOverlapsChunk(a, b);
}

/**
 * The order to judge queries in: those with no judgment at all first (they cannot be scored until judged), then the
 * partly judged, each in eval-set order. Fix it once per judging session, so a query being judged keeps its place.
 */
export function judgingOrder(queries: EvalQuery[]): EvalQuery[] {
  return [...queries.filter((q) => !q.judgments.length), ...queries.filter((q) => q.judgments.length)];
}

/** Pools the top K of every ranking for these queries. Queries with nothing unjudged contribute no items. */
export function buildPool(queries: EvalQuery[], rankings: NamedRanking[], k: number): Pool {
  const items: PoolItem[] = [];
  const holes = rankings.map((r) => ({ retriever: r.retriever, k, total: 0, unjudged: 0, hole: 0 }));
  const disagreement = new Map<string, number>();
  for (const q of queries) {
    const mine: PoolItem[] = [];
    // Only retrievers that answered the query (a recorded run may not have it) count as disagreeing.
    disagreement.set(q.id, topKDisagreement(rankings.filter((r) => r.results.has(q.id)).map((r) => (r.results.get(q.id) ?? []).slice(0, k))));
    rankings.forEach((r, ri) => {
      (r.results.get(q.id) ?? []).slice(0, k).forEach((h, i) => {
        holes[ri].total++;
        if (isJudged(q, h)) return;
        holes[ri].unjudged++;
        const rank = i + 1;
        const item = mine.find((m) => samePassage(m, h));
        if (item) {
          if (!item.hits.some((x) => x.retriever === r.retriever)) item.hits.push({ retriever: r.retriever, rank });
        } else mine.push({ queryId: q.id, queryText: q.text, docId: h.docId, start: h.start, end: h.end, chunkId: h.chunkId, text: h.text, hits: [{ retriever: r.retriever, rank }] });
      });
    });
    const best = (m: PoolItem) => Math.min(...m.hits.map((x) => x.rank));
    mine.sort((a, b) => best(a) - best(b) || b.hits.length - a.hits.length || (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : a.start - b.start));
    items.push(...mine);
  }
  for (const h of holes) h.hole = h.total ? h.unjudged / h.total : 0;
  return { k, queries: queries.length, items, holes, disagreement };
}

/** The top K of the index's own retrievers as named rankings; retrievers that cannot run are returned as errors. */
export async function localRankings(
  index: RetrievalIndex,
  queries: EvalQuery[],
  retrievers: RetrieverName[],
  k: number,
  onProgress?: (done: number, total: number) => void,
): Promise<{ rankings: NamedRanking[]; errors: Partial<Record<RetrieverName, string>> }> {
  const rankings = retrievers.map((retriever) => ({ retriever: retriever as string, results: new Map<string, PoolHit[]>() }));
  const errors: Partial<Record<RetrieverName, string>> = {};
  let done = 0;
  for (const q of queries) {
    const r = await index.search({ query: q.text, k, retrievers, filter: q.filter, explain: false });
    retrievers.forEach((name, i) => {
      if (r.errors[name]) errors[name] = r.errors[name];
      rankings[i].results.set(
        q.id,
        (r.results[name] ?? []).map((h) => {
          const c = index.getChunk(h.chunkId);
          return { docId: h.docId, start: c?.start ?? 0, end: c?.end ?? 0, chunkId: h.chunkId, text: c?.text };
        }),
      );
    });
    onProgress?.(++done, queries.length);
  }
  return { rankings: rankings.filter((r) => !errors[r.retriever as RetrieverName]), errors };
}

/**
 * The top K of any retriever behind the contract (an external engine: http, pgvector) as a named ranking: each hit
 * placed in the workspace as evaluation places it (offsets, exact or fuzzy text, else the whole document); hits that
 * map to no workspace document cannot be judged and are counted, and queries the engine could not answer are listed.
 */
export async function retrieverRanking(
  retriever: Retriever,
  queries: EvalQuery[],
  documents: Iterable<SourceDocument>,
  k: number,
  options: { documentId?: DocumentIdRule; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ ranking: NamedRanking; unplaced: number; failures: FailedQuery[] }> {
  const docs = documentLookup(documents);
  const outcomes = await runQueries(retriever, queries, { k, explain: false, signal: options.signal, onProgress: options.onProgress });
  const results = new Map<string, PoolHit[]>();
  const { answered, failures } = answeredQueries(queries, outcomes);
  let unplaced = 0;
  for (const { query: q, hits: found } of answered) {
    const hits: PoolHit[] = [];
    for (const p of placeHits(found.slice(0, k), docs, options.documentId)) {
      const doc = p.docId === null ? undefined : docs.getDocument(p.docId);
      if (!doc) {
        unplaced++;
        continue;
      }
      hits.push({ docId: doc.id, start: p.start ?? 0, end: p.end ?? doc.text.length, ...(p.placement === 'local' ? { chunkId: p.hit.chunkId } : {}), text: p.hit.text });
    }
    results.set(q.id, hits);
  }
  return { ranking: { retriever: retriever.name, results }, unplaced, failures };
}

/** "keyword 40% (12/30)" per retriever. */
export function describeHoles(holes: HoleAtK[]): string {
  return holes.map((h) => `${h.retriever} ${Math.round(100 * h.hole)}% (${h.unjudged}/${h.total})`).join(' · ');
}
