import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalQuantile, queriesForPower, sampleSd } from '../../../../src/core/eval/power';
import { compareRuns } from '../../../../src/core/eval/significance';

describe('paired-test sample size (normal approximation)', () => {
  it('uses the standard normal quantiles', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.8) - 0.841621234) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
    assert.ok(Math.abs(normalQuantile(0.01) + 2.326347874) < 1e-8, 'the lower tail branch');
    assert.throws(() => normalQuantile(1), /0 < p < 1/);
  });

  it('matches the closed form n = ((z0.975 + z0.8)·sd/δ)², rounded up', () => {
    const z = 1.959963985 + 0.841621234;
    for (const [sd, delta] of [[0.1, 0.036], [0.2, 0.05], [0.05, 0.05], [0.3, 0.01]]) {
      assert.equal(queriesForPower(sd, delta), Math.ceil(((z * sd) / delta) ** 2), `sd ${sd}, δ ${delta}`);
    }
    // Worked by hand: sd = 0.1, δ = 0.036 → (2.801585 · 2.7778)² = 60.56 → 61 queries; sd = δ → 7.85 → 8.
    assert.equal(queriesForPower(0.1, 0.036), 61);
    assert.equal(queriesForPower(0.07, 0.07), 8);
    assert.equal(queriesForPower(0.1, 0.036, { alpha: 0.05, power: 0.9 }), Math.ceil(((1.959963985 + 1.281551566) * 0.1 / 0.036) ** 2));
  });

  it('has no finite answer without a gain, and needs one query when every query agrees', () => {
    assert.equal(queriesForPower(0.1, 0), Infinity);
    assert.equal(queriesForPower(0.1, -0.02), Infinity);
    assert.equal(queriesForPower(NaN, 0.02), Infinity);
    assert.equal(queriesForPower(0, 0.02), 1);
  });

  it('takes the SD of the per-query differences compareRuns pairs', () => {
    const a = { q1: { m: 0.1 }, q2: { m: 0.5 }, q3: { m: 0.2 }, q4: { m: 0.9 } };
    const b = { q1: { m: 0.3 }, q2: { m: 0.5 }, q3: { m: 0.6 }, q4: { m: 0.8 } };
    const c = compareRuns(a, b, 'm');
    const diffs = [0.2, 0, 0.4, -0.1];
    assert.ok(Math.abs(c.sdDiff - sampleSd(diffs)) < 1e-12);
    const mean = 0.125;
    assert.ok(Math.abs(sampleSd(diffs) - Math.sqrt(diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / 3)) < 1e-12);
    assert.equal(sampleSd([0.3]), 0);
  });
});
