import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { documentQrels } from '../../../../src/core/eval/chunk-relevance';
import { EVALSET_PATH, EvalSetFile } from '../../../../src/core/eval/evalset-file';
import { DocIdMapper, readJudgmentRows, readQueryTexts } from '../../../../src/core/eval/judgment-exchange';
import { demoDir } from '../../../helpers/shared';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rl-judg-'));
function cli() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}
/** A copy of demo/ without its eval set. */
function freshDemo(): string {
  const ws = path.join(tmp(), 'demo');
  fs.cpSync(demoDir, ws, { recursive: true });
  fs.rmSync(path.join(ws, '.retrieval-lens'), { recursive: true, force: true });
  return ws;
}
const byText = (file: string) => {
  const qs = EvalSetFile.load(file).all();
  const qrels = documentQrels(qs);
  return new Map(qs.filter((q) => qrels.has(q.id)).map((q) => [q.text, Object.fromEntries([...(qrels.get(q.id) ?? [])].sort())]));
};

describe('document ids → workspace paths', () => {
  it('exact path, else the one path without extension, else the one file name; ambiguity is an error', () => {
    const m = new DocIdMapper(['docs/a/retries.md', 'docs/a/setup.md', 'docs/b/setup.md', 'notes/setup.txt', 'README.md']);
    assert.deepEqual(m.map('docs/a/retries.md'), { docId: 'docs/a/retries.md', how: 'exact' });
    assert.deepEqual(m.map('.\\docs\\a\\retries.md'), { docId: 'docs/a/retries.md', how: 'exact' });
    assert.deepEqual(m.map('docs/a/retries'), { docId: 'docs/a/retries.md', how: 'without extension' });
    assert.deepEqual(m.map('retries'), { docId: 'docs/a/retries.md', how: 'file name' });
    assert.deepEqual(m.map('README.md'), { docId: 'README.md', how: 'exact' });
    assert.deepEqual(m.map('docs/b/setup'), { docId: 'docs/b/setup.md', how: 'without extension' });
    assert.deepEqual(m.map('setup.md'), { error: 'document id "setup.md" is ambiguous: docs/a/setup.md, docs/b/setup.md' });
    assert.deepEqual(m.map('setup'), { error: 'document id "setup" is ambiguous: docs/a/setup.md, docs/b/setup.md, notes/setup.txt' });
    assert.deepEqual(m.map('doc-17'), { error: 'document id "doc-17" names no workspace file' });
  });
});

