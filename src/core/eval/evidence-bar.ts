import { DEFAULT_POWER, queriesForPower } from './power';

/**
 * The evidence and bars behind a readiness checklist's ticks: each item is ticked only when the figure it rests on
 * holds at a stated bar, and carries that figure (n, p, CI where it has them) and the bar, so the views show the
 * evidence beside the tick. Three states: `met` (ticked), `not-met` (the evidence says no), `not-settled` (too little
 * evidence to say; never drawn as a tick), with what would settle it. The rules that use them are in
 * src/core/diagnose/checklist-rules.ts (the report's items) and src/core/adapt/readiness-gain.ts (the adapter's gain).
 */
export type TickState = 'met' | 'not-met' | 'not-settled';

export interface ChecklistEvidence {
  /** What was measured, as shown (e.g. "+0.036 nDCG@10", "0 of 21 eval queries"). */
  figure: string;
  /** How many items the figure rests on, and what they are. */
  n?: number;
  nOf?: string;
  p?: number;
  ci95?: [number, number];
  /** The bar the item is held to, in words. */
  bar: string;
}

export interface ChecklistItem {
  item: string;
  state: TickState;
  /** state === 'met' (kept for readers of the JSON report). */
  ok: boolean;
  detail: string;
  evidence: ChecklistEvidence;
  /** What would settle it, when it is not met or not settled. */
  settle?: string;
}

export function checklistItem(item: string, state: TickState, detail: string, evidence: ChecklistEvidence, settle?: string): ChecklistItem {
  return { item, state, ok: state === 'met', detail, evidence, ...(settle ? { settle } : {}) };
}

const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The evidence as one line, as the views print it beside the tick. */
export function evidenceLine(e: ChecklistEvidence): string {
  const parts = [e.figure];
  if (e.n !== undefined) parts.push(`n = ${e.n}${e.nOf ? ` ${e.nOf}` : ''}`);
  if (e.p !== undefined) parts.push(`p = ${e.p.toFixed(3)}`);
  if (e.ci95) parts.push(`95% CI [${sign(e.ci95[0])}, ${sign(e.ci95[1])}]`);
  return `${parts.join(', ')} — bar: ${e.bar}`;
}

/** The box in front of an item in the Markdown report: [x] met, [ ] not met, [?] not settled. */
export const STATE_MARK: Record<TickState, string> = { met: '[x]', 'not-met': '[ ]', 'not-settled': '[?]' };
export const STATE_NAME: Record<TickState, string> = { met: 'met', 'not-met': 'not met', 'not-settled': 'not settled' };

/** A fact, not an estimate: met or not, with its figure and bar. */
export function factItem(item: string, ok: boolean, detail: string, evidence: ChecklistEvidence, settle?: string): ChecklistItem {
  return checklistItem(item, ok ? 'met' : 'not-met', detail, evidence, ok ? undefined : settle);
}

// ---------------------------------------------------------------------------------------------------------------
// Expected gain from adapting the model

/**
 * When a measured gain counts as shown: the paired randomization test and the bootstrap CI agree (p ≤ α AND the
 * CI's lower bound > 0) on at least `minQueries` eval queries.
 *
 * Why 30: both the bootstrap percentile interval and the normal approximation behind the power estimate lean on the
 * mean of the per-query differences being close to normal, the usual rule of thumb being about 30 paired values;
 * below that the bootstrap interval is known to be too narrow (it undercovers), so a lower bound just above zero on
 * 21 queries is not evidence, and a single query can swing p across 0.05.
 */
export interface GainRule {
  alpha: number;
  minQueries: number;
  /** For "label about N more": the power of the planned test (α as above). */
  power: number;
}

export const DEFAULT_GAIN_RULE: GainRule = { alpha: 0.05, minQueries: 30, power: DEFAULT_POWER.power };

export interface GainFigures {
  /** Mean paired difference (adapted − baseline) over the eval queries. */
  delta: number;
  ci95: [number, number];
  pValue: number;
  /** Eval queries paired. */
  n: number;
  /** Sample SD of the per-query differences. */
  sdDiff: number;
}

export interface GainJudgement {
  state: TickState;
  /** Eval queries the power estimate asks for (Infinity when there is no gain to detect). */
  powerQueries: number;
  /** More eval queries to label (0 when met or when more would not help). */
  more: number;
  /** Why, in one clause. */
  why: string;
  settle?: string;
}

/**
 * Judges a measured gain by the rule. `more` = max(minQueries, power estimate) − n, the power estimate being the
 * normal-approximation sample size of a paired test to detect δ = the measured gain with the measured SD
 * (src/core/eval/power.ts; α = 0.05 two-sided, power 0.8).
 */
export function judgeGain(g: GainFigures, rule: GainRule = DEFAULT_GAIN_RULE): GainJudgement {
  const powerQueries = queriesForPower(g.sdDiff, g.delta, { alpha: rule.alpha, power: rule.power });
  const agree = g.pValue <= rule.alpha && g.ci95[0] > 0;
  const method = `n = ((z₀.₉₇₅ + z₀.₈)·sd/δ)², sd ${g.sdDiff.toFixed(3)} of the per-query differences, δ ${sign(g.delta)} the measured gain, α ${rule.alpha} two-sided, power ${rule.power}, normal approximation, assuming the true gain is as large as measured`;
  if (!(g.delta > 0) || g.ci95[1] <= 0) {
    return { state: 'not-met', powerQueries, more: 0, why: 'the adapter shows no gain on these labels' };
  }
  if (g.n >= rule.minQueries && agree) return { state: 'met', powerQueries, more: 0, why: `p ≤ ${rule.alpha} and the CI's lower bound is above zero on ${g.n} eval queries` };
  // Without the per-query spread (a report written before it was kept) there is no power estimate: the minimum only.
  const known = Number.isFinite(powerQueries);
  const need = known ? Math.max(rule.minQueries, powerQueries) : rule.minQueries;
  const reasons: string[] = [];
  if (g.pValue > rule.alpha) reasons.push(`p = ${g.pValue.toFixed(3)} > ${rule.alpha}`);
  if (g.ci95[0] <= 0) reasons.push(`the CI's lower bound ${sign(g.ci95[0])} is not above zero`);
  if (g.n < rule.minQueries) reasons.push(`${g.n} eval queries, fewer than the ${rule.minQueries} the rule asks for`);
  if (need > g.n) {
    const more = need - g.n;
    const how = known ? `${need} in all: the larger of the ${rule.minQueries}-query minimum and a power estimate of ${powerQueries} — ${method}` : `the ${rule.minQueries}-query minimum; no power estimate: the spread of the per-query differences is unknown`;
    return { state: 'not-settled', powerQueries, more, why: reasons.join('; '), settle: `label about ${more} more eval queries (${how})` };
  }
  if (!known) return { state: 'not-settled', powerQueries, more: 0, why: reasons.join('; '), settle: 'label more eval queries (no power estimate: the spread of the per-query differences is unknown)' };
  // As many queries as the power estimate asks for, and the test still does not confirm the gain.
  return { state: 'not-met', powerQueries, more: 0, why: `${reasons.join('; ')}, on as many queries as a power estimate asks for (${powerQueries}; ${method}): the gain is smaller than measured or absent` };
}

/** Combines per-level judgements (a mixed eval set is judged at each level): met only when met at every level. */
export function combineStates(states: TickState[]): TickState {
  if (states.length && states.every((s) => s === 'met')) return 'met';
  if (states.includes('not-met')) return 'not-met';
  return 'not-settled';
}
