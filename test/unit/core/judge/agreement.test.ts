import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvalQuery, Grade } from '../../../../src/core/eval/evalset-types';
import type { NamedRanking } from '../../../../src/core/eval/pool';
import { confusionMatrix, kendallTauB, measureAgreement, quadraticKappa, validateJudge, VALIDATION_RULE, type GradePair } from '../../../../src/core/judge/agreement';
import type { JudgeLabel } from '../../../../src/core/judge/judge-labels';

/**
 * Independent, straightforward forms to check against:
 * - quadratic κ as 1 − (mean squared difference over the actual pairs) / (mean squared difference over every
 *   human grade crossed with every judge grade): the same statistic reached without a contingency table;
 * - τ-b as Σ sgn·sgn / √(Σ sgn² · Σ sgn²) over all ordered pairs (i ≠ j).
 */
function kappaByPairs(pairs: readonly GradePair[]): number {
  const n = pairs.length;
  const observed = pairs.reduce((s, [h, j]) => s + (h - j) ** 2, 0) / n;
  let chance = 0;
  for (const [h] of pairs) for (const [, j] of pairs) chance += (h - j) ** 2;
  return 1 - observed / (chance / (n * n));
}

function tauBySigns(a: number[], b: number[]): number {
  let num = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a.length; j++) {
      if (i === j) continue;
      const x = Math.sign(a[i] - a[j]);
      const y = Math.sign(b[i] - b[j]);
      num += x * y;
      sa += x * x;
      sb += y * y;
    }
  }
  return num / Math.sqrt(sa * sb);
}

