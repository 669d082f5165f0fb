import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastStep, leastSquares, pairsNeeded, PAIRS_CAP_FACTOR } from '../../../../src/core/adapt/pairs-needed';
import { readCurve, type LearningPoint } from '../../../../src/core/adapt/trial-finetune';

/** A curve point with a CI of half width `half` around its gain. */
function point(pairs: number, delta: number, half: number, share = 1): LearningPoint {
  return { share, pairs, synthetic_pairs: 0, queries: pairs, ndcg_cut_10: 0.5 + delta, delta, ci95: [delta - half, delta + half], p_value: 0.01, bestEpoch: 1 };
}

describe('training pairs read from the learning curve', () => {
  it('exact log-linear data gives the exact answer: +0.01 per doubling needs 4× the pairs for another +0.02', () => {
    // 25, 50, 100 pairs: +0.010, +0.020, +0.030 — the gain is 0.01·log2(pairs / 12.5).
    const curve = [point(25, 0.01, 0.005, 0.25), point(50, 0.02, 0.005, 0.5), point(100, 0.03, 0.005)];
    const p = pairsNeeded(curve);
    assert.equal(p.readable, true);
    assert.ok(Math.abs((p.slope as number) - 0.01) < 1e-12);
    assert.ok(Math.abs((p.fittedNow as number) - 0.03) < 1e-12);
    assert.ok(Math.abs((p.target as number) - 0.05) < 1e-12);
    assert.equal(p.pairs, 400);
    assert.equal(p.more, 300);
    assert.equal(p.points, 3);
    assert.match(p.line, /^training pairs for another \+0\.020 nDCG@10: about 400 pairs \(100 now; label about 300 more\) for the fitted gain to reach \+0\.050 — an extrapolation of a log-linear fit \(gain against log2 pairs, least squares over 3 points: \+0\.010 per doubling\), not a guarantee$/);
    // Four points, +0.004 per doubling: 2^(0.02 / 0.004) = 32× the 64 pairs.
    const four = [8, 16, 32, 64].map((n, i) => point(n, 0.004 * Math.log2(n), 0.001, [0.125, 0.25, 0.5, 1][i]));
    assert.equal(pairsNeeded(four).pairs, 2048);
  });

  it('fits by least squares when the points are not on a line (hand-computed)', () => {
    // log2 pairs 1, 2, 3; gains 0, 0.03, 0.04: slope = ((−1)(−0.02333) + (1)(0.01667)) / 2 = 0.02, intercept −0.01667;
    // fitted gain at 8 pairs 0.04333; another +0.02 is one more doubling: 16 pairs.
    const fit = leastSquares([1, 2, 3], [0, 0.03, 0.04]);
    assert.ok(fit && Math.abs(fit.slope - 0.02) < 1e-12 && Math.abs(fit.intercept + 0.05 / 3) < 1e-12);
    const p = pairsNeeded([point(2, 0, 0.005), point(4, 0.03, 0.005), point(8, 0.04, 0.005)]);
    assert.equal(p.pairs, 16);
    assert.ok(Math.abs((p.fittedNow as number) - 0.13 / 3) < 1e-12);
    // A stated step of its own: +0.04 is two doublings.
    assert.equal(pairsNeeded([point(2, 0, 0.005), point(4, 0.03, 0.005), point(8, 0.04, 0.005)], 0.04).pairs, 32);
  });

  it('caps the answer at 100× the pairs there are', () => {
    // +0.001 per doubling: another +0.02 would take 2^20× the pairs.
    const p = pairsNeeded([point(100, 0.01, 0.0004), point(200, 0.011, 0.0004), point(400, 0.012, 0.0004)]);
    assert.equal(p.readable, true);
    assert.equal(p.beyondCap, true);
    assert.equal(p.pairs, undefined);
    assert.match(p.line, new RegExp(`more than ${PAIRS_CAP_FACTOR}× the 400 pairs you have — an extrapolation`));
  });

  it('says the curve cannot be read, and why, for too few points, a flat or falling curve, or a last step inside the noise', () => {
    const two = pairsNeeded([point(50, 0.01, 0.005, 0.5), point(100, 0.03, 0.005)]);
    assert.equal(two.readable, false);
    assert.equal(two.pairs, undefined);
    assert.match(two.line, /cannot be read — 2 points with pairs; a fit needs at least 3/);
    // A point with no pairs does not count toward the fit.
    assert.equal(pairsNeeded([point(0, 0, 0.005, 0), point(50, 0.01, 0.005, 0.5), point(100, 0.03, 0.005)]).readable, false);
    const flat = pairsNeeded([point(25, 0.02, 0.001), point(50, 0.02, 0.001), point(100, 0.02, 0.001)]);
    assert.equal(flat.readable, false);
    assert.match(flat.reason ?? '', /does not rise with the pairs \(fitted \+0\.000 per doubling\)/);
    const falling = pairsNeeded([point(25, 0.04, 0.001), point(50, 0.03, 0.001), point(100, 0.01, 0.001)]);
    assert.equal(falling.readable, false);
    assert.match(falling.reason ?? '', /does not rise with the pairs \(fitted -0\.015 per doubling\)/);
    // Rising, but the last step (+0.01) is inside the full adapter's CI half width (±0.02): readCurve says the same.
    const noisy = [point(25, 0.01, 0.02, 0.25), point(50, 0.02, 0.02, 0.5), point(100, 0.03, 0.02)];
    const n = pairsNeeded(noisy);
    assert.equal(n.readable, false);
    assert.match(n.reason ?? '', /last step \(\+0\.010\) is inside the noise \(CI half width ±0\.020\)/);
    assert.equal(lastStep(noisy)?.insideNoise, true);
    assert.match(readCurve(noisy), /inside the noise/);
    assert.doesNotMatch(readCurve([point(25, 0.01, 0.005, 0.25), point(50, 0.02, 0.005, 0.5), point(100, 0.03, 0.005)]), /inside the noise/);
  });
});
