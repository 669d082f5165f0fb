import type { KeywordScores } from '../store/keyword-index';
import { denseHits, denseLeg, type DenseLeg } from './dense-retriever';
import { fuseLegs, hybridHits } from './hybrid-retriever';
import { keywordHits, keywordLeg, type HitMaker } from './keyword-retriever';
import { compileFilter } from './metadata-filter';
import type { FusedHit, LegHit } from './reciprocal-rank-fusion';
import { rerankCandidates, rerankHits, type Reranked } from './rerank-retriever';
import type { SearchableIndex, SearchDefaults } from './searchable-index';
import type { FusionConfig, RankPosition, RerankConfig, RetrieverName, SearchRequest, SearchResponse } from './types';

export type { SearchDefaults } from './searchable-index';

/**
 * The default hybrid: weighted score fusion with min-max normalisation and a small dense weight. With a weak
 * dense model, plain RRF gives the dense leg as much say as BM25 and can fall far below BM25; a dense weight of
 * 0.2 lets dense break ties and lift paraphrases without outvoting exact matches (SciFact subset with USE-lite:
 * BM25 0.818, dense 0.360, RRF 0.592, weighted 0.2 0.822 nDCG@10) (scripts/eval-scifact.ts prints
 * BM25, dense, hybrid-RRF and this default side by side).
 */
export const DEFAULT_FUSION: FusionConfig = { method: 'weighted', rrfK: 60, denseWeight: 0.2, normalization: 'min-max', depth: 100 };
export const DEFAULT_RERANK: RerankConfig = { base: 'hybrid', candidates: 30 };

/** The fusion and rerank settings a search runs with: engine defaults, then the index's, then the request's. */
export function resolveSearchConfig(defaults: SearchDefaults, req: SearchDefaults = {}): { fusion: FusionConfig; rerank: RerankConfig } {
  return {
    fusion: { ...DEFAULT_FUSION, ...defaults.fusion, ...req.fusion },
    rerank: { ...DEFAULT_RERANK, ...defaults.rerank, ...req.rerank },
  };
}

/**
 * Runs the requested retrievers over one index with one filter, each hit explained: the filter first (the candidate
 * set every leg searches within), then the keyword and dense legs, hybrid fusion and reranking from the files named
 * after them, and the full-ranking positions of the chunks the caller asked about.
 */
