import type { LearningPoint } from './trial-finetune';

/**
 * How many training pairs are enough, read from the learning curve (adapters fitted on growing shares of the pairs,
 * each measured on the whole eval split). The reading: a least-squares line of the gain against log2(pairs) over the
 * points with pairs > 0 — learning curves of this kind flatten roughly log-linearly, so the slope is the gain each
 * doubling of the pairs adds — and the pairs at which the fitted gain would rise by a stated step (+0.02 nDCG@10)
 * above its value at the pairs used now: current pairs × 2^(step / slope). That is an extrapolation of a fit over a
 * few points, not a guarantee; it is given only when the curve can be read:
 *   - at least MIN_CURVE_POINTS points with pairs > 0 (two points fit any line exactly);
 *   - a rising fit (slope > 0: a flat or falling curve says more pairs of this kind do not help);
 *   - the last step (second-last point to the last) outside the noise, as readCurve decides it (lastStep): a step
 *     inside the full adapter's CI half width cannot tell whether the curve still rises.
 * The answer is capped at PAIRS_CAP_FACTOR × the pairs used now; beyond that it says so rather than give a figure.
 */
export const DEFAULT_PAIRS_STEP = 0.02;
export const MIN_CURVE_POINTS = 3;
export const PAIRS_CAP_FACTOR = 100;

/** The curve's last step and its noise: the full-data CI's half width. Shared with readCurve, so the two agree. */
export function lastStep(curve: Pick<LearningPoint, 'delta' | 'ci95'>[]): { step: number; half: number; insideNoise: boolean } | undefined {
  if (curve.length < 2) return undefined;
  const last = curve[curve.length - 1];
  const prev = curve[curve.length - 2];
  const half = (last.ci95[1] - last.ci95[0]) / 2;
  const step = last.delta - prev.delta;
  return { step, half, insideNoise: Math.abs(step) < half };
}

export interface PairsNeeded {
  /** True when the curve could be read (then `slope`, `intercept` and either `pairs` or `beyondCap` are set). */
  readable: boolean;
  /** Why not, when it cannot be read. */
  reason?: string;
  /** Points the fit used (pairs > 0). */
  points: number;
  /** Pairs the last (full) point was fitted on. */
  currentPairs: number;
  /** Gain (nDCG@10) the fit adds per doubling of the pairs, and its value at 1 pair (gain = intercept + slope·log2(pairs)). */
  slope?: number;
  intercept?: number;
  /** The stated step above the fitted gain at the current pairs. */
  step: number;
  /** The fitted gain at the current pairs, and the gain it is asked to reach (that + step). */
  fittedNow?: number;
  target?: number;
  /** Training pairs in all at which the fitted gain reaches the target (rounded up); absent beyond the cap. */
  pairs?: number;
  /** Pairs beyond the current ones. */
  more?: number;
  /** The answer lies beyond PAIRS_CAP_FACTOR × the current pairs. */
  beyondCap?: boolean;
  /** One line saying it, with the method and its caveat. */
  line: string;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** Least squares of y on x: slope and intercept; undefined when the x do not vary. */
export function leastSquares(xs: number[], ys: number[]): { slope: number; intercept: number } | undefined {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (!(sxx > 1e-12)) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** The training pairs needed for the fitted gain to rise by `step` above its value now, or why the curve cannot say. */
export function pairsNeeded(curve: Pick<LearningPoint, 'pairs' | 'delta' | 'ci95'>[], step = DEFAULT_PAIRS_STEP): PairsNeeded {
  const used = curve.filter((p) => p.pairs > 0);
  const currentPairs = curve.length ? curve[curve.length - 1].pairs : 0;
  const what = `training pairs for another ${signed(step)} nDCG@10`;
  const no = (reason: string): PairsNeeded => ({ readable: false, reason, points: used.length, currentPairs, step, line: `${what}: the learning curve cannot be read — ${reason}` });
  if (used.length < MIN_CURVE_POINTS) {
    return no(`${used.length} ${used.length === 1 ? 'point' : 'points'} with pairs; a fit needs at least ${MIN_CURVE_POINTS} (trial-finetune's curve has 25%, 50% and 100% of the pairs)`);
  }
  const fit = leastSquares(used.map((p) => Math.log2(p.pairs)), used.map((p) => p.delta));
  if (!fit) return no(`every point has the same number of pairs (${used[0].pairs})`);
  const { slope, intercept } = fit;
  const base = { points: used.length, currentPairs, step, slope, intercept };
  if (!(slope > 1e-12)) return { ...no(`the gain does not rise with the pairs (fitted ${signed(slope)} per doubling)`), ...base };
  const noise = lastStep(curve);
  if (noise?.insideNoise) {
    return { ...no(`the last step (${signed(noise.step)}) is inside the noise (CI half width ±${noise.half.toFixed(3)}), so the curve cannot tell whether more pairs help`), ...base };
  }
  const fittedNow = intercept + slope * Math.log2(currentPairs);
  const target = fittedNow + step;
  const factor = 2 ** (step / slope);
  const how = `an extrapolation of a log-linear fit (gain against log2 pairs, least squares over ${used.length} points: ${signed(slope)} per doubling), not a guarantee`;
  if (factor > PAIRS_CAP_FACTOR) {
    return { ...base, readable: true, fittedNow, target, beyondCap: true, line: `${what}: more than ${PAIRS_CAP_FACTOR}× the ${currentPairs} pairs you have — ${how}` };
  }
  const pairs = Math.ceil(currentPairs * factor - 1e-9);
  const more = Math.max(0, pairs - currentPairs);
  return { ...base, readable: true, fittedNow, target, pairs, more, line: `${what}: about ${pairs} pairs (${currentPairs} now; label about ${more} more) for the fitted gain to reach ${signed(target)} — ${how}` };
}
