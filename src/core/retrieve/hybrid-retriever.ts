import type { HitMaker } from './keyword-retriever';
import { reciprocalRankFusion, type FusedHit, type LegHit } from './reciprocal-rank-fusion';
import type { FusionConfig, SearchHit } from './types';
import { weightedScoreFusion } from './weighted-score-fusion';

/** The hybrid retriever: the keyword and dense legs' best `fusion.depth` fused by RRF or weighted score fusion. */
export function fuseLegs(keywordTop: LegHit[], denseTop: LegHit[], fusion: FusionConfig): FusedHit[] {
  const kw = keywordTop.slice(0, fusion.depth);
  const dn = denseTop.slice(0, fusion.depth);
  return fusion.method === 'rrf' ? reciprocalRankFusion(kw, dn, fusion.rrfK) : weightedScoreFusion(kw, dn, fusion.denseWeight, fusion.normalization);
}

/** The hybrid retriever's top k, each hit with both legs' ranks and contributions. */
export function hybridHits(fused: FusedHit[], k: number, fusion: FusionConfig, hit: HitMaker): SearchHit[] {
  return fused.slice(0, k).map((h, i) => hit(h.id, i + 1, h.score, { kind: 'hybrid', method: fusion.method, keyword: h.keyword, dense: h.dense, fused: h.score }));
}
