import type { ChecklistItem } from '../eval/evidence-bar';
import type { EvalQuery } from '../eval/evalset-types';

/**
 * Synthetic queries in the readiness report. They teach and do not judge: in the train split (their default) they
 * count as training pairs, and the report says how many of the pairs are synthetic; every eval figure is computed on
 * the eval split alone, so they are in none. A synthetic query the user moved to the eval split does count in eval
 * figures, and the report then says so beside the pairs.
 */
export interface SyntheticShare {
  /** Relevant (grade ≥ 1) judgments of train queries: the training pairs the report counts. */
  trainPairs: number;
  /** Of them, on synthetic queries. */
  syntheticTrainPairs: number;
  /** Synthetic queries the user moved to the eval split (their figures include them). */
  syntheticEvalQueries: number;
}

export function syntheticShare(queries: readonly EvalQuery[]): SyntheticShare {
  const pairs = (q: EvalQuery) => q.judgments.filter((j) => j.grade >= 1).length;
  const train = queries.filter((q) => q.split === 'train');
  return {
    trainPairs: train.reduce((s, q) => s + pairs(q), 0),
    syntheticTrainPairs: train.filter((q) => q.source === 'synthetic').reduce((s, q) => s + pairs(q), 0),
    syntheticEvalQueries: queries.filter((q) => q.split === 'eval' && q.source === 'synthetic').length,
  };
}

/** The sentence added to "Enough training pairs" (empty when no query is synthetic). */
export function syntheticPairsNote(s: SyntheticShare): string {
  const parts: string[] = [];
  if (s.syntheticTrainPairs) parts.push(`${s.syntheticTrainPairs} of the ${s.trainPairs} labeled train pairs are synthetic (generate-queries)`);
  if (s.syntheticEvalQueries) parts.push(`${s.syntheticEvalQueries} synthetic ${s.syntheticEvalQueries === 1 ? 'query was' : 'queries were'} moved to the eval split and ${s.syntheticEvalQueries === 1 ? 'is' : 'are'} in its figures`);
  return parts.join('; ');
}

/** Adds the note to the checklist's "Enough training pairs" item, in place; returns the share for the report's JSON. */
export function noteSyntheticPairs(checklist: ChecklistItem[], queries: readonly EvalQuery[]): SyntheticShare {
  const s = syntheticShare(queries);
  const note = syntheticPairsNote(s);
  const item = checklist.find((c) => c.item === 'Enough training pairs');
  if (note && item) item.detail = `${item.detail}; ${note}`;
  return s;
}

/**
 * Judged synthetic queries an evaluation of `split` scores (0 for the eval split unless the user moved some there):
 * a figure that includes any says so, with this count.
 */
export function syntheticInFigures(queries: readonly EvalQuery[], split: 'eval' | 'train' | 'all'): number {
  return queries.filter((q) => q.source === 'synthetic' && q.judgments.length && (split === 'all' || q.split === split)).length;
}

export function syntheticFigureNote(n: number, scored: number): string {
  return `note: ${n} of the ${scored} scored queries are synthetic (generate-queries): written from their own passage, they flatter these figures`;
}
