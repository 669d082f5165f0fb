import type { KeywordScores } from '../store/keyword-index';
import type { LegHit } from './reciprocal-rank-fusion';
import type { SearchableIndex } from './searchable-index';
import type { SearchHit } from './types';

/** The keyword (BM25) leg: every allowed chunk scored on the index's postings, the best `depth` kept. */
export function keywordLeg(index: SearchableIndex, query: string, depth: number, allowed: Set<string> | undefined): { scores: KeywordScores; top: LegHit[] } {
  const scores = index.keyword.score(query, allowed ? (id) => allowed.has(id) : undefined);
  return { scores, top: scores.top(depth) };
}

/** The keyword retriever's top k, each hit with its BM25 score broken down per matched term (unless `explain` is off). */
export function keywordHits(index: SearchableIndex, query: string, top: LegHit[], k: number, explain: boolean, hit: HitMaker): SearchHit[] {
  const shown = top.slice(0, k);
  const terms = explain ? index.keyword.explain(query, shown.map((h) => h.id)) : new Map<string, never[]>();
  return shown.map((h, i) => hit(h.id, i + 1, h.score, { kind: 'keyword', bm25: h.score, terms: terms.get(h.id) ?? [] }));
}

/** Builds a SearchHit for a chunk id (the document id looked up once, in one place: search.ts). */
export type HitMaker = (id: string, rank: number, score: number, explanation: SearchHit['explanation']) => SearchHit;
