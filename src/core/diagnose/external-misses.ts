import { spanOverlapsChunk } from '../eval/chunk-relevance';
import { spanItemId, spanQrels, spanRun, type RetrieverEvaluationResult } from '../eval/evaluate-retriever';
import type { EvalQuery } from '../eval/evalset-types';
import type { PlacedHit } from '../eval/hit-placement';
import type { Retriever } from '../retrieve/retriever';
import { exactTokensIn } from './exact-tokens';

/**
 * Why an external retriever missed a labeled span, from what can be known outside the engine: the query failed;
 * the span was found but below K; a hit in the top K overlaps the span without holding it (the engine's chunk
 * splits it: chunking); the local keyword retriever finds it in its top K — exact-match when the query holds an
 * identifier-like token (exact-tokens.ts) that occurs verbatim in the text keyword search found, else lexical (shared
 * ordinary words: a keyword leg or a stronger model would help); or nothing the engine returned covers it.
 */
export const EXTERNAL_MISS_CATEGORIES = ['query-failed', 'below-k', 'chunking', 'exact-match', 'lexical', 'not-returned'] as const;
export type ExternalMissCategory = (typeof EXTERNAL_MISS_CATEGORIES)[number];

export interface ExternalMiss {
  queryId: string;
  queryText: string;
  docId: string;
  start: number;
  end: number;
  grade: number;
  category: ExternalMissCategory;
  /** One sentence a person can check. */
  evidence: string;
}

/**
 * The labeled spans (eval split, not stale, grade ≥ 1) an external retriever did not find in its top K, each
 * with a category and its evidence. `keyword` (the local keyword retriever over the workspace) tells exact-match
 * misses apart; without it they are `not-returned`.
 */
export async function diagnoseExternalMisses(
  result: Pick<RetrieverEvaluationResult, 'retriever' | 'ranking' | 'placed' | 'qrels' | 'failures'> & { manifest: { k: number } },
  queries: EvalQuery[],
  options: { k: number; keyword?: Retriever; signal?: AbortSignal },
): Promise<ExternalMiss[]> {
  const misses: ExternalMiss[] = [];
  const failed = new Map(result.failures.map((f) => [f.qid, f.error]));
  const k = options.k;
  for (const q of queries) {
    if (!result.qrels.has(q.id) && !failed.has(q.id)) continue;
    const spans = q.judgments.filter((j) => j.target.type === 'span' && !j.stale && j.grade > 0).map((j) => ({ grade: j.grade, t: j.target as { docId: string; start: number; end: number } }));
    if (!spans.length) continue;
    const ranking = result.ranking.get(q.id) ?? [];
    const placed = result.placed.get(q.id) ?? [];
    let keywordHits: Awaited<ReturnType<Retriever['search']>> | undefined;
    for (const s of spans) {
      const base = { queryId: q.id, queryText: q.text, docId: s.t.docId, start: s.t.start, end: s.t.end, grade: s.grade };
      if (failed.has(q.id)) {
        misses.push({ ...base, category: 'query-failed', evidence: failed.get(q.id) as string });
        continue;
      }
      const rank = ranking.indexOf(spanItemId(s.t.docId, s.t.start, s.t.end)) + 1;
      if (rank >= 1 && rank <= k) continue;
      if (rank > k) {
        misses.push({ ...base, category: 'below-k', evidence: `${result.retriever} returns it at rank ${rank}, below K = ${k}` });
        continue;
      }
      const split = placed.slice(0, k).find((p) => p.docId === s.t.docId && p.start !== undefined && p.end !== undefined && Math.min(p.end, s.t.end) > Math.max(p.start, s.t.start));
      if (split && split.start !== undefined && split.end !== undefined) {
        const overlap = Math.min(split.end, s.t.end) - Math.max(split.start, s.t.start);
        misses.push({ ...base, category: 'chunking', evidence: `the hit at rank ${split.hit.rank} ([${split.start}, ${split.end})) holds ${Math.round((100 * overlap) / (s.t.end - s.t.start))}% of the span, less than half: the engine's chunk splits it` });
        continue;
      }
      if (options.keyword) {
        keywordHits ??= await options.keyword.search(q.text, k, { signal: options.signal, explain: false });
        const hit = keywordHits.find((h) => h.docId === s.t.docId && h.start !== undefined && h.end !== undefined && spanOverlapsChunk(s.t, { start: h.start, end: h.end }));
        if (hit) {
          const found = `local keyword search finds it at rank ${hit.rank}; ${result.retriever} does not return it in its top ${result.manifest.k}`;
          const exact = exactTokensIn(q.text, hit.text ?? '');
          if (exact.length) misses.push({ ...base, category: 'exact-match', evidence: `${found}; the query's ${exact.map((t) => `${t.kind} "${t.token}"`).join(', ')} occur${exact.length === 1 ? 's' : ''} verbatim in the text keyword search found` });
          else misses.push({ ...base, category: 'lexical', evidence: `${found}; the query holds no exact token (code, ID, version, quoted phrase): keyword search finds it by shared words, so a keyword leg (hybrid) recovers it — or a stronger model may` });
          continue;
        }
      }
      misses.push({ ...base, category: 'not-returned', evidence: `nothing ${result.retriever} returned in its top ${result.manifest.k} covers the span${options.keyword ? ', and local keyword search does not find it in its top K either' : ''}` });
    }
  }
  return misses;
}

/**
 * The misses of one query from hits already fetched (the Query Inspector's column of a configured retriever): the
 * same placement, span run and categories as a whole evaluation, without asking the engine again. `placed` holds
 * every hit fetched (deeper than K when the caller asked for more, so "below K" can be told from "not returned");
 * `depth` is how many were asked for.
 */
export function diagnoseFetchedHits(
  retriever: string,
  query: EvalQuery,
  placed: PlacedHit[],
  options: { k: number; depth: number; keyword?: Retriever; signal?: AbortSignal },
): Promise<ExternalMiss[]> {
  const q = { ...query, split: 'eval' as const };
  return diagnoseExternalMisses(
    { retriever, ranking: new Map([[q.id, spanRun(q, placed)]]), placed: new Map([[q.id, placed]]), qrels: spanQrels([q]), failures: [], manifest: { k: options.depth } },
    [q],
    options,
  );
}
