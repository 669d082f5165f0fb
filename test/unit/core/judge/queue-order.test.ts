import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { EvalQuery, Grade } from '../../../../src/core/eval/evalset-types';
import { buildPool, topKDisagreement, type Pool, type PoolHit, type PoolItem } from '../../../../src/core/eval/pool';
import { makeSpanTarget } from '../../../../src/core/eval/span-anchor';
import { JUDGE_LABELS_PATH, saveJudgeLabels, type JudgeLabel } from '../../../../src/core/judge/judge-labels';
import { describeQueryValue, HumanQueueOrder, orderForHumans, queryRanking, queryValues, valueOrder } from '../../../../src/core/judge/queue-order';
import { agreementBadge, queueEntryDescription } from '../../../../src/core/judge/queue-text';

const TEXT = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau';
const at = (from: string) => {
  const s = TEXT.indexOf(from);
  return makeSpanTarget('d.md', TEXT, s, s + from.length);
};
const source = { judge: 'umbrela', endpoint: 'e', model: 'm', promptVersion: 'umbrela-v1' };
const HUMAN_AT = '2026-01-01T00:00:00.000Z';
const JUDGE_AT = '2026-02-01T00:00:00.000Z';
const label = (queryId: string, from: string, grade: Grade, createdAt = JUDGE_AT): JudgeLabel => ({ queryId, judgment: { grade, target: at(from), createdAt }, source, passageHash: 'h' });
const item = (queryId: string, from: string): PoolItem => {
  const t = at(from);
  return { queryId, queryText: queryId, docId: 'd.md', start: t.start, end: t.end, hits: [{ retriever: 'keyword', rank: 1 }] };
};

const queries: EvalQuery[] = [
  { id: 'q1', text: 'q1', split: 'eval', judgments: [{ grade: 3, target: at('alpha beta'), createdAt: HUMAN_AT }, { grade: 2, target: at('gamma delta'), createdAt: HUMAN_AT }] },
  { id: 'q2', text: 'q2', split: 'eval', judgments: [{ grade: 0, target: at('epsilon zeta'), createdAt: HUMAN_AT }, { grade: 1, target: at('eta theta'), createdAt: HUMAN_AT }] },
];

