import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { EvalQuery, Grade } from '../../../../src/core/eval/evalset-types';
import type { Pool, PoolItem } from '../../../../src/core/eval/pool';
import { makeSpanTarget } from '../../../../src/core/eval/span-anchor';
import { JUDGE_LABELS_PATH, saveJudgeLabels, type JudgeLabel } from '../../../../src/core/judge/judge-labels';
import { HumanQueueOrder, orderForHumans } from '../../../../src/core/judge/queue-order';
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
    assert.deepEqual(order.order(undefined, () => queries), []);
  });

  it('shows the judge grade beside a passage, the human grade beside a disagreement, and agreement beside the queue', () => {
    const out = orderForHumans(pooled, queries, labels);
    assert.deepEqual(out.map(queueEntryDescription), ['d.md · judge: 3 ≠ yours: 0', 'd.md · judge: 1 ≠ yours: 2', 'd.md · keyword #1', 'd.md · keyword #1 · judge: 2', 'd.md · keyword #1']);
    // Four pairs graded by both (alpha beta 3/3, gamma delta 2/1, epsilon zeta 0/3, eta theta 1/1).
    assert.match(agreementBadge(queries, labels), /^judge κ -?\d\.\d{3} on 4 pairs, not validated \(label about 46 more\)$/);
    assert.equal(agreementBadge(queries, []), '');
  });
});
