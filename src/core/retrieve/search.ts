import type { Chunk } from '../chunking/chunk';
import type { WorkspaceIndex } from '../index/workspace-index';
import type { KeywordScores } from '../index/keyword-index';
import type { DenseRanking } from '../index/vector-index';
import { compileFilter } from './metadata-filter';
import { reciprocalRankFusion, type FusedHit, type LegHit } from './reciprocal-rank-fusion';
import type { FusionConfig, RankPosition, RerankConfig, RetrieverName, SearchHit, SearchRequest, SearchResponse } from './types';
import { weightedScoreFusion } from './weighted-score-fusion';

/**
 * The default hybrid: weighted score fusion with min-max normalisation and a small dense weight. With a weak
 * dense model, plain RRF gives the dense leg as much say as BM25 and can fall far below BM25; a dense weight of
 * 0.2 lets dense break ties and lift paraphrases without outvoting exact matches (SciFact subset with USE-lite:
 * BM25 0.818, dense 0.360, RRF 0.592, weighted 0.2 0.822 nDCG@10) (scripts/eval-scifact.ts prints
 * BM25, dense, hybrid-RRF and this default side by side).
 */
export const DEFAULT_FUSION: FusionConfig = { method: 'weighted', rrfK: 60, denseWeight: 0.2, normalization: 'min-max', depth: 100 };
export const DEFAULT_RERANK: RerankConfig = { base: 'hybrid', candidates: 30 };

/** Search settings a caller may leave out: the index's configured ones, else the engine defaults. */
export interface SearchDefaults {
  fusion?: Partial<FusionConfig>;
  rerank?: Partial<RerankConfig>;
}

/** The fusion and rerank settings a search runs with: engine defaults, then the index's, then the request's. */
export function resolveSearchConfig(defaults: SearchDefaults, req: SearchDefaults = {}): { fusion: FusionConfig; rerank: RerankConfig } {
  return {
    fusion: { ...DEFAULT_FUSION, ...defaults.fusion, ...req.fusion },
    rerank: { ...DEFAULT_RERANK, ...defaults.rerank, ...req.rerank },
  };
}

