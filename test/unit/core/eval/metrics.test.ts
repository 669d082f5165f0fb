import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMetrics, trecOrder } from '../../../../src/core/eval/metrics';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
const qrels = (o: Record<string, Record<string, number>>) => new Map(Object.entries(o).map(([q, m]) => [q, new Map(Object.entries(m))]));
const run = (o: Record<string, Array<[string, number]>>) => new Map(Object.entries(o).map(([q, l]) => [q, l.map(([docId, score]) => ({ docId, score }))]));

describe('computeMetrics (trec_eval -c conventions)', () => {
  it('computes P, recall, MAP, MRR, success and nDCG on a hand-worked query', () => {
    // Ranking: d1 (rel 1), d2 (non), d3 (rel 2), d4 (non); relevant: d1, d3, d5 (grade 3, never retrieved).
    const q = qrels({ q: { d1: 1, d3: 2, d5: 3, d2: 0 } });
    const r = run({ q: [['d1', 4], ['d2', 3], ['d3', 2], ['d4', 1]] });
    const m = computeMetrics(q, r, { cutoffs: [1, 2, 4, 10] }).perQuery.q;
    close(m.P_1, 1, 'P_1');
    close(m.P_2, 0.5, 'P_2');
    close(m.P_10, 2 / 10, 'P_10 divides by k');
    close(m.recall_4, 2 / 3, 'recall_4 over all relevant');
    close(m.map, (1 / 1 + 2 / 3) / 3, 'map');
    close(m.recip_rank, 1, 'recip_rank');
    close(m.success_1, 1, 'success_1');
    const dcg = 1 / Math.log2(2) + 2 / Math.log2(4);
    const idcg = 3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4);
    close(m.ndcg_cut_4, dcg / idcg, 'ndcg_cut_4 (linear gain, ideal over all judged grades)');
    close(m.ndcg_cut_2, (1 / Math.log2(2)) / (3 + 2 / Math.log2(3)), 'ndcg_cut_2');
  });

  it('orders ties by docno descending, byte-wise, like trec_eval', () => {
    assert.deepEqual(trecOrder([{ docId: 'a', score: 1 }, { docId: 'b', score: 1 }, { docId: 'B', score: 1 }, { docId: 'c', score: 2 }]).map((x) => x.docId), ['c', 'b', 'a', 'B']);
    const m = computeMetrics(qrels({ q: { a: 1 } }), run({ q: [['a', 1], ['b', 1]] })).perQuery.q;
    close(m.recip_rank, 0.5, 'tie puts b before a');
  });

  it('averages over every qrels query: no results scores 0, run-only queries are ignored, no relevant docs scores 0', () => {
    const q = qrels({ q1: { d1: 1 }, q2: { d9: 1 }, q3: { d7: 0 } });
    const r = run({ q1: [['d1', 1]], q4: [['d1', 1]] });
    const m = computeMetrics(q, r);
    assert.deepEqual(Object.keys(m.perQuery).sort(), ['q1', 'q2', 'q3']);
    close(m.perQuery.q2.map, 0, 'missing query');
    close(m.perQuery.q3.ndcg_cut_10, 0, 'no relevant documents');
    close(m.all.map, 1 / 3, 'mean over 3 qrels queries');
    assert.equal(m.all.num_q, 3);
  });

  it('rejects a run with the same document twice for a query', () => {
    assert.throws(() => computeMetrics(qrels({ q: { a: 1 } }), run({ q: [['a', 2], ['a', 1]] })), /query q: document a appears twice/);
  });
});
