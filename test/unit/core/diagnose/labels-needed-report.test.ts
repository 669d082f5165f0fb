import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelsNeededLines, readinessLabelsNeeded, type AdapterGain } from '../../../../src/core/adapt/readiness-gain';
import { pairsNeeded } from '../../../../src/core/adapt/pairs-needed';
import { labelsNeededFrom } from '../../../../src/core/judge/labels-needed';

const gain = (over: Partial<AdapterGain> = {}): AdapterGain => ({
  measured: true, level: 'chunk', trainPairs: 100, evalQueries: 20, baseline: 0.4, adapted: 0.431, delta: 0.031, ci95: [-0.01, 0.07], pValue: 0.12, sdDiff: 0.1,
  hybridDelta: null, hybridPValue: null, worsened: 3, improved: 8, trainEvalGap: 0.1, learningReading: '', usPerQuery: 500, multiplyAdds: 384 * 384, trainingSeconds: 2, ...over,
});

describe('the readiness report: how many labels are enough', () => {
  it('gives the eval queries to detect +0.02 and the measured gain from the adapter\'s paired per-query differences', () => {
    const l = readinessLabelsNeeded(gain());
    assert.equal(l.measured, true);
    assert.deepEqual(l.basis, { level: 'chunk', n: 20, mean: 0.031, sd: 0.1 });
    assert.deepEqual(l.evalQueries, labelsNeededFrom({ n: 20, mean: 0.031, sd: 0.1 }));
    // By hand: ((1.959964 + 0.841621) · 0.1 / 0.031)² = 81.67 → 82 queries, 62 more; +0.02: 196.2 → 197, 177 more.
    assert.deepEqual(l.evalQueries.map((x) => [x.kind, x.queries, x.more]), [['stated', 197, 177], ['measured', 82, 62]]);
    assert.equal(l.headline, "label about 62 more eval queries to tell whether the adapter's +0.031 is real (about 82 in all, 20 now)");
    assert.match(l.method ?? '', /^paired test, normal approximation: .* α 0\.05 two-sided, power 0\.8; assumes the per-query differences are independent/);
    const lines = labelsNeededLines(l);
    assert.equal(lines[0], "Label about 62 more eval queries to tell whether the adapter's +0.031 is real (about 82 in all, 20 now).");
    assert.equal(lines[1], 'Eval queries to detect +0.020: about 197 eval queries (20 now; label about 177 more).');
    assert.match(lines[3], /^Method: paired test, normal approximation.*from the adapter's 20 paired per-query nDCG@10 differences \(adapted − baseline dense, eval split, chunk level: mean \+0\.031, SD 0\.100\)\.$/);
  });

  it('says when the queries at hand are enough, when the adapter shows no gain, and carries the training-pairs reading', () => {
    assert.equal(readinessLabelsNeeded(gain({ evalQueries: 100 })).headline, "the 100 eval queries are enough to tell whether the adapter's +0.031 is real (about 82 needed)");
    const none = readinessLabelsNeeded(gain({ delta: -0.01 }));
    assert.equal(none.evalQueries.length, 1);
    assert.equal(none.headline, 'the adapter shows no gain (-0.010) to tell apart from zero; to detect +0.020: label about 177 more eval queries (about 197 in all)');
    const curve = pairsNeeded([
      { pairs: 25, delta: 0.01, ci95: [0.005, 0.015] },
      { pairs: 50, delta: 0.02, ci95: [0.015, 0.025] },
      { pairs: 100, delta: 0.03, ci95: [0.025, 0.035] },
    ]);
    const withCurve = readinessLabelsNeeded(gain({ pairsNeeded: curve }));
    assert.equal(withCurve.trainingPairs?.pairs, 400);
    assert.match(labelsNeededLines(withCurve).at(-1) ?? '', /^Training pairs for another \+0\.020 nDCG@10: about 400 pairs/);
  });

  it('gives no figure, only why, when the adapter trial did not run or could not measure', () => {
    const off = readinessLabelsNeeded(undefined, 'the adapter trial did not run: the adapter trial was switched off');
    assert.equal(off.measured, false);
    assert.deepEqual(off.evalQueries, []);
    assert.deepEqual(labelsNeededLines(off), ['Not estimated: the adapter trial did not run: the adapter trial was switched off.']);
    const unmeasured = readinessLabelsNeeded(gain({ measured: false, reason: 'no train split' }));
    assert.equal(unmeasured.reason, 'the adapter was not measured (no train split)');
    assert.equal(readinessLabelsNeeded(gain({ sdDiff: undefined })).measured, false);
  });
});
