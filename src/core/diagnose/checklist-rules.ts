import type { EvalQuery } from '../eval/evalset-types';
import { checklistItem, type ChecklistEvidence, type ChecklistItem, type TickState } from '../eval/evidence-bar';
import { pairsSentence, type PairAccounting } from '../adapt/trial-report';

/**
 * The readiness checklist's rules: each item is ticked only when the figure it rests on holds at a stated bar, and
 * carries that figure (n, p, CI where it has them) and the bar, so the views show the evidence beside the tick.
 * Three states: `met` (ticked), `not-met` (the evidence says no), `not-settled` (too little evidence to say; never
 * drawn as a tick), with what would settle it. Pure: the report gathers the figures, these decide. The states, the
 * evidence and the bar for a measured gain are in src/core/eval/evidence-bar.ts.
 */

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

/** "Enough training pairs": usable pairs (labeled minus the unusable ones) against the threshold. */
export function trainingPairsItem(p: PairAccounting, threshold: number): ChecklistItem {
  const usable = p.labeled - (p.used ? p.used.noPositiveChunk + p.used.noVector : 0);
  const evidence: ChecklistEvidence = { figure: `${usable} usable labeled pairs`, n: p.labeled, nOf: 'labeled pairs', bar: `${threshold} usable pairs (a pair is usable when a chunk of the index holds its label)` };
  const state: TickState = usable >= threshold ? 'met' : 'not-met';
  return checklistItem('Enough training pairs', state, `${pairsSentence(p)} (threshold ${threshold})`, evidence, state === 'met' ? undefined : `label about ${threshold - usable} more train pairs`);
}

/**
 * Relevant (grade ≥ 1) judgments of train-split queries: the labeled training pairs the checklist counts. On queries
 * with judge grades added (withJudgeGrades) they include the judge's.
 */
export function labeledTrainPairs(queries: readonly EvalQuery[]): number {
  return queries.filter((q) => q.split === 'train').reduce((s, q) => s + q.judgments.filter((j) => j.grade >= 1).length, 0);
}

/** The sentence added to "Enough training pairs" when judge labels count among them ("" when none do). */
export function judgePairsNote(f: { judgePairs: number; labeled: number; judge: string }): string {
  if (!f.judgePairs) return '';
  return `${f.judgePairs} of the ${f.labeled} labeled train pairs are judge labels (${f.judge}, on passages no human graded)`;
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
