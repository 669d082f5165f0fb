import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../../../src/core/io/input-error';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluate } from '../../../../src/core/eval/evaluate';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';

/** A small BEIR folder; `qrels` maps a relative qrels path to its rows. */
function beirFolder(qrels: Record<string, string[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-beir-split-'));
  const docs = [
    ['d1', 'Kafka consumer groups rebalance when a member leaves.'],
    ['d2', 'Webhooks are signed with an HMAC of the body.'],
    ['d3', 'Compression saves bandwidth for text payloads.'],
    ['d4', 'Rate limits return HTTP 429 with a retry header.'],
  ];
  fs.writeFileSync(path.join(dir, 'corpus.jsonl'), docs.map(([id, text]) => JSON.stringify({ _id: id, title: '', text })).join('\n') + '\n');
  const queries = [
    ['q1', 'why does my consumer group rebalance'],
    ['q2', 'how are webhooks signed'],
    ['q3', 'does compression save bandwidth'],
    ['q4', 'what happens when rate limited'],
  ];
  fs.writeFileSync(path.join(dir, 'queries.jsonl'), queries.map(([id, text]) => JSON.stringify({ _id: id, text })).join('\n') + '\n');
  for (const [rel, rows] of Object.entries(qrels)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), ['query-id\tcorpus-id\tscore', ...rows].join('\n') + '\n');
  }
  return dir;
}

describe('BEIR folders with a train split', () => {
  it('reads qrels/train.tsv as the train split and qrels/test.tsv as the eval split', async () => {
    const dir = beirFolder({ 'qrels/train.tsv': ['q1\td1\t1', 'q2\td2\t1'], 'qrels/test.tsv': ['q3\td3\t1', 'q4\td4\t2'] });
    const t = await loadEvalTarget(dir);
    assert.deepEqual(
      t.queries.map((q) => [q.id, q.split]),
      [['q1', 'train'], ['q2', 'train'], ['q3', 'eval'], ['q4', 'eval']],
    );
    const { index } = await WorkspaceIndex.build(t.corpus, { chunker: { kind: 'whole-document' }, embedder: null });
    const ev = await evaluate(index, t.queries, { retriever: 'keyword', level: 'doc', split: 'eval' });
    const tr = await evaluate(index, t.queries, { retriever: 'keyword', level: 'doc', split: 'train' });
    const all = await evaluate(index, t.queries, { retriever: 'keyword', level: 'doc', split: 'all' });
    assert.deepEqual([...ev.qrels.keys()], ['q3', 'q4']);
    assert.deepEqual([...tr.qrels.keys()], ['q1', 'q2']);
    assert.equal(all.qrels.size, 4);
  });

  it('keeps one qrels file as the eval split, as before', async () => {
    for (const rel of ['qrels.tsv', 'qrels/test.tsv']) {
      const t = await loadEvalTarget(beirFolder({ [rel]: ['q1\td1\t1', 'q3\td3\t1'] }));
      assert.deepEqual(t.queries.map((q) => [q.id, q.split]), [['q1', 'eval'], ['q3', 'eval']]);
    }
  });

  it('refuses a query judged in both splits, naming the train file', async () => {
    const dir = beirFolder({ 'qrels/train.tsv': ['q1\td1\t1'], 'qrels/test.tsv': ['q1\td2\t1'] });
    await assert.rejects(loadEvalTarget(dir), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.file, path.join(dir, 'qrels', 'train.tsv'));
      assert.match(e.message, /query q1 is judged in both qrels\/train\.tsv and qrels\/test\.tsv/);
      return true;
    });
  });

  it('names the file and line of a malformed train qrels row', async () => {
    const dir = beirFolder({ 'qrels/train.tsv': ['q1\td1'], 'qrels/test.tsv': ['q3\td3\t1'] });
    await assert.rejects(loadEvalTarget(dir), /qrels\/train\.tsv:2: expected 3 tab-separated fields/);
  });
});
