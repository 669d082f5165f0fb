import { emptyHit, sortFused, type FusedHit, type LegHit } from './reciprocal-rank-fusion';

export type Normalization = 'min-max' | 'z-score';

/**
 * fused = w · norm(dense) + (1 − w) · norm(keyword), each leg normalised over its own returned candidates.
 * A chunk missing from a leg gets that leg's lowest normalised value (min-max: 0; z-score: the leg's minimum),
 * so being absent is never better than being last.
 */
export function weightedScoreFusion(keyword: LegHit[], dense: LegHit[], denseWeight: number, normalization: Normalization): FusedHit[] {
  if (!(denseWeight >= 0 && denseWeight <= 1)) throw new Error(`dense weight must be within [0, 1], got ${denseWeight}`);
  const kw = normalize(keyword, normalization);
  const dn = normalize(dense, normalization);
  const kwFloor = kw.length ? Math.min(...kw.map((x) => x.norm)) : 0;
  const dnFloor = dn.length ? Math.min(...dn.map((x) => x.norm)) : 0;
  const fused = new Map<string, FusedHit>();
  const kwById = new Map(kw.map((x, i) => [x.id, { ...x, rank: i + 1 }]));
  const dnById = new Map(dn.map((x, i) => [x.id, { ...x, rank: i + 1 }]));
  for (const id of new Set([...kwById.keys(), ...dnById.keys()])) {
    const h = emptyHit(id);
    const k = kwById.get(id);
    const d = dnById.get(id);
    const kn = k ? k.norm : normalization === 'min-max' ? 0 : kwFloor;
    const dnv = d ? d.norm : normalization === 'min-max' ? 0 : dnFloor;
    h.keyword = { rank: k?.rank ?? null, score: k?.score ?? null, normalized: kn, contribution: (1 - denseWeight) * kn };
    h.dense = { rank: d?.rank ?? null, score: d?.score ?? null, normalized: dnv, contribution: denseWeight * dnv };
    h.score = h.keyword.contribution + h.dense.contribution;
    fused.set(id, h);
  }
  return sortFused([...fused.values()]);
}

function normalize(hits: LegHit[], how: Normalization): Array<LegHit & { norm: number }> {
  if (!hits.length) return [];
  const scores = hits.map((h) => h.score);
  if (how === 'min-max') {
    const min = Math.min(...scores);
    const max = Math.max(...scores);
    return hits.map((h) => ({ ...h, norm: max > min ? (h.score - min) / (max - min) : 1 }));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
  return hits.map((h) => ({ ...h, norm: sd > 0 ? (h.score - mean) / sd : 0 }));
}
