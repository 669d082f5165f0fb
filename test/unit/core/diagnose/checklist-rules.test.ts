import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adapterChecklistItem, adapterVerdictReason, type AdapterGain } from '../../../../src/core/adapt/readiness-gain';
import { isRealQuery, MIN_MISSES_FOR_SHARE, realFailuresItem, semanticShareItem, trainingPairsItem } from '../../../../src/core/diagnose/checklist-rules';
import { evidenceLine, judgeGain, type GainFigures } from '../../../../src/core/eval/evidence-bar';
import { pairsSentence } from '../../../../src/core/adapt/trial-report';
import { queriesForPower } from '../../../../src/core/eval/power';

/** A gain the rule would tick: every boundary test below moves one figure across its bar. */
const strong: GainFigures = { delta: 0.05, ci95: [0.01, 0.09], pValue: 0.01, n: 40, sdDiff: 0.08 };

describe('checklist rule: the adapter gain justifies cost and latency', () => {
  it('ticks only when p ≤ 0.05 AND the CI lower bound > 0 on at least 30 eval queries', () => {
    assert.equal(judgeGain(strong).state, 'met');
  });

  it('p = 0.049 ticks, p = 0.051 does not (not settled, with how many more queries)', () => {
    assert.equal(judgeGain({ ...strong, pValue: 0.049 }).state, 'met');
    const j = judgeGain({ ...strong, pValue: 0.051, sdDiff: 0.2 });
    assert.equal(j.state, 'not-settled');
    assert.match(j.why, /^p = 0\.051 > 0\.05$/);
    assert.equal(j.more, queriesForPower(0.2, 0.05) - 40);
    assert.equal(j.settle, `label about ${j.more} more eval queries (${queriesForPower(0.2, 0.05)} in all: the larger of the 30-query minimum and a power estimate of ${queriesForPower(0.2, 0.05)} — n = ((z₀.₉₇₅ + z₀.₈)·sd/δ)², sd 0.200 of the per-query differences, δ +0.050 the measured gain, α 0.05 two-sided, power 0.8, normal approximation, assuming the true gain is as large as measured)`);
  });

  it('a CI lower bound of exactly 0 does not tick, just above 0 does', () => {
    // With 40 queries and sd 0.08 the power estimate (21) is met, so a CI touching zero is evidence against: not met.
    assert.equal(judgeGain({ ...strong, ci95: [0, 0.09] }).state, 'not-met');
    // With a wider spread (sd 0.2: 126 queries asked for) it is too little evidence: not settled.
    assert.equal(judgeGain({ ...strong, ci95: [0, 0.09], sdDiff: 0.2 }).state, 'not-settled');
    assert.match(judgeGain({ ...strong, ci95: [0, 0.09], sdDiff: 0.2 }).why, /the CI's lower bound \+0\.000 is not above zero/);
    assert.equal(judgeGain({ ...strong, ci95: [1e-6, 0.09] }).state, 'met');
  });

  it('29 eval queries are too few however clear the gain; 30 are enough', () => {
    const below = judgeGain({ ...strong, n: 29 });
    assert.equal(below.state, 'not-settled');
    assert.equal(below.more, 1, 'the power estimate asks for fewer than 30 here, so the minimum decides');
    assert.equal(judgeGain({ ...strong, n: 30 }).state, 'met');
  });

  it('the demo case: +0.036, CI [+0.001, +0.076], p = 0.103 on 21 queries is not settled, never ticked', () => {
    const j = judgeGain({ delta: 0.036, ci95: [0.001, 0.076], pValue: 0.103, n: 21, sdDiff: 0.09 });
    assert.equal(j.state, 'not-settled');
    assert.equal(j.powerQueries, queriesForPower(0.09, 0.036));
    assert.equal(j.more, j.powerQueries - 21);
  });

  it('without the per-query spread, only the minimum decides how many more (never "Infinity more")', () => {
    const j = judgeGain({ ...strong, n: 21, pValue: 0.2, sdDiff: NaN });
    assert.equal(j.state, 'not-settled');
    assert.equal(j.settle, 'label about 9 more eval queries (the 30-query minimum; no power estimate: the spread of the per-query differences is unknown)');
    assert.equal(judgeGain({ ...strong, pValue: 0.2, sdDiff: NaN }).state, 'not-settled');
  });

  it('no gain, or enough queries for the power estimate and still no confirmation, is not met', () => {
    assert.equal(judgeGain({ ...strong, delta: -0.01, ci95: [-0.05, 0.02] }).state, 'not-met');
    assert.equal(judgeGain({ ...strong, delta: 0.01, ci95: [-0.03, -0.001] }).state, 'not-met');
    // sd 0.08, δ 0.05 → the power estimate asks for 21; 40 queries and p = 0.2: the gain is not there.
    const j = judgeGain({ ...strong, pValue: 0.2, ci95: [-0.01, 0.09] });
    assert.equal(j.state, 'not-met');
    assert.match(j.why, /smaller than measured or absent/);
  });

  const gain = (over: Partial<AdapterGain> = {}): AdapterGain => ({
    measured: true, level: 'chunk', trainPairs: 6, pairs: { labeled: 8, used: { fit: 6, heldOut: 2, heldOutQueries: 2, noPositiveChunk: 0, noVector: 0 } },
    evalQueries: 21, baseline: 0.398, adapted: 0.434, delta: 0.036, ci95: [0.001, 0.076], pValue: 0.103, sdDiff: 0.09,
    hybridDelta: null, hybridPValue: null, worsened: 1, improved: 7, trainEvalGap: 0.3, learningReading: '', usPerQuery: 600, multiplyAdds: 512 * 512, trainingSeconds: 1, ...over,
  });

  it('the checklist item and the verdict line say the same thing in every state', () => {
    const cases: Array<[AdapterGain, string, RegExp]> = [
      [gain(), 'not-settled', /not settled — p = 0\.103 > 0\.05; 21 eval queries, fewer than the 30 the rule asks for; to settle: label about \d+ more eval queries/],
      [gain({ evalQueries: 40, pValue: 0.01, ci95: [0.01, 0.06] }), 'met', /the gain is shown; try it before training a model$/],
      [gain({ delta: -0.02, ci95: [-0.06, 0.01] }), 'not-met', /shows no gain on these labels$/],
    ];
    for (const [g, state, verdict] of cases) {
      const item = adapterChecklistItem(g, '97 chunks ≈ 15 s');
      assert.equal(item.state, state);
      assert.equal(item.ok, state === 'met');
      assert.match(adapterVerdictReason(g), verdict);
      assert.equal(item.evidence.n, g.evalQueries);
      assert.equal(item.evidence.p, g.pValue);
      assert.deepEqual(item.evidence.ci95, g.ci95);
      assert.match(evidenceLine(item.evidence), /bar: p ≤ 0\.05 \(paired randomization test\) and 95% bootstrap CI lower bound > 0, on at least 30 eval queries$/);
    }
    assert.match(adapterVerdictReason(gain()), /^A query adapter \(8 labeled pairs in the train split, 6 used to fit the adapter: 2 held out for early stopping \(2 train queries\)\)/);
  });

  it('a mixed set is judged at both levels: met only when met at each', () => {
    const other = { level: 'doc' as const, evalQueries: 40, baseline: 0.5, adapted: 0.52, delta: 0.02, ci95: [-0.01, 0.05] as [number, number], pValue: 0.3, sdDiff: 0.1 };
    const g = gain({ evalQueries: 40, pValue: 0.01, ci95: [0.01, 0.06], otherLevel: other });
    const item = adapterChecklistItem(g, 'x');
    assert.equal(item.state, 'not-settled');
    assert.match(item.detail, /on 40 eval queries at chunk level; \+0\.020 nDCG@10 .* at document level/);
    assert.match(item.settle ?? '', /^at document level: label about \d+ more eval queries/);
    assert.equal(adapterChecklistItem(gain({ evalQueries: 40, pValue: 0.01, ci95: [0.01, 0.06], otherLevel: { ...other, pValue: 0.01, ci95: [0.005, 0.04] } }), 'x').state, 'met');
  });

  it('not measured is not settled, with what would settle it', () => {
    const item = adapterChecklistItem({ ...gain(), measured: false, reason: 'no labeled queries in the train split' }, 'x');
    assert.equal(item.state, 'not-settled');
    assert.match(item.settle ?? '', /train split/);
  });
});

describe('checklist rule: real query failures collected', () => {
  it('counts only queries from a query log or trace as real', () => {
    assert.equal(isRealQuery({ source: 'log' }), true);
    assert.equal(isRealQuery({ source: 'trace' as never }), true);
    assert.equal(isRealQuery({ source: 'import' }), false, 'a judgment import brings someone else\'s labels, not traffic');
    assert.equal(isRealQuery({}), false, 'typed by hand');
  });

  it('0 real queries is not met; 1 real query the baseline misses is met; real queries all found is not met', () => {
    const zero = realFailuresItem({ evalQueries: 21, realQueries: 0, realMissedQueries: 0, misses: 14, noun: 'spans' });
    assert.equal(zero.state, 'not-met');
    assert.equal(zero.detail, '14 missed spans over 21 eval queries: 0 real (from query logs or traces), 21 hand-typed or imported; no real query, so no real failure');
    assert.match(zero.settle ?? '', /import-queries/);
    const one = realFailuresItem({ evalQueries: 22, realQueries: 1, realMissedQueries: 1, misses: 15, noun: 'spans' });
    assert.equal(one.state, 'met');
    assert.equal(one.evidence.n, 1);
    assert.equal(realFailuresItem({ evalQueries: 22, realQueries: 1, realMissedQueries: 0, misses: 14, noun: 'spans' }).state, 'not-met');
  });
});

describe('checklist rule: training pairs, counted the same way everywhere', () => {
  it('says how many labeled pairs the adapter used and why the rest were not', () => {
    const p = { labeled: 8, used: { fit: 6, heldOut: 2, heldOutQueries: 2, noPositiveChunk: 0, noVector: 0 } };
    assert.equal(pairsSentence(p), '8 labeled pairs in the train split, 6 used to fit the adapter: 2 held out for early stopping (2 train queries)');
    assert.equal(pairsSentence({ labeled: 9, used: { fit: 5, heldOut: 2, heldOutQueries: 1, noPositiveChunk: 2, noVector: 0 } }), '9 labeled pairs in the train split, 5 used to fit the adapter: 2 held out for early stopping (1 train query), 2 with no chunk holding the label (not indexed or stale)');
    const item = trainingPairsItem(p, 1000);
    assert.equal(item.state, 'not-met');
    assert.equal(item.detail, '8 labeled pairs in the train split, 6 used to fit the adapter: 2 held out for early stopping (2 train queries) (threshold 1000)');
    assert.equal(item.settle, 'label about 992 more train pairs');
    assert.equal(trainingPairsItem({ labeled: 1000 }, 1000).state, 'met');
    assert.equal(trainingPairsItem({ labeled: 1001, used: { fit: 800, heldOut: 199, heldOutQueries: 50, noPositiveChunk: 2, noVector: 0 } }, 1000).state, 'not-met', 'unusable pairs do not count');
  });
});

describe('checklist rule: remaining failures are semantic', () => {
  it('is not settled on fewer than 10 misses even at 100%, met from 10', () => {
    const thin = semanticShareItem({ semantic: 9, misses: 9, evalQueries: 30 });
    assert.equal(thin.state, 'not-settled');
    assert.match(thin.settle ?? '', /^label about 4 more eval queries/);
    assert.equal(semanticShareItem({ semantic: 5, misses: MIN_MISSES_FOR_SHARE, evalQueries: 30 }).state, 'met');
    assert.equal(semanticShareItem({ semantic: 4, misses: MIN_MISSES_FOR_SHARE, evalQueries: 30 }).state, 'not-met');
    assert.equal(semanticShareItem({ semantic: 0, misses: 0, evalQueries: 30 }).state, 'not-met');
  });
});
