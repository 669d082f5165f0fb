import type { FusionLegExplanation } from './types';

export interface LegHit {
  id: string;
  score: number;
}

export interface FusedHit {
  id: string;
  score: number;
  keyword: FusionLegExplanation;
  dense: FusionLegExplanation;
}

/** RRF (Cormack et al. 2009): each leg adds 1 / (k + rank); a leg that did not return the chunk adds nothing. */
export function reciprocalRankFusion(keyword: LegHit[], dense: LegHit[], k: number): FusedHit[] {
  const fused = new Map<string, FusedHit>();
  const leg = (hits: LegHit[], name: 'keyword' | 'dense') => {
    hits.forEach((h, i) => {
      const rank = i + 1;
      const contribution = 1 / (k + rank);
      const entry = fused.get(h.id) ?? emptyHit(h.id);
      entry[name] = { rank, score: h.score, contribution };
      entry.score += contribution;
      fused.set(h.id, entry);
    });
  };
  leg(keyword, 'keyword');
  leg(dense, 'dense');
  return sortFused([...fused.values()]);
}

export function emptyHit(id: string): FusedHit {
  return { id, score: 0, keyword: { rank: null, score: null, contribution: 0 }, dense: { rank: null, score: null, contribution: 0 } };
}

export function sortFused(hits: FusedHit[]): FusedHit[] {
  return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