describe('judgment exchange: Quepid CSV, TREC and BEIR qrels', () => {
  it('Quepid: export from demo/ and import into a fresh copy gives the same document judgments; a second import changes nothing', async () => {
    const out = path.join(tmp(), 'ratings.csv');
    const c = cli();
    assert.equal(await runCli(['export', demoDir, '--format', 'quepid', '--out', out], c.io), 0, c.err.join('\n'));
    const csv = fs.readFileSync(out, 'utf8').split('\n');
    assert.equal(csv[0], 'query,docid,rating');
    assert.ok(csv.includes('how do I rotate an API key without downtime,docs/guides/authentication.md,3'));
    const ws = freshDemo();
    assert.equal(await runCli(['import-judgments', ws, out, '--format', 'quepid'], c.io), 0, c.err.join('\n'));
    const expected = byText(path.join(demoDir, EVALSET_PATH));
    const file = path.join(ws, EVALSET_PATH);
    assert.deepEqual(byText(file), expected);
    assert.ok(EvalSetFile.load(file).all().every((q) => q.source === 'import' && q.judgments.every((j) => j.target.type === 'document')));
    const bytes = fs.readFileSync(file);
    c.out.length = 0;
    assert.equal(await runCli(['import-judgments', ws, out, '--format', 'quepid'], c.io), 0);
    assert.match(c.out[0], /: (\d+) judgments read; 0 added, 0 updated, \1 unchanged, 0 not imported; 0 queries created$/);
    assert.ok(fs.readFileSync(file).equals(bytes));
  });

  it('TREC qrels with TREC topics, and BEIR qrels with queries.jsonl, round-trip through export', async () => {
    const dir = tmp();
    const c = cli();
    assert.equal(await runCli(['export', demoDir, '--format', 'trec-qrels', '--out', path.join(dir, 'qrels.txt')], c.io), 0, c.err.join('\n'));
    assert.equal(await runCli(['export', demoDir, '--format', 'beir', '--out', path.join(dir, 'beir')], c.io), 0, c.err.join('\n'));
    const queries = EvalSetFile.load(path.join(demoDir, EVALSET_PATH)).all();
    const topics = queries.map((q) => `<top>\n<num> Number: ${q.id}\n<title> ${q.text}\n\n<desc> Description:\nwhatever\n</top>\n`).join('\n');
    fs.writeFileSync(path.join(dir, 'topics.txt'), topics);
    const want = documentQrels(queries);

    for (const [format, file, qfile] of [
      ['trec', path.join(dir, 'qrels.txt'), path.join(dir, 'topics.txt')],
      ['beir', path.join(dir, 'beir', 'qrels', 'test.tsv'), path.join(dir, 'beir', 'queries.jsonl')],
    ] as const) {
      const ws = freshDemo();
      assert.equal(await runCli(['import-judgments', ws, file, '--format', format, '--queries', qfile], c.io), 0, c.err.join('\n'));
      const got = EvalSetFile.load(path.join(ws, EVALSET_PATH)).all();
      assert.deepEqual(documentQrels(got), new Map([...want].filter(([, m]) => m.size)), format);
      for (const q of got) assert.equal(q.text, queries.find((x) => x.id === q.id)?.text, `${format}: text of ${q.id}`);
    }
  });

  it('unmapped documents and queries are listed with line numbers; mapped rows still import; malformed lines stop with file:line', async () => {
    const ws = freshDemo();
    const dir = tmp();
    const qrels = path.join(dir, 'qrels.txt');
    fs.writeFileSync(qrels, ['t1 0 docs/guides/retries.md 2', 't1 0 retries 1', 't1 0 doc-9999 1', '', 't2 0 webhooks 3', 't1 0 docs/guides/batching -1'].join('\n'));
    fs.writeFileSync(path.join(dir, 'q.tsv'), 't1\twhat backoff do retries use\n');
    const c = cli();
    assert.equal(await runCli(['import-judgments', ws, qrels, '--format', 'trec', '--queries', path.join(dir, 'q.tsv')], c.io), 0, c.err.join('\n'));
    assert.deepEqual(c.out.slice(0, 5), [
      `${qrels} (trec): 5 judgments read; 2 added, 1 updated, 0 unchanged, 2 not imported; 1 queries created`,
      '2 document ids matched a workspace file without extension or by file name',
      '1 grades outside 0–3 clamped into it (first on line 6)',
      `not imported ${qrels}:3: document id "doc-9999" names no workspace file`,
      `not imported ${qrels}:5: query "t2" is not in the eval set and has no text in the queries file`,
    ]);
    const q = EvalSetFile.load(path.join(ws, EVALSET_PATH)).get('t1');
    assert.deepEqual(q?.judgments.map((j) => [j.target.docId, j.grade]), [['docs/guides/retries.md', 1], ['docs/guides/batching.md', 0]]);

    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, 't1 0 retries 1\nt1 0 retries\n');
    assert.equal(await runCli(['import-judgments', ws, bad, '--format', 'trec'], c.io), 2);
    assert.equal(c.err.at(-1), `error: ${bad}:2: expected 4 fields "qid iter docno grade", got 3`);
    const csv = path.join(dir, 'r.csv');
    fs.writeFileSync(csv, 'query,docid,rating\n"retries, backoff",retries,3\nwebhooks,webhooks,high\n');
    assert.equal(await runCli(['import-judgments', ws, csv, '--format', 'quepid'], c.io), 2);
    assert.equal(c.err.at(-1), `error: ${csv}:3: rating "high" is not an integer`);
    fs.writeFileSync(csv, 'query,doc,rating\nx,y,1\n');
    await assert.rejects(readJudgmentRows(csv, 'quepid'), /r\.csv:1: expected the header "query,docid,rating"/);
    const tsv = path.join(dir, 'q.tsv');
    fs.writeFileSync(tsv, 'query-id\tcorpus-id\tscore\nq1\tretries\n');
    await assert.rejects(readJudgmentRows(tsv, 'beir'), /q\.tsv:2: expected 3 tab-separated fields, got 2/);
    // Nothing maps: exit 2, nothing written.
    fs.writeFileSync(qrels, 't1 0 nowhere 1\n');
    assert.equal(await runCli(['import-judgments', ws, qrels, '--format', 'trec'], c.io), 2);
    assert.match(c.err.at(-1) ?? '', /no judgment of .* could be imported/);
    assert.equal(await runCli(['import-judgments', ws, qrels], c.io), 2);
    assert.match(c.err.at(-1) ?? '', /--format must be quepid, trec or beir/);
  });

  it('reads query texts from TREC topics, BEIR queries.jsonl and id<TAB>text', async () => {
    const dir = tmp();
    const t = path.join(dir, 'topics');
    fs.writeFileSync(t, '<top>\n<num> Number: 301\n<title> International Organized\nCrime\n<desc> Description:\nx\n</top>\n<top>\n<num> 302 <title> Poliomyelitis </title>\n</top>\n');
    assert.deepEqual([...(await readQueryTexts(t))], [['301', 'International Organized Crime'], ['302', 'Poliomyelitis']]);
    const j = path.join(dir, 'q.jsonl');
    fs.writeFileSync(j, '{"_id":"a","text":"alpha"}\n{"_id":2,"text":"beta"}\n');
    assert.deepEqual([...(await readQueryTexts(j))], [['a', 'alpha'], ['2', 'beta']]);
  });
});