/** A seeded generator (mulberry32), so the random label sets are fixed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const g = (x: number) => x as Grade;

describe('quadratic-weighted κ', () => {
  it('is 1 for perfect agreement, −1 for the reversed scale, 0 at chance', () => {
    const perfect: GradePair[] = [[0, 0], [1, 1], [2, 2], [3, 3], [2, 2], [0, 0]];
    assert.equal(quadraticKappa(perfect), 1);
    assert.equal(quadraticKappa([[0, 3], [1, 2], [2, 1], [3, 0]]), -1);
    // Every human grade crossed with every judge grade once: the observed table is the chance table.
    const chance: GradePair[] = [];
    for (const h of [0, 1, 3]) for (const j of [0, 2, 3]) chance.push([g(h), g(j)]);
    assert.ok(Math.abs(quadraticKappa(chance)) < 1e-12);
  });

  it('equals the textbook two-category example (κ = 0.4) — quadratic weights reduce to Cohen’s κ with two grades', () => {
    // 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15 (Cohen's κ = (0.7 − 0.5) / (1 − 0.5) = 0.4).
    const pairs: GradePair[] = [...Array(20).fill([1, 1]), ...Array(5).fill([1, 0]), ...Array(10).fill([0, 1]), ...Array(15).fill([0, 0])];
    assert.ok(Math.abs(quadraticKappa(pairs) - 0.4) < 1e-12);
  });

  it('equals the independent form on fixed random label sets, and the confusion matrix counts them', () => {
    const r = rng(24);
    for (const n of [7, 50, 333]) {
      const pairs: GradePair[] = Array.from({ length: n }, () => {
        const h = Math.floor(r() * 4);
        const j = r() < 0.6 ? h : Math.floor(r() * 4);
        return [g(h), g(j)];
      });
      assert.ok(Math.abs(quadraticKappa(pairs) - kappaByPairs(pairs)) < 1e-12, `n = ${n}`);
      const m = confusionMatrix(pairs);
      for (let h = 0; h < 4; h++) for (let j = 0; j < 4; j++) assert.equal(m[h][j], pairs.filter((p) => p[0] === h && p[1] === j).length);
    }
  });

  it('is undefined (NaN), not 1, when both raters gave one grade to everything', () => {
    assert.ok(Number.isNaN(quadraticKappa([[2, 2], [2, 2]])));
    assert.ok(Number.isNaN(quadraticKappa([])));
  });
});

describe("Kendall's τ-b", () => {
  it('equals the independent form, with and without ties', () => {
    assert.equal(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // scipy.stats.kendalltau's documented example: -0.47140452079103173.
    assert.ok(Math.abs(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) - -0.47140452079103173) < 1e-12);
    const r = rng(7);
    for (let t = 0; t < 20; t++) {
      const a = Array.from({ length: 6 }, () => Math.floor(r() * 4));
      const b = Array.from({ length: 6 }, () => Math.floor(r() * 4));
      const mine = kendallTauB(a, b);
      const other = tauBySigns(a, b);
      if (Number.isNaN(other)) assert.ok(Number.isNaN(mine));
      else assert.ok(Math.abs(mine - other) < 1e-12, `${a} / ${b}`);
    }
  });
});

describe('the validation rule', () => {
  it('says how many more human labels are needed below the minimum, and validates at the threshold', () => {
    const few = validateJudge(0.9, 20);
    assert.equal(few.validated, false);
    assert.equal(few.moreHumanLabels, VALIDATION_RULE.minPairs - 20);
    assert.match(few.verdict, /30 more human labels/);
    assert.equal(validateJudge(0.59, 80).validated, false);
    assert.equal(validateJudge(0.6, 50).validated, true);
    assert.equal(validateJudge(NaN, 60).validated, false);
  });
});

describe('measureAgreement', () => {
  it('pairs judge labels with human grades by the overlap rule and orders configurations both ways', () => {
    const doc = (id: string) => ({ type: 'document' as const, docId: id });
    const queries: EvalQuery[] = [
      { id: 'q1', text: 'a', split: 'eval', judgments: [{ grade: 3, target: doc('d1') }, { grade: 0, target: doc('d2') }] },
      { id: 'q2', text: 'b', split: 'eval', judgments: [{ grade: 2, target: doc('d3') }] },
      { id: 'q3', text: 'c', split: 'eval', judgments: [] },
    ];
    const source = { judge: 'umbrela', endpoint: 'e', model: 'm', promptVersion: 'umbrela-v1' };
    const label = (queryId: string, docId: string, grade: Grade): JudgeLabel => ({ queryId, judgment: { grade, target: doc(docId) }, source, passageHash: 'h' });
    // The judge agrees on d1 and d3, calls d2 (human 0) a 1, and judges d4 which no human judged.
    const labels = [label('q1', 'd1', 3), label('q1', 'd2', 1), label('q2', 'd3', 2), label('q3', 'd4', 3)];
    const ranking = (name: string, q1: string[], q2: string[]): NamedRanking => ({ retriever: name, results: new Map([['q1', q1.map((d) => ({ docId: d, start: 0, end: 1 }))], ['q2', q2.map((d) => ({ docId: d, start: 0, end: 1 }))]]) });
    const rankings = [ranking('best', ['d1', 'd2'], ['d3']), ranking('middle', ['d2', 'd1'], ['d3']), ranking('worst', ['d2'], ['d9'])];
    const a = measureAgreement(queries, labels, 'm · umbrela-v1', rankings);
    assert.equal(a.pairs, 3);
    assert.deepEqual(a.confusion[0], [0, 1, 0, 0]);
    assert.equal(a.confusion[3][3], 1);
    assert.equal(a.confusion[2][2], 1);
    assert.ok(Math.abs(a.kappa - kappaByPairs([[3, 3], [0, 1], [2, 2]])) < 1e-12);
    assert.equal(a.configurationQueries, 2);
    assert.deepEqual(a.configurations.map((c) => c.retriever), ['best', 'middle', 'worst']);
    assert.ok(a.configurations[0].human > a.configurations[1].human && a.configurations[1].human > a.configurations[2].human);
    assert.equal(a.tau, 1);
    assert.equal(a.validation.validated, false);
    assert.equal(a.validation.moreHumanLabels, 47);

    // A contrarian judge (d1 irrelevant, d2 perfect) prefers "middle" to "best": the orders disagree.
    const contrarian = { ...source, model: 'c' };
    const flipped = [{ ...label('q1', 'd1', 0), source: contrarian }, { ...label('q1', 'd2', 3), source: contrarian }, { ...label('q2', 'd3', 2), source: contrarian }];
    const b = measureAgreement(queries, flipped, 'c · umbrela-v1', rankings);
    assert.ok(b.configurations[1].judge > b.configurations[0].judge);
    assert.ok(Math.abs(b.tau - tauBySigns(b.configurations.map((c) => c.human), b.configurations.map((c) => c.judge))) < 1e-12);
    assert.ok(b.tau < 1);
  });
});
