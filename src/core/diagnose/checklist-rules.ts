import type { EvalQuery } from '../eval/evalset-types';
import { DEFAULT_POWER, queriesForPower } from '../eval/power';

/**
 * The readiness checklist's rules: each item is ticked only when the figure it rests on holds at a stated bar, and
 * carries that figure (n, p, CI where it has them) and the bar, so the views show the evidence beside the tick.
 * Three states: `met` (ticked), `not-met` (the evidence says no), `not-settled` (too little evidence to say; never
 * drawn as a tick), with what would settle it. Pure: the report gathers the figures, these decide.
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

// ---------------------------------------------------------------------------------------------------------------
// Real query failures

/**
 * Query sources that count as real: sampled from a query log ("log", src/core/eval/query-log-import.ts) or from
 * traces ("trace", for a future trace import). Absent (typed by hand while labeling) and "import" (created by a
 * judgment import: someone else's labels) are not real traffic.
 */
export const REAL_QUERY_SOURCES: readonly string[] = ['log', 'trace'];

export function isRealQuery(q: Pick<EvalQuery, 'source'>): boolean {
  return q.source !== undefined && REAL_QUERY_SOURCES.includes(q.source);
}

/**
 * "Real query failures collected": met when at least one real eval query (isRealQuery) is missed by the baseline.
 * Not met with no real eval query (hand-typed labels say what someone thought to ask, not what fails in use), or
 * when the real ones are all found.
 */
export function realFailuresItem(f: { evalQueries: number; realQueries: number; realMissedQueries: number; misses: number; noun: string }): ChecklistItem {
  const item = 'Real query failures collected';
  const evidence: ChecklistEvidence = { figure: `${f.realMissedQueries} of ${f.realQueries} real eval queries missed`, n: f.realQueries, nOf: 'real eval queries', bar: 'at least one eval query from a query log or trace (source "log" or "trace") that the baseline misses; hand-typed and judgment-imported queries do not count' };
  const all = `${f.misses} missed ${f.noun} over ${f.evalQueries} eval queries: ${f.realQueries} real (from query logs or traces), ${f.evalQueries - f.realQueries} hand-typed or imported`;
  if (!f.realQueries) return checklistItem(item, 'not-met', `${all}; no real query, so no real failure`, evidence, 'import real queries from a query log (retrieval-lens import-queries) and label them');
  if (!f.realMissedQueries) return checklistItem(item, 'not-met', `${all}; the baseline finds every real one`, evidence, 'import more real queries from a query log: none of these fails');
  return checklistItem(item, 'met', `${all}; ${f.realMissedQueries} real eval queries missed`, evidence);
}

// ---------------------------------------------------------------------------------------------------------------
// Training pairs

export interface PairAccounting {
  /** Labeled relevant judgments of the train split. */
  labeled: number;
  /** How the adapter trial used them, when it ran: fitted on, held out for early stopping, unusable and why. */
  used?: { fit: number; heldOut: number; heldOutQueries: number; noPositiveChunk: number; noVector: number };
}

/** "labeled pairs vs pairs used" in one sentence that adds up. */
export function pairsSentence(p: PairAccounting): string {
  if (!p.used) return `${p.labeled} labeled pairs in the train split`;
  const u = p.used;
  const why: string[] = [];
  if (u.heldOut) why.push(`${u.heldOut} held out for early stopping (${u.heldOutQueries} train ${u.heldOutQueries === 1 ? 'query' : 'queries'})`);
  if (u.noPositiveChunk) why.push(`${u.noPositiveChunk} with no chunk holding the label (not indexed or stale)`);
  if (u.noVector) why.push(`${u.noVector} whose chunk has no vector`);
  return `${p.labeled} labeled pairs in the train split, ${u.fit} used to fit the adapter${why.length ? `: ${why.join(', ')}` : ''}`;
}

/** "Enough training pairs": usable pairs (labeled minus the unusable ones) against the threshold. */
export function trainingPairsItem(p: PairAccounting, threshold: number): ChecklistItem {
  const usable = p.labeled - (p.used ? p.used.noPositiveChunk + p.used.noVector : 0);
  const evidence: ChecklistEvidence = { figure: `${usable} usable labeled pairs`, n: p.labeled, nOf: 'labeled pairs', bar: `${threshold} usable pairs (a pair is usable when a chunk of the index holds its label)` };
  const state: TickState = usable >= threshold ? 'met' : 'not-met';
  return checklistItem('Enough training pairs', state, `${pairsSentence(p)} (threshold ${threshold})`, evidence, state === 'met' ? undefined : `label about ${threshold - usable} more train pairs`);
}

// ---------------------------------------------------------------------------------------------------------------
// Remaining failures are semantic

/** Misses a share is read from before it is trusted: below 10, one miss moves the share by 10 points or more. */
export const MIN_MISSES_FOR_SHARE = 10;

export function semanticShareItem(f: { semantic: number; misses: number; evalQueries: number }): ChecklistItem {
  const item = 'Remaining failures are semantic';
  const share = f.misses ? f.semantic / f.misses : 0;
  // "1 miss of 4 (25%) survives every fix", "3 misses of 4 (75%) survive every fix": the verb agrees with the count.
  const survive = `${f.semantic} ${f.semantic === 1 ? 'miss' : 'misses'} of ${f.misses} (${Math.round(share * 100)}%) ${f.semantic === 1 ? 'survives' : 'survive'} every fix`;
  const evidence: ChecklistEvidence = { figure: survive, n: f.misses, nOf: 'misses', bar: `at least 50% of at least ${MIN_MISSES_FOR_SHARE} diagnosed misses` };
  const detail = survive;
  if (!f.misses) return checklistItem(item, 'not-met', `${detail}: nothing missed, nothing to fine-tune for`, evidence);
  // A share already below half stays below half unless most new misses are semantic: it is evidence against.
  if (share < 0.5) return checklistItem(item, 'not-met', detail, evidence);
  if (f.misses < MIN_MISSES_FOR_SHARE) {
    const perQuery = f.evalQueries ? f.misses / f.evalQueries : 0;
    const more = perQuery > 0 ? Math.ceil((MIN_MISSES_FOR_SHARE - f.misses) / perQuery) : undefined;
    return checklistItem(item, 'not-settled', `${detail}, on fewer than ${MIN_MISSES_FOR_SHARE} misses`, evidence, more ? `label about ${more} more eval queries (at the current ${perQuery.toFixed(2)} misses per query, to reach ${MIN_MISSES_FOR_SHARE} misses)` : `diagnose at least ${MIN_MISSES_FOR_SHARE} misses`);
  }
  return checklistItem(item, 'met', detail, evidence);
}

/** A fact, not an estimate: met or not, with its figure and bar. */
export function factItem(item: string, ok: boolean, detail: string, evidence: ChecklistEvidence, settle?: string): ChecklistItem {
  return checklistItem(item, ok ? 'met' : 'not-met', detail, evidence, ok ? undefined : settle);
}