export async function searchIndex(index: SearchableIndex, req: SearchRequest): Promise<SearchResponse> {
  const timings: SearchResponse['timingsMs'] = {};
  const { fusion, rerank } = resolveSearchConfig(index.searchDefaults, req);
  const wanted = new Set(req.retrievers);
  const k = Math.max(1, req.k);
  const depth = Math.max(fusion.depth, k, wanted.has('rerank') ? rerank.candidates : 0);
  const hit: HitMaker = (id, rank, score, explanation) => ({ chunkId: id, docId: index.getChunk(id)?.docId ?? '', rank, score, explanation });

  let t = performance.now();
  const { allowed, removed, removedIds } = applyFilter(index, req);
  timings.filter = performance.now() - t;

  const needKeyword = wanted.has('keyword') || wanted.has('hybrid') || (wanted.has('rerank') && rerank.base !== 'dense');
  const needDense = wanted.has('dense') || wanted.has('hybrid') || (wanted.has('rerank') && rerank.base !== 'keyword');

  // Each leg keeps its best `depth` hits; ranks of located chunks come from the full scores without sorting them.
  let keywordScores: KeywordScores | undefined;
  let keywordTop: LegHit[] = [];
  if (needKeyword) {
    t = performance.now();
    ({ scores: keywordScores, top: keywordTop } = keywordLeg(index, req.query, depth, allowed));
    timings.keyword = performance.now() - t;
  }
  let dense: DenseLeg = { top: [] };
  if (needDense) {
    t = performance.now();
    dense = await denseLeg(index, req.query, depth, allowed, req.queryTransform, req.signal);
    if (!dense.error) {
      timings.embedQuery = dense.embedMs;
      timings.dense = performance.now() - t - (dense.embedMs ?? 0);
    }
  }
  let fused: FusedHit[] = [];
  if ((wanted.has('hybrid') || (wanted.has('rerank') && rerank.base === 'hybrid')) && !dense.error) {
    t = performance.now();
    fused = fuseLegs(keywordTop, dense.top, fusion);
    timings.hybrid = performance.now() - t;
  }

  const results: SearchResponse['results'] = {};
  const errors: Partial<Record<RetrieverName, string>> = {};
  if (wanted.has('keyword')) results.keyword = keywordHits(index, req.query, keywordTop, k, req.explain !== false, hit);
  if (wanted.has('dense')) {
    if (dense.error) errors.dense = dense.error;
    else results.dense = denseHits(dense.top, k, hit);
  }
  if (wanted.has('hybrid')) {
    if (dense.error) errors.hybrid = dense.error;
    else results.hybrid = hybridHits(fused, k, fusion, hit);
  }
  let reranked: Reranked[] = [];
  if (wanted.has('rerank')) {
    if (!index.crossEncoder) errors.rerank = 'no reranker (cross-encoder) configured';
    else if (rerank.base !== 'keyword' && dense.error) errors.rerank = dense.error;
    else {
      t = performance.now();
      reranked = await rerankCandidates(index, req.query, rerank.base === 'keyword' ? keywordTop : rerank.base === 'dense' ? dense.top : fused, rerank, req.signal);
      results.rerank = rerankHits(reranked, k, rerank, hit);
      timings.rerank = performance.now() - t;
    }
  }

  // Full-ranking positions of the chunks the caller asked about (e.g. labeled spans that were missed).
  const positions: SearchResponse['positions'] = {};
  for (const id of req.locate ?? []) {
    const p: Partial<Record<RetrieverName, RankPosition>> = {};
    const excluded = allowed !== undefined && !allowed.has(id);
    if (wanted.has('keyword')) p.keyword = (!excluded && keywordScores?.position(id)) || none();
    if (wanted.has('dense') && dense.ranking && index.vectors) {
      const row = index.vectors.rowIndex(id);
      p.dense = (!excluded && row !== undefined && dense.ranking.position(row)) || none();
    }
    if (wanted.has('hybrid') && !dense.error) p.hybrid = excluded ? none() : rankIn(fused, id);
    if (wanted.has('rerank') && reranked.length) p.rerank = excluded ? none() : rankIn(reranked, id);
    positions[id] = p;
  }

  return {
    query: req.query,
    config: { fusion, rerank },
    results,
    positions,
    filter: { removedChunks: removed, remainingChunks: allowed ? allowed.size : index.chunkMap.size, removedChunkIds: removedIds },
    timingsMs: timings,
    errors,
  };
}

/** The chunks the request's filter allows (undefined: no filter), how many it removed, and which located ones. */
function applyFilter(index: SearchableIndex, req: SearchRequest): { allowed: Set<string> | undefined; removed: number; removedIds: string[] } {
  const predicate = compileFilter(req.filter);
  const removedIds: string[] = [];
  if (!predicate) return { allowed: undefined, removed: 0, removedIds };
  const allowed = new Set<string>();
  const located = new Set(req.locate ?? []);
  let removed = 0;
  for (const c of index.allChunks()) {
    const doc = index.getDocument(c.docId);
    if (doc && predicate(doc, c)) allowed.add(c.id);
    else {
      removed++;
      if (located.has(c.id)) removedIds.push(c.id);
    }
  }
  return { allowed, removed, removedIds };
}

function none(): RankPosition {
  return { rank: null, score: null };
}

function rankIn(list: Array<{ id: string; score: number }>, id: string): RankPosition {
  const i = list.findIndex((h) => h.id === id);
  return i < 0 ? none() : { rank: i + 1, score: list[i].score };
}
