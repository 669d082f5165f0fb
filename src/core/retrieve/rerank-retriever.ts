import type { Chunk } from '../chunking/chunk';
import type { HitMaker } from './keyword-retriever';
import type { LegHit } from './reciprocal-rank-fusion';
import type { SearchableIndex } from './searchable-index';
import type { RerankConfig, SearchHit } from './types';

export interface Reranked {
  id: string;
  score: number;
  baseRank: number;
  baseScore: number;
}

/** The reranked retriever: the base retriever's best `candidates` scored jointly with the query by the cross-encoder. */
export async function rerankCandidates(index: SearchableIndex, query: string, base: LegHit[], rerank: RerankConfig, signal: AbortSignal | undefined): Promise<Reranked[]> {
  const crossEncoder = index.crossEncoder;
  if (!crossEncoder) throw new Error('no reranker (cross-encoder) configured');
  const candidates = base.slice(0, rerank.candidates);
  const scores = await crossEncoder.score(query, candidates.map((c) => (index.getChunk(c.id) as Chunk).text), { signal });
  return candidates.map((c, i) => ({ id: c.id, score: scores[i], baseRank: i + 1, baseScore: c.score })).sort((a, b) => b.score - a.score || a.baseRank - b.baseRank);
}

/** The reranked retriever's top k, each hit with the cross-encoder score and how far it moved from its base rank. */
export function rerankHits(reranked: Reranked[], k: number, rerank: RerankConfig, hit: HitMaker): SearchHit[] {
  return reranked.slice(0, k).map((h, i) => hit(h.id, i + 1, h.score, { kind: 'rerank', crossEncoderScore: h.score, base: rerank.base, baseRank: h.baseRank, baseScore: h.baseScore, shift: h.baseRank - (i + 1) }));
}