describe('orderForHumans: disagreements with the judge first, then the unjudged passages', () => {
  const pooled = [item('q1', 'iota kappa'), item('q2', 'lambda mu'), item('q2', 'nu xi')];
  const labels = [
    label('q1', 'alpha beta', 3), // agrees: not queued
    label('q1', 'gamma delta', 1), // gap 1
    label('q2', 'epsilon zeta', 3), // gap 3: first
    label('q2', 'eta theta', 1), // agrees
    label('q2', 'lambda mu', 2), // pooled, unjudged by a human: shown with its judge grade
  ];

  it('puts the largest disagreement first, then the pool in its order with the judge grades beside', () => {
    const out = orderForHumans(pooled, queries, labels);
    assert.deepEqual(
      out.map((e) => [e.queryId, e.text ?? TEXT.slice(e.start, e.end), e.human, e.judge?.grade, e.disagreement ?? false]),
      [
        ['q2', 'epsilon zeta', 0, 3, true],
        ['q1', 'gamma delta', 2, 1, true],
        ['q1', 'iota kappa', undefined, undefined, false],
        ['q2', 'lambda mu', undefined, 2, false],
        ['q2', 'nu xi', undefined, undefined, false],
      ],
    );
    assert.equal(out[0].judge?.judge, 'm · umbrela-v1');
  });

  it('leaves the pool as it is without judge labels', () => {
    assert.deepEqual(orderForHumans(pooled, queries, []), pooled);
  });

  it('drops a disagreement once a human grades the passage after the judge, whatever grade they keep', () => {
    const regraded = queries.map((q) => (q.id === 'q2' ? { ...q, judgments: [{ grade: 0 as Grade, target: at('epsilon zeta'), createdAt: '2026-03-01T00:00:00.000Z' }, q.judgments[1]] } : q));
    const out = orderForHumans(pooled, regraded, labels);
    assert.deepEqual(out.filter((e) => e.disagreement).map((e) => e.text), ['gamma delta']);
  });

  it('ignores stale judge labels and takes the newest label of a passage', () => {
    const stale = { ...label('q2', 'epsilon zeta', 3), judgment: { ...label('q2', 'epsilon zeta', 3).judgment, stale: true } };
    assert.equal(orderForHumans([], queries, [stale]).length, 0);
    const newer = label('q1', 'gamma delta', 2, '2026-02-02T00:00:00.000Z');
    assert.equal(orderForHumans([], queries, [label('q1', 'gamma delta', 1), newer]).length, 0);
  });

  it('in the editor: reads the labels file again only when it changes, and a bad file gives no judge grades', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-queue-order-'));
    const order = new HumanQueueOrder(() => root);
    const pool = { items: pooled } as unknown as Pool;
    assert.equal(order.order(pool, () => queries).length, 3);
    saveJudgeLabels(path.join(root, JUDGE_LABELS_PATH), labels);
    // A later mtime or size: read again.
    assert.equal(order.order({ items: pooled } as unknown as Pool, () => queries).length, 5);
    fs.writeFileSync(path.join(root, JUDGE_LABELS_PATH), '{not json\n');
    assert.equal(order.order({ items: pooled } as unknown as Pool, () => queries).length, 3);
    assert.match(order.problem ?? '', /judge-labels\.jsonl:1: invalid JSON/);
    const key = order.problemKey;
    assert.ok(key?.includes(JUDGE_LABELS_PATH.split('/').pop() ?? '?'), key);
    order.order({ items: pooled } as unknown as Pool, () => queries);
    assert.equal(order.problemKey, key, 'the same unreadable file is the same problem');
    fs.writeFileSync(path.join(root, JUDGE_LABELS_PATH), '{still not json, longer\n');
    order.order({ items: pooled } as unknown as Pool, () => queries);
    assert.notEqual(order.problemKey, key, 'a changed file is a new problem');
    assert.deepEqual(order.order(undefined, () => queries), []);
  });

  it('shows the judge grade beside a passage, the human grade beside a disagreement, and agreement beside the queue', () => {
    const out = orderForHumans(pooled, queries, labels);
    assert.deepEqual(out.map(queueEntryDescription), ['d.md · judge: 3 ≠ yours: 0', 'd.md · judge: 1 ≠ yours: 2', 'd.md · keyword #1', 'd.md · keyword #1 · judge: 2', 'd.md · keyword #1']);
    // Four pairs graded by both (alpha beta 3/3, gamma delta 2/1, epsilon zeta 0/3, eta theta 1/1).
    assert.match(agreementBadge(queries, labels), /^judge κ -?\d\.\d{3} on 4 pairs, not validated \(46 more human labels on judged passages\)$/);
    assert.equal(agreementBadge(queries, []), '');
  });
});

