/**
 * How many eval queries a paired comparison needs to detect a gain of a given size: the normal approximation of a
 * paired test's sample size,
 *
 *   n = ((z_{1−α/2} + z_{power}) · sd / δ)²
 *
 * with sd the standard deviation of the per-query differences (B − A), δ the gain to detect, two-sided α.
 * Assumptions, stated where the figure is shown: the per-query differences are independent and their mean is close
 * to normal (true for a few dozen queries, the reason the readiness report wants 30 before it trusts the test); the
 * spread measured on the queries at hand holds for new ones; and δ is the measured gain — if the true gain is
 * smaller, more queries are needed. It is a planning figure (how many to label next), not evidence itself.
 */

/** Φ⁻¹(p): the standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface PowerOptions {
  /** Two-sided significance level (default 0.05). */
  alpha: number;
  /** Probability of detecting a true gain of size δ (default 0.8). */
  power: number;
}

export const DEFAULT_POWER: PowerOptions = { alpha: 0.05, power: 0.8 };

/**
 * Queries needed (rounded up) to detect a mean paired difference `delta` with per-query standard deviation `sd`;
 * Infinity when there is no gain to detect (δ ≤ 0) or nothing is known about the spread (sd not finite).
 * With sd = 0 and δ > 0 every query agrees: one query would do.
 */
export function queriesForPower(sd: number, delta: number, options: Partial<PowerOptions> = {}): number {
  const { alpha, power } = { ...DEFAULT_POWER, ...options };
  if (!(delta > 0) || !Number.isFinite(sd) || sd < 0) return Infinity;
  if (sd === 0) return 1;
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.max(1, Math.ceil(((z * sd) / delta) ** 2 - 1e-9));
}

/** Sample standard deviation (n − 1) of per-query differences; 0 for fewer than two. */
export function sampleSd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}
