import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queriesForPower } from '../../../../src/core/eval/power';
import { labelsNeeded } from '../../../../src/core/judge/labels-needed';

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box–Muller. */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

describe('how many eval queries are enough', () => {
  it('gives the closed form for the stated +0.02 and for the measured gain, from the per-query differences', () => {
    // Differences with mean 0.05 and sample SD exactly 0.1 (±0.1 around the mean, alternating, an even count).
    const diffs = Array.from({ length: 40 }, (_, i) => 0.05 + (i % 2 ? 0.1 : -0.1) * Math.sqrt(39 / 40));
    const [stated, measured] = labelsNeeded(diffs);
    const z = 1.959963985 + 0.841621234;
    assert.equal(stated.kind, 'stated');
    assert.ok(Math.abs(stated.sd - 0.1) < 1e-12);
    assert.equal(stated.queries, Math.ceil(((z * 0.1) / 0.02) ** 2));
    assert.equal(stated.queries, 197);
    assert.equal(stated.more, 197 - 40);
    assert.match(stated.line, /to detect \+0\.020: about 197 eval queries \(40 now; label about 157 more\) — paired test, normal approximation/);
    assert.equal(measured.kind, 'measured');
    assert.ok(Math.abs(measured.delta - 0.05) < 1e-12);
    assert.equal(measured.queries, queriesForPower(0.1, measured.delta));
    assert.match(measured.line, /the measured gain \+0\.050: about 32 eval queries \(40 now; enough\)/);
    // No measured gain: only the stated one; too few differences: unknown, not a number made up.
    assert.equal(labelsNeeded(diffs.map((d) => -d)).length, 1);
    assert.equal(labelsNeeded([0.1])[0].queries, Infinity);
  });

  it('the figure holds up in simulation: at that many queries a paired test detects the gain about 80 % of the time', () => {
    const r = rng(2024);
    const sd = 0.12;
    const delta = 0.03;
    // Differences whose sample SD is exactly the true SD (a standardised normal sample), so the figure is the one the true spread gives.
    const z = Array.from({ length: 400 }, () => normal(r));
    const zm = z.reduce((s, x) => s + x, 0) / z.length;
    const zs = Math.sqrt(z.reduce((s, x) => s + (x - zm) ** 2, 0) / (z.length - 1));
    const n = labelsNeeded(z.map((x) => delta + (sd * (x - zm)) / zs), { statedGain: delta })[0].queries;
    assert.equal(n, queriesForPower(sd, delta));
    let detected = 0;
    const trials = 3000;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: n }, () => delta + sd * normal(r));
      const mean = xs.reduce((s, x) => s + x, 0) / n;
      const s = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
      if (Math.abs(mean / (s / Math.sqrt(n))) > 1.959963985) detected++;
    }
    const power = detected / trials;
    assert.equal(n, 126, 'n = ((1.96 + 0.84) · 0.12 / 0.03)² = 125.6');
    assert.ok(power > 0.77 && power < 0.83, `simulated power ${power.toFixed(3)} at n = ${n}`);
  });
});
