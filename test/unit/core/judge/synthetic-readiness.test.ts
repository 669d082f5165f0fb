import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainingPairsItem } from '../../../../src/core/diagnose/checklist-rules';
import type { EvalQuery, Judgment } from '../../../../src/core/eval/evalset-types';
import { noteSyntheticPairs, syntheticShare } from '../../../../src/core/judge/synthetic-readiness';

const j = (grade: 0 | 1 | 2 | 3): Judgment => ({ grade, target: { type: 'document', docId: `d${grade}` } });
const q = (id: string, split: 'train' | 'eval', judgments: Judgment[], source?: EvalQuery['source']): EvalQuery => ({ id, text: id, split, judgments, source });

describe('synthetic queries in the readiness report', () => {
  const queries = [
    q('t1', 'train', [j(3), j(0)]),
    q('s1', 'train', [j(2)], 'synthetic'),
    q('s2', 'train', [j(2), j(1)], 'synthetic'),
    q('e1', 'eval', [j(3)], 'log'),
  ];
  it('counts the train pairs that are synthetic (relevant judgments only)', () => {
    assert.deepEqual(syntheticShare(queries), { trainPairs: 4, syntheticTrainPairs: 3, syntheticEvalQueries: 0 });
  });
  it('says so beside "Enough training pairs", and names synthetic queries moved to the eval split', () => {
    const checklist = [trainingPairsItem({ labeled: 4 }, 1000)];
    noteSyntheticPairs(checklist, [...queries, q('s3', 'eval', [j(2)], 'synthetic')]);
    assert.match(checklist[0].detail, /^4 labeled pairs in the train split \(threshold 1000\); 3 of the 4 labeled train pairs are synthetic \(generate-queries\); 1 synthetic query was moved to the eval split and is in its figures$/);
  });
  it('adds nothing when no query is synthetic', () => {
    const checklist = [trainingPairsItem({ labeled: 1 }, 1000)];
    const before = checklist[0].detail;
    noteSyntheticPairs(checklist, [q('t1', 'train', [j(3)])]);
    assert.equal(checklist[0].detail, before);
  });
});