describe('value order: label next where judging changes a comparison most', () => {
  const hit = (from: string, docId = 'd.md'): PoolHit => {
    const s = TEXT.indexOf(from);
    return { docId, start: s, end: s + from.length };
  };
  const [a, b, c, d] = [hit('alpha beta'), hit('gamma delta'), hit('epsilon zeta'), hit('eta theta')];

  it('measures disagreement as 1 − mean pairwise overlap of the top K sets', () => {
    assert.equal(topKDisagreement([[a, b]]), 0, 'one retriever disagrees with no one');
    assert.equal(topKDisagreement([[a, b], [b, a]]), 0, 'order inside the top K does not count');
    assert.equal(topKDisagreement([[a, b], [a, c]]), 0.5);
    assert.equal(topKDisagreement([[a, b], [c, d]]), 1);
    // Pairs: {a}{a} 1, {a}{b} 0, {a}{b} 0 → mean 1/3.
    assert.equal(topKDisagreement([[a], [a], [b]]).toFixed(4), (2 / 3).toFixed(4));
    // |{a,b} ∩ {a}| / max(2, 1) = 1/2; an empty list against an empty one agrees.
    assert.equal(topKDisagreement([[a, b], [a]]), 0.5);
    assert.equal(topKDisagreement([[], []]), 0);
  });

  // Three unjudged queries, two retrievers, K = 2, worked by hand (weight = Σ 1/log2(rank + 1) over a hole's hits):
  //   qa: both return a, b            → disagreement 0;   holes a (1 + 1), b (0.631 + 0.631): weight 3.262, value 3.262
  //   qb: x returns a, b; y returns c, d → disagreement 1; holes a 1, c 1, b 0.631, d 0.631: weight 3.262, value 6.524
  //   qc: like qa                      → value 3.262: a tie with qa, which keeps its place before qc
  const q = (id: string): EvalQuery => ({ id, text: id, split: 'eval', judgments: [] });
  const qs = [q('qa'), q('qb'), q('qc')];
  const rankings = [
    { retriever: 'x', results: new Map([['qa', [a, b]], ['qb', [a, b]], ['qc', [a, b]]]) },
    { retriever: 'y', results: new Map([['qa', [a, b]], ['qb', [c, d]], ['qc', [a, b]]]) },
  ];
  const pool = buildPool(qs, rankings, 2);
  const show = (items: readonly PoolItem[]) => items.map((i) => `${i.queryId} ${TEXT.slice(i.start, i.end)}`);

  it('puts the query whose retrievers disagree over its holes first; ties keep the pool order; within a query best rank, then fewer retrievers', () => {
    const v = queryValues(pool);
    assert.equal(v.get('qa')?.weight.toFixed(3), (2 + 2 / Math.log2(3)).toFixed(3));
    assert.equal(v.get('qb')?.disagreement, 1);
    assert.equal(v.get('qb')?.value.toFixed(3), (2 * (2 + 2 / Math.log2(3))).toFixed(3));
    assert.deepEqual([...queryRanking(pool).keys()], ['qb', 'qa', 'qc']);
    assert.deepEqual(show(valueOrder(pool)), ['qb alpha beta', 'qb epsilon zeta', 'qb gamma delta', 'qb eta theta', 'qa alpha beta', 'qa gamma delta', 'qc alpha beta', 'qc gamma delta']);
    assert.deepEqual(show(pool.items).slice(0, 2), ['qa alpha beta', 'qa gamma delta'], 'the pool itself stays in query order');
    assert.equal(describeQueryValue(v.get('qb')), '4 holes · disagree 1.00');
    assert.equal(describeQueryValue(v.get('qa')), '2 holes · disagree 0.00');
  });

  it('at equal best rank, puts the passage fewer retrievers returned first', () => {
    // x: a, b; y: a, c; z: d, c → a at rank 1 by two retrievers, d at rank 1 by one; c at rank 2 by two, b at rank 2 by one.
    const p = buildPool([q('qd')], [
      { retriever: 'x', results: new Map([['qd', [a, b]]]) },
      { retriever: 'y', results: new Map([['qd', [a, c]]]) },
      { retriever: 'z', results: new Map([['qd', [d, c]]]) },
    ], 2);
    // The pool puts a (rank 1, two retrievers) before d (rank 1, one); value order puts d first: it separates them.
    assert.deepEqual(show(p.items), ['qd alpha beta', 'qd eta theta', 'qd epsilon zeta', 'qd gamma delta']);
    assert.deepEqual(show(valueOrder(p)), ['qd eta theta', 'qd alpha beta', 'qd gamma delta', 'qd epsilon zeta']);
  });

  it('keeps a fixed ranking: queries it does not know go last, in pool order', () => {
    assert.deepEqual([...new Set(valueOrder(pool, new Map([['qc', 0]])).map((i) => i.queryId))], ['qc', 'qa', 'qb']);
  });

  it('still puts the disagreements with the judge first, then the value order', () => {
    const judged: EvalQuery[] = [{ ...q('qz'), judgments: [{ grade: 0, target: at('iota kappa'), createdAt: HUMAN_AT }] }, ...qs];
    const labels = [label('qz', 'iota kappa', 3), label('qa', 'alpha beta', 2)];
    const order = new HumanQueueOrder(() => undefined);
    // No workspace root: no labels file; orderForHumans over the value order is what the editor shows with labels.
    assert.deepEqual(show(order.order(pool, () => judged, queryRanking(pool))).slice(0, 1), ['qb alpha beta']);
    const out = orderForHumans(valueOrder(pool), judged, labels);
    assert.deepEqual(show(out).slice(0, 3), ['qz iota kappa', 'qb alpha beta', 'qb epsilon zeta']);
    assert.equal(out[0].disagreement, true);
    assert.equal(out.find((e) => e.queryId === 'qa' && e.start === a.start)?.judge?.grade, 2);
  });
});
