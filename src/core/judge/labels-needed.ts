import { DEFAULT_POWER, queriesForPower, sampleSd, type PowerOptions } from '../eval/power';

/**
 * How many labels are enough: from the paired per-query differences of two configurations (B − A on one measure,
 * as compare / the readiness report compute them), the eval queries a paired test needs to detect a gain of a
 * stated size with the stated power — the normal approximation of eval/power.ts (assumptions stated there: the
 * per-query differences are independent, their mean close to normal, and the spread measured here holds for new
 * queries). Asked for two gains by default: a stated +0.02 (a small gain worth shipping on nDCG@10) and the gain
 * measured on the queries at hand, when there is one.
 */
export const DEFAULT_STATED_GAIN = 0.02;

export interface LabelsNeeded {
  /** "stated" (a gain the user names; default +0.02) or "measured" (the mean difference on these queries). */
  kind: 'stated' | 'measured';
  delta: number;
  sd: number;
  /** Eval queries needed in all (Infinity when the spread is unknown or there is no gain to detect). */
  queries: number;
  /** Beyond the queries at hand (0 when enough). */
  more: number;
  /** One line saying it, with the method. */
  line: string;
  /** The same without the method: "to detect +0.020: about 197 eval queries (40 now; label about 157 more)". */
  summary: string;
  /** The method and its assumptions, in one line (the same for every gain asked of one comparison). */
  method: string;
}

/** What the normal approximation assumes (eval/power.ts), said wherever its figure is shown. */
export const POWER_ASSUMPTIONS = 'assumes the per-query differences are independent, their mean close to normal, and the spread measured here holds for new queries; a planning figure, not evidence';

export type LabelsNeededOptions = Partial<PowerOptions> & { statedGain?: number };

/** From the per-query differences themselves. */
export function labelsNeeded(diffs: number[], options: LabelsNeededOptions = {}): LabelsNeeded[] {
  const n = diffs.length;
  return labelsNeededFrom({ n, mean: n ? diffs.reduce((s, d) => s + d, 0) / n : 0, sd: sampleSd(diffs) }, options);
}

/** From a paired comparison's summary (significance.ts's Comparison: queries, meanDiff, sdDiff). */
export function labelsNeededFrom(d: { n: number; mean: number; sd: number }, options: LabelsNeededOptions = {}): LabelsNeeded[] {
  const power = { ...DEFAULT_POWER, ...options };
  const { n, mean, sd } = d;
  const gains: Array<{ kind: LabelsNeeded['kind']; delta: number }> = [{ kind: 'stated', delta: options.statedGain ?? DEFAULT_STATED_GAIN }];
  if (mean > 0) gains.push({ kind: 'measured', delta: mean });
  const method = `paired test, normal approximation: n = ((z${sub(1 - power.alpha / 2)} + z${sub(power.power)})·sd/δ)², sd ${sd.toFixed(3)} of ${n} per-query differences, α ${power.alpha} two-sided, power ${power.power}`;
  return gains.map(({ kind, delta }) => {
    const known = n >= 2;
    const queries = known ? queriesForPower(sd, delta, power) : Infinity;
    const more = Number.isFinite(queries) ? Math.max(0, queries - n) : Infinity;
    const what = `${kind === 'measured' ? 'the measured gain ' : ''}${delta >= 0 ? '+' : ''}${delta.toFixed(3)}`;
    const summary = !known
      ? `to detect ${what}: unknown (the spread of the per-query differences needs at least 2 queries)`
      : `to detect ${what}: about ${queries} eval queries (${n} now${more > 0 ? `; label about ${more} more` : '; enough'})`;
    const line = known ? `${summary} — ${method}` : summary;
    return { kind, delta, sd, queries, more, line, summary, method: `${method}; ${POWER_ASSUMPTIONS}` };
  });
}

function sub(p: number): string {
  const digits: Record<string, string> = { '0': '₀', '1': '₁', '2': '₂', '3': '₃', '4': '₄', '5': '₅', '6': '₆', '7': '₇', '8': '₈', '9': '₉', '.': '.' };
  return String(Number(p.toFixed(4))).split('').map((c) => digits[c] ?? c).join('');
}
