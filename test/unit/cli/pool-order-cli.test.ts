import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err, text: () => [...out, ...err].join('\n') };
}

const DOCS: Record<string, string> = {
  'docs/retention.md': '# Retention\n\nEvents are kept for thirty days, then deleted.\n',
  'docs/paging.md': '# Paging\n\nFor an outage page the incident commander first.\n',
  'docs/errors.md': '# Error codes\n\nFencing errors mean a newer leader took the partition.\n',
  'docs/backups.md': '# Backups\n\nSnapshots are taken nightly and stored offsite.\n',
};

/**
 * `pool --order value|query` over a workspace with two retrievers, bm25 and a recorded production run (imported
 * traces), each at K = 1, so every value is worked out by hand:
 *   q-agree:    both return retention.md      → disagreement 0, one hole ranked 1 by two retrievers: value 2 × 1 = 2
 *   q-disagree: bm25 paging.md, traces errors.md → disagreement 1, two holes ranked 1 by one each:  value 2 × 2 = 4
 *   q-alone:    bm25 only (no trace asked it)  → disagreement 0, one hole ranked 1 by one:             value 1
 * (Equal passages of one query stay in the pool's order, by document.) In eval-set order the queue is q-agree, q-disagree, q-alone; in value order q-disagree, q-agree, q-alone.
 */
describe('retrieval-lens pool --order', () => {
  let root: string;
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-pool-order-'));
    fs.mkdirSync(path.join(root, 'docs'));
    for (const [p, t] of Object.entries(DOCS)) fs.writeFileSync(path.join(root, p), t);
    fs.mkdirSync(path.join(root, '.retrieval-lens'));
    const queries = [
      { id: 'q-agree', text: 'how long are events kept', split: 'eval', judgments: [] },
      { id: 'q-disagree', text: 'who is paged in an outage', split: 'eval', judgments: [] },
      { id: 'q-alone', text: 'when are snapshots taken', split: 'eval', judgments: [] },
    ];
    fs.writeFileSync(path.join(root, '.retrieval-lens', 'evalset.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
    const traces = path.join(root, 'traces.jsonl');
    const served = (query: string, doc: string) => JSON.stringify({ trace_id: query, query, documents: [{ path: doc, text: DOCS[doc].trim() }] });
    fs.writeFileSync(traces, [served(queries[0].text, 'docs/retention.md'), served(queries[1].text, 'docs/errors.md')].join('\n') + '\n');
    const r = io();
    assert.equal(await runCli(['import-traces', root, traces, '--format', 'jsonl'], r.io), 0, r.text());
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const pool = async (order?: string) => {
    const json = path.join(root, `pool-${order ?? 'default'}.json`);
    const r = io();
    const code = await runCli(['pool', root, '--retrievers', 'bm25', '--retriever', 'trace:prod', '--k', '1', ...(order ? ['--order', order] : []), '--json', json], r.io);
    assert.equal(code, 0, r.text());
    const written = JSON.parse(fs.readFileSync(json, 'utf8')) as { order: string; items: Array<{ queryId: string; docId: string; hits: Array<{ retriever: string; rank: number }> }> };
    return { out: r.out.join('\n'), written };
  };

  it('keeps the eval-set order by default and with --order query', async () => {
    for (const order of [undefined, 'query']) {
      const { out, written } = await pool(order);
      assert.equal(written.order, 'query');
      assert.deepEqual(written.items.map((i) => [i.queryId, i.docId]), [
        ['q-agree', 'docs/retention.md'],
        ['q-disagree', 'docs/errors.md'],
        ['q-disagree', 'docs/paging.md'],
        ['q-alone', 'docs/backups.md'],
      ]);
      assert.doesNotMatch(out, /label next/);
    }
  });

  it('puts the query where the retrievers disagree, with the most holes, first with --order value, and says why', async () => {
    const { out, written } = await pool('value');
    assert.equal(written.order, 'value');
    assert.deepEqual(written.items.map((i) => [i.queryId, i.docId]), [
      ['q-disagree', 'docs/errors.md'],
      ['q-disagree', 'docs/paging.md'],
      ['q-agree', 'docs/retention.md'],
      ['q-alone', 'docs/backups.md'],
    ]);
    assert.deepEqual(written.items[2].hits.map((h) => h.retriever).sort(), ['keyword', 'trace:prod']);
    assert.match(out, /label next: q-disagree \(2 holes · disagree 1\.00\), q-agree \(1 hole · disagree 0\.00\), q-alone \(1 hole · disagree 0\.00\)/);
  });

  it('refuses an unknown order', async () => {
    const r = io();
    assert.equal(await runCli(['pool', root, '--retrievers', 'bm25', '--order', 'best'], r.io), 2);
    assert.match(r.err.join('\n'), /--order must be query or value, got "best"/);
  });
});
