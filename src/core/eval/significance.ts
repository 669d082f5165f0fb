import { sampleSd } from './power';

/** Paired comparison of two runs on the same queries: randomization test, bootstrap CI, wins and losses. */
export interface Comparison {
  measure: string;
  queries: number;
  meanA: number;
  meanB: number;
  /** mean(B − A) */
  meanDiff: number;
  /** Two-sided p of the paired randomization (sign-flip) test. */
  pValue: number;
  /** 95% bootstrap confidence interval of mean(B − A). */
  ci95: [number, number];
  /** Sample standard deviation (n − 1) of the per-query differences B − A: the spread a power estimate needs. */
  sdDiff: number;
  wins: Array<{ qid: string; a: number; b: number }>;
  losses: Array<{ qid: string; a: number; b: number }>;
  ties: number;
}

/** mulberry32: a small seeded PRNG so p-values and intervals are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Compares per-query values of one measure. Queries present in only one side count as 0 there (as trec_eval -c).
 * With n ≤ 16 queries the randomization test enumerates all 2^n sign flips exactly; otherwise it samples
 * `permutations` of them (p = (extreme + 1) / (permutations + 1)).
 */
export function compareRuns(
  a: Record<string, Record<string, number>>,
  b: Record<string, Record<string, number>>,
  measure: string,
  options: { permutations?: number; bootstrap?: number; seed?: number } = {},
): Comparison {
  const qids = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const va = qids.map((q) => a[q]?.[measure] ?? 0);
  const vb = qids.map((q) => b[q]?.[measure] ?? 0);
  const diffs = qids.map((_, i) => vb[i] - va[i]);
  const n = diffs.length;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  const observed = Math.abs(mean(diffs));
  const eps = 1e-12;
  let pValue = 1;
  if (n > 0 && observed > eps) {
    if (n <= 16) {
      let extreme = 0;
      for (let mask = 0; mask < 1 << n; mask++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += mask & (1 << i) ? -diffs[i] : diffs[i];
        if (Math.abs(s / n) >= observed - eps) extreme++;
      }
      pValue = extreme / (1 << n);
    } else {
      const rand = seededRandom(options.seed ?? 42);
      const perms = options.permutations ?? 10_000;
      let extreme = 0;
      for (let p = 0; p < perms; p++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += rand() < 0.5 ? -diffs[i] : diffs[i];
        if (Math.abs(s / n) >= observed - eps) extreme++;
      }
      pValue = (extreme + 1) / (perms + 1);
    }
  }
  const rand = seededRandom((options.seed ?? 42) + 1);
  const boots: number[] = [];
  const B = options.bootstrap ?? 10_000;
  for (let r = 0; r < B && n > 0; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += diffs[Math.floor(rand() * n)];
    boots.push(s / n);
  }
  boots.sort((x, y) => x - y);
  const q = (p: number) => (boots.length ? boots[Math.min(boots.length - 1, Math.max(0, Math.floor(p * boots.length)))] : 0);
  const wins: Comparison['wins'] = [];
  const losses: Comparison['losses'] = [];
  let ties = 0;
  qids.forEach((qid, i) => {
    if (diffs[i] > eps) wins.push({ qid, a: va[i], b: vb[i] });
    else if (diffs[i] < -eps) losses.push({ qid, a: va[i], b: vb[i] });
    else ties++;
  });
  wins.sort((x, y) => y.b - y.a - (x.b - x.a));
  losses.sort((x, y) => x.b - x.a - (y.b - y.a));
  return { measure, queries: n, meanA: mean(va), meanB: mean(vb), meanDiff: mean(diffs), pValue, ci95: [q(0.025), q(0.975)], sdDiff: sampleSd(diffs), wins, losses, ties };
}