/** Runs the requested retrievers over one index with one filter, each hit explained. */
export async function searchIndex(index: WorkspaceIndex, req: SearchRequest): Promise<SearchResponse> {
  const timings: SearchResponse['timingsMs'] = {};
  const { fusion, rerank } = resolveSearchConfig(index.searchDefaults, req);
  const wanted = new Set(req.retrievers);
  const k = Math.max(1, req.k);
  const depth = Math.max(fusion.depth, k, wanted.has('rerank') ? rerank.candidates : 0);

  // Filter before ranking: the candidate set every leg searches within.
  let t = performance.now();
  const predicate = compileFilter(req.filter);
  let allowed: Set<string> | undefined;
  let removed = 0;
  const removedIds: string[] = [];
  const located = new Set(req.locate ?? []);
  if (predicate) {
    allowed = new Set();
    for (const c of index.allChunks()) {
      const doc = index.getDocument(c.docId);
      if (doc && predicate(doc, c)) allowed.add(c.id);
      else {
        removed++;
        if (located.has(c.id)) removedIds.push(c.id);
      }
    }
  }
  timings.filter = performance.now() - t;

  const needKeyword = wanted.has('keyword') || wanted.has('hybrid') || (wanted.has('rerank') && rerank.base !== 'dense');
  const needDense = wanted.has('dense') || wanted.has('hybrid') || (wanted.has('rerank') && rerank.base !== 'keyword');

  // Each leg keeps its best `depth` hits; ranks of located chunks come from the full scores without sorting them.
  let keywordScores: KeywordScores | undefined;
  let keywordTop: LegHit[] = [];
  if (needKeyword) {
    t = performance.now();
    keywordScores = index.keyword.score(req.query, allowed ? (id) => allowed.has(id) : undefined);
    keywordTop = keywordScores.top(depth);
    timings.keyword = performance.now() - t;
  }

  let dense: DenseRanking | undefined;
  let denseTop: LegHit[] = [];
  let denseError: string | undefined;
  if (needDense) {
    if (!index.embedder || !index.vectors) denseError = 'no embedding model configured for this index';
    else if (req.queryTransform && req.queryTransform.dims !== index.vectors.dims) denseError = `query adapter ${req.queryTransform.id} maps ${req.queryTransform.dims}-dim vectors, this index holds ${index.vectors.dims}-dim ones`;
    else {
      t = performance.now();
      const raw = await index.embedQuery(req.query, req.signal);
      timings.embedQuery = performance.now() - t;
      const qv = req.queryTransform ? req.queryTransform.apply(raw) : raw;
      t = performance.now();
      const vectors = index.vectors;
      dense = vectors.search(qv, depth, allowed ? (row: number) => allowed.has(vectors.idAt(row)) : undefined);
      denseTop = dense.top.map(({ row, score }) => ({ id: vectors.idAt(row), score }));
      timings.dense = performance.now() - t;
    }
  }

  let fused: FusedHit[] = [];
  if (wanted.has('hybrid') || (wanted.has('rerank') && rerank.base === 'hybrid')) {
    if (!denseError) {
      t = performance.now();
      const kwTop = keywordTop.slice(0, fusion.depth);
      const dnTop = denseTop.slice(0, fusion.depth);
      fused = fusion.method === 'rrf' ? reciprocalRankFusion(kwTop, dnTop, fusion.rrfK) : weightedScoreFusion(kwTop, dnTop, fusion.denseWeight, fusion.normalization);
      timings.hybrid = performance.now() - t;
    }
  }

  const results: SearchResponse['results'] = {};
  const errors: Partial<Record<RetrieverName, string>> = {};
  if (wanted.has('keyword')) {
    const top = keywordTop.slice(0, k);
    const terms = req.explain === false ? new Map<string, never[]>() : index.keyword.explain(req.query, top.map((h) => h.id));
    results.keyword = top.map((h, i) => hit(index, h.id, i + 1, h.score, { kind: 'keyword', bm25: h.score, terms: terms.get(h.id) ?? [] }));
  }
  if (wanted.has('dense')) {
    if (denseError) errors.dense = denseError;
    else results.dense = denseTop.slice(0, k).map((h, i) => hit(index, h.id, i + 1, h.score, { kind: 'dense', cosine: h.score }));
  }
  if (wanted.has('hybrid')) {
    if (denseError) errors.hybrid = denseError;
    else results.hybrid = fused.slice(0, k).map((h, i) => hit(index, h.id, i + 1, h.score, { kind: 'hybrid', method: fusion.method, keyword: h.keyword, dense: h.dense, fused: h.score }));
  }

  let reranked: Array<{ id: string; score: number; baseRank: number; baseScore: number }> = [];
  if (wanted.has('rerank')) {
    const base: LegHit[] = rerank.base === 'keyword' ? keywordTop : rerank.base === 'dense' ? denseTop : fused;
    if (!index.crossEncoder) errors.rerank = 'no reranker (cross-encoder) configured';
    else if (rerank.base !== 'keyword' && denseError) errors.rerank = denseError;
    else {
      t = performance.now();
      const candidates = base.slice(0, rerank.candidates);
      const scores = await index.crossEncoder.score(req.query, candidates.map((c) => (index.getChunk(c.id) as Chunk).text), { signal: req.signal });
      reranked = candidates
        .map((c, i) => ({ id: c.id, score: scores[i], baseRank: i + 1, baseScore: c.score }))
        .sort((a, b) => b.score - a.score || a.baseRank - b.baseRank);
      results.rerank = reranked.slice(0, k).map((h, i) =>
        hit(index, h.id, i + 1, h.score, { kind: 'rerank', crossEncoderScore: h.score, base: rerank.base, baseRank: h.baseRank, baseScore: h.baseScore, shift: h.baseRank - (i + 1) }),
      );
      timings.rerank = performance.now() - t;
    }
  }

  // Full-ranking positions of the chunks the caller asked about (e.g. labeled spans that were missed).
  const positions: SearchResponse['positions'] = {};
  for (const id of req.locate ?? []) {
    const p: Partial<Record<RetrieverName, RankPosition>> = {};
    const excluded = allowed !== undefined && !allowed.has(id);
    if (wanted.has('keyword')) p.keyword = (!excluded && keywordScores?.position(id)) || none();
    if (wanted.has('dense') && dense && index.vectors) {
      const row = index.vectors.rowIndex(id);
      p.dense = (!excluded && row !== undefined && dense.position(row)) || none();
    }
    if (wanted.has('hybrid') && !denseError) p.hybrid = excluded ? none() : rankIn(fused, id);
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

function none(): RankPosition {
  return { rank: null, score: null };
}

function rankIn(list: Array<{ id: string; score: number }>, id: string): RankPosition {
  const i = list.findIndex((h) => h.id === id);
  return i < 0 ? none() : { rank: i + 1, score: list[i].score };
}

function hit(index: WorkspaceIndex, id: string, rank: number, score: number, explanation: SearchHit['explanation']): SearchHit {
  return { chunkId: id, docId: index.getChunk(id)?.docId ?? '', rank, score, explanation };
}
