import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { demoDir, scifactDir, skipUnlessShared } from '../../helpers/shared';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('retrieval-lens eval', () => {
  it('BM25 on SciFact: per-query numbers equal an independent computation on the written run file', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cli-'));
    const run = path.join(tmp, 'r.trec');
    const metrics = path.join(tmp, 'm.json');
    const c = io();
    const code = await runCli(['eval', scifactDir() as string, '--retriever', 'bm25', '--run-out', run, '--metrics-out', metrics, '--index-dir', path.join(tmp, 'index'), '--fail-under', 'ndcg_cut_10=0.665'], c.io);
    assert.equal(code, 0, c.err.join('\n'));
    const ours = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { all: Record<string, number>; per_query: Record<string, Record<string, number>>; manifest: Record<string, unknown> };
    const ref = JSON.parse(execFileSync('python3', [path.join(__dirname, 'trec_eval_reference.py'), path.join(scifactDir() as string, 'qrels.trec'), run]).toString()) as Record<string, Record<string, number>>;
    assert.equal(Object.keys(ref).length, 300);
    for (const [qid, m] of Object.entries(ref)) {
      for (const [name, v] of Object.entries(m)) assert.ok(Math.abs(ours.per_query[qid][name] - v) < 1e-9, `${qid} ${name}: ${ours.per_query[qid][name]} vs ${v}`);
    }
    assert.equal(ours.manifest.retriever, 'keyword');
    assert.ok(Object.keys(ours.all).includes('recall_100'));
    // Scores in the run are unique and strictly descending per query.
    const lines = fs.readFileSync(run, 'utf8').trim().split('\n').map((l) => l.split(' '));
    for (let i = 1; i < lines.length; i++) if (lines[i][0] === lines[i - 1][0]) assert.ok(Number(lines[i][4]) < Number(lines[i - 1][4]));
  });

  it('exits 1 when a --fail-under bound is missed and 2 on bad arguments or files', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cli-'));
    const c = io();
    assert.equal(await runCli(['eval', scifactDir() as string, '--retriever', 'bm25', '--index-dir', path.join(tmp, 'i'), '--fail-under', 'ndcg_cut_10=0.99'], c.io), 1);
    assert.match(c.err.join('\n'), /FAIL ndcg_cut_10 = 0\.\d+ < 0\.99/);
    const bad = io();
    assert.equal(await runCli(['eval', scifactDir() as string, '--retriever', 'sparse'], bad.io), 2);
    assert.match(bad.err.join('\n'), /--retriever must be bm25, dense, hybrid or rerank, got "sparse"/);
  });

  it('reports a malformed BEIR file with its line and exit code 2', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cli-'));
    fs.writeFileSync(path.join(tmp, 'corpus.jsonl'), '{"_id":"d1","title":"","text":"alpha"}\n{"_id": d2}\n');
    const c = io();
    assert.equal(await runCli(['eval', tmp, '--retriever', 'bm25'], c.io), 2);
    assert.match(c.err[0], new RegExp(`error: ${tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/corpus\\.jsonl:2: invalid JSON`));
    const d = io();
    assert.equal(await runCli(['nonsense'], d.io), 2);
    assert.match(d.err[0], /unknown command "nonsense"/);
  });

  it('saves every workspace run with its manifest so two runs compare later', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ws-runs-'));
    fs.cpSync(demoDir, ws, { recursive: true });
    fs.rmSync(path.join(ws, '.retrieval-lens', 'index'), { recursive: true, force: true });
    fs.rmSync(path.join(ws, '.retrieval-lens', 'runs'), { recursive: true, force: true });
    for (const chunker of ['markdown', 'recursive']) {
      const c = io();
      assert.equal(await runCli(['eval', ws, '--retriever', 'bm25', '--level', 'chunk', '--chunker', chunker], c.io), 0, c.err.join('\n'));
      assert.match(c.err.join('\n'), /run saved to .*\.retrieval-lens\/runs\/.*-keyword-chunk\.json/);
    }
    const runs = fs.readdirSync(path.join(ws, '.retrieval-lens', 'runs')).sort().map((f) => path.join(ws, '.retrieval-lens', 'runs', f));
    assert.equal(runs.length, 2);
    const manifest = JSON.parse(fs.readFileSync(runs[0], 'utf8')).manifest;
    assert.equal(manifest.retriever, 'keyword');
    assert.match(manifest.corpusHash, /^[0-9a-f]{64}$/);
    assert.ok(manifest.chunkerKey && manifest.createdAt && 'gitCommit' in manifest);
    const cmp = io();
    assert.equal(await runCli(['compare', runs[0], runs[1]], cmp.io), 0);
    assert.match(cmp.out.join('\n'), /^ndcg_cut_10 over \d+ queries/);
    assert.match(cmp.out.join('\n'), /randomization p = [01]\.\d{4}/);
  });
});

