import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { seededRandom } from '../../../src/core/eval/significance';
import { exactTokens } from '../../../src/core/diagnose/exact-tokens';
import { startJsonServer } from '../../helpers/protocol-servers';
import { demoDir, scifactDir, skipUnlessShared } from '../../helpers/shared';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('retrieval-lens eval --retriever NAME (an external engine from --settings)', () => {
  it('SciFact: an http retriever answering a fixed ranking scores exactly as trec_eval-style reference on that ranking; failed queries are named and left out', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const dir = scifactDir() as string;
    const docIds = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'corpus.jsonl.gz'))).toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { _id: string })._id);
    const queries = fs.readFileSync(path.join(dir, 'queries.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { _id: string; text: string });
    const qrels = new Map<string, string[]>();
    for (const line of fs.readFileSync(path.join(dir, 'qrels.trec'), 'utf8').trim().split('\n')) {
      const [q, , d] = line.split(/\s+/);
      qrels.set(q, [...(qrels.get(q) ?? []), d]);
    }
    // A fixed ranking per query: each relevant document at a random rank in 1..150 (beyond 100: not returned), the
    // rest random documents, and an id the corpus does not have at rank 50 (an unplaced hit stays in the ranking).
    const rand = seededRandom(7);
    const byText = new Map<string, Array<{ id: string; score: number }>>();
    const fixed = new Map<string, string[]>();
    for (const q of queries) {
      const rel = qrels.get(q._id);
      if (!rel) continue;
      const slots: Array<string | undefined> = new Array(100).fill(undefined);
      slots[49] = `missing-${q._id}`;
      for (const d of rel) {
        const r = Math.floor(rand() * 150);
        if (r < 100 && slots[r] === undefined) slots[r] = d;
      }
      const used = new Set(slots.filter(Boolean));
      for (let i = 0; i < 100; i++) {
        while (slots[i] === undefined) {
          const d = docIds[Math.floor(rand() * docIds.length)];
          if (!used.has(d) && !rel.includes(d)) {
            slots[i] = d;
            used.add(d);
          }
        }
      }
      const ranking = slots as string[];
      fixed.set(q._id, ranking);
      byText.set(q.text, ranking.map((id, i) => ({ id, score: 100 - i })));
    }
    const failing = new Set([...fixed.keys()].slice(0, 2));
    const failingText = new Set(queries.filter((q) => failing.has(q._id)).map((q) => q.text));
    const server = await startJsonServer((req) => {
      const b = JSON.parse(req.body) as { query: string; k: number };
      if (failingText.has(b.query)) return { status: 500, body: { error: 'index shard unavailable' } };
      const r = byText.get(b.query);
      return r ? { body: { results: r.slice(0, b.k) } } : { status: 404, body: { error: `unknown query ${b.query}` } };
    });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ext-'));
    try {
      const settings = path.join(tmp, 'settings.json');
      fs.writeFileSync(settings, JSON.stringify({ 'retrievalLens.retrievers': { fixed: { type: 'http', preset: 'plain', url: `${server.url}/search`, concurrency: 8 } } }, null, 2));
      const metrics = path.join(tmp, 'm.json');
      const c = io();
      const code = await runCli(['eval', dir, '--settings', settings, '--retriever', 'fixed', '--k', '100', '--metrics-out', metrics, '--run-out', path.join(tmp, 'cli.trec')], c.io);
      assert.equal(code, 0, c.err.join('\n'));
      const err = c.err.join('\n');
      assert.match(err, /2 of 300 queries failed and are left out of the metrics/);
      assert.match(err, /error: retriever "fixed", query ".*": POST http:\/\/127\.0\.0\.1:\d+\/search: HTTP 500 Internal Server Error: \{"error":"index shard unavailable"\}/);
      assert.match(err, /fixed: hits placed document 29502, unplaced 298/);
      assert.ok(server.maxInFlight <= 8);
      assert.match(c.out[0], /^fixed \(http http:\/\/127\.0\.0\.1:\d+\/search; doc level, 298 queries, 2 failed\)/);
      // Independent computation: the fixed ranking as a TREC run, the qrels without the failed queries, the reference script.
      const run = [...fixed].filter(([q]) => !failing.has(q)).flatMap(([q, ids]) => ids.map((d, i) => `${q} Q0 ${d} ${i + 1} ${100 - i} fixed`));
      fs.writeFileSync(path.join(tmp, 'fixed.trec'), `${run.join('\n')}\n`);
      const kept = fs.readFileSync(path.join(dir, 'qrels.trec'), 'utf8').trim().split('\n').filter((l) => !failing.has(l.split(/\s+/)[0]));
      fs.writeFileSync(path.join(tmp, 'qrels.trec'), `${kept.join('\n')}\n`);
      const ref = JSON.parse(execFileSync('python3', [path.join(__dirname, 'trec_eval_reference.py'), path.join(tmp, 'qrels.trec'), path.join(tmp, 'fixed.trec')]).toString()) as Record<string, Record<string, number>>;
      const ours = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { all: Record<string, number>; per_query: Record<string, Record<string, number>>; manifest: Record<string, unknown>; failures: unknown[] };
      assert.equal(Object.keys(ref).length, 298);
      assert.deepEqual(Object.keys(ours.per_query).sort(), Object.keys(ref).sort());
      for (const [qid, m] of Object.entries(ref)) for (const [name, v] of Object.entries(m)) assert.ok(Math.abs(ours.per_query[qid][name] - v) < 1e-9, `${qid} ${name}: ${ours.per_query[qid][name]} vs ${v}`);
      const mean = (name: string) => Object.values(ref).reduce((s, m) => s + m[name], 0) / 298;
      assert.ok(Math.abs(ours.all.ndcg_cut_10 - mean('ndcg_cut_10')) < 1e-9);
      assert.equal(ours.manifest.retriever, 'fixed');
      assert.equal(ours.manifest.failedQueries, 2);
      assert.equal(ours.failures.length, 2);
      assert.ok(!JSON.stringify(ours.manifest).includes('secret'));
    } finally {
      await server.close();
    }
  });

  it('search --retriever NAME shows each hit placed in the workspace or why not; a name that is not configured is refused with exit 2', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ext-'));
    try {
      const doc = fs.readdirSync(path.join(demoDir, 'docs', 'guides'))[0];
      const text = fs.readFileSync(path.join(demoDir, 'docs', 'guides', doc), 'utf8');
      const snippet = text.slice(200, 320);
      const s2 = await startJsonServer(() => ({ body: { hits: { hits: [
        { _id: 'a#1', _score: 3, _source: { path: `docs/guides/${doc}`, text: snippet } },
        { _id: 'b', _score: 2, _source: { path: 'docs/nowhere.md', text: 'x' } },
      ] } } }));
      const settings = path.join(tmp, 'settings.json');
      fs.writeFileSync(settings, `{\n  // JSON with comments, as VS Code writes it\n  "retrievalLens.retrievers": { "os": { "type": "http", "preset": "opensearch", "url": "${s2.url}/docs/_search" } }\n}\n`);
      const c = io();
      assert.equal(await runCli(['search', demoDir, 'token refresh', '--settings', settings, '--retriever', 'os', '--k', '5'], c.io), 0, c.err.join('\n'));
      const out = c.out.join('\n');
      assert.match(out, new RegExp(`  1  3\\.0000  a#1  docs/guides/${doc.replace('.', '\\.')}:200-320  \\[exact\\]`));
      assert.match(out, / {2}2 {2}2\.0000 {2}b {2}not placed \(no workspace document "docs\/nowhere\.md"\)/);
      assert.match(c.err.join('\n'), /os: 2 hits; placed exact 1, unplaced 1/);
      const bad = io();
      assert.equal(await runCli(['search', demoDir, 'q', '--settings', settings, '--retriever', 'solr'], bad.io), 2);
      assert.match(bad.err.join('\n'), /--retriever must be bm25, dense, hybrid or rerank, got "solr" or one of the configured retrievers os/);
      const missing = io();
      assert.equal(await runCli(['search', demoDir, 'q', '--settings', path.join(tmp, 'nope.json')], missing.io), 2);
      assert.match(missing.err.join('\n'), /nope\.json: settings file not found/);
      await s2.close();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('eval --level chunk on a workspace: labeled spans, and why the engine missed them', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ext-ws-'));
    fs.cpSync(demoDir, ws, { recursive: true });
    fs.rmSync(path.join(ws, '.retrieval-lens', 'index'), { recursive: true, force: true });
    fs.rmSync(path.join(ws, '.retrieval-lens', 'runs'), { recursive: true, force: true });
    // An engine that returns only a document the labels never point at.
    const server = await startJsonServer(() => ({ body: { results: [{ id: 'CHANGELOG.md', score: 1, text: 'nothing labeled here' }] } }));
    try {
      const settings = path.join(ws, 'team.json');
      fs.writeFileSync(settings, JSON.stringify({ 'retrievalLens.retrievers': { svc: { type: 'http', preset: 'plain', url: `${server.url}/r` } } }));
      const metrics = path.join(ws, 'm.json');
      const c = io();
      assert.equal(await runCli(['eval', ws, '--settings', settings, '--retriever', 'svc', '--level', 'chunk', '--metrics-out', metrics], c.io), 0, c.err.join('\n'));
      assert.match(c.out[0], /^svc \(http http:\/\/127\.0\.0\.1:\d+\/r; chunk level, labeled spans, \d+ queries\)/);
      assert.match(c.out.join('\n'), /ndcg_cut_10 {2}0\.0000/);
      const err = c.err.join('\n');
      assert.match(err, /svc: \d+ labeled spans missed in the top 10: [a-z-]+ \d+(, [a-z-]+ \d+)*\n/);
      assert.match(err, /not computable for svc: chunking: the re-chunking what-ifs need the engine's chunks/);
      assert.match(err, /run saved to .*-svc-chunk\.json/);
      const saved = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { misses: Array<{ category: string; evidence: string; queryText: string }>; manifest: { relevance: string } };
      assert.equal(saved.manifest.relevance, 'labeled-span');
      assert.ok(saved.misses.length > 0);
      // The one diagnosis: archive/ is excluded from the workspace (missing-document), keyword search finds some spans
      // (exact-match, lexical), nothing recovers the rest (semantic); the engine returns no labeled span.
      assert.ok(saved.misses.every((m) => ['missing-document', 'exact-match', 'lexical', 'semantic'].includes(m.category) && m.evidence.length > 10), [...new Set(saved.misses.map((m) => m.category))].join(', '));
      // BM25 finds demo spans the engine does not: by an exact token (QS-4091) or by shared words.
      assert.ok(saved.misses.some((m) => m.category === 'exact-match'), 'some by an exact token');
      assert.ok(saved.misses.some((m) => m.category === 'lexical'), 'some by shared words');
      assert.ok(saved.misses.filter((m) => m.category === 'exact-match').every((m) => exactTokens(m.queryText).length > 0), 'exact-match only for a query with an exact token');
    } finally {
      await server.close();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('diagnose --retriever NAME: the readiness report has a line for the engine beside the baseline, with its misses', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ext-diag-'));
    fs.cpSync(demoDir, ws, { recursive: true });
    fs.rmSync(path.join(ws, '.retrieval-lens', 'index'), { recursive: true, force: true });
    const server = await startJsonServer(() => ({ body: { results: [{ id: 'CHANGELOG.md', score: 1, text: 'nothing labeled here' }] } }));
    try {
      const settings = path.join(ws, 'team.json');
      fs.writeFileSync(settings, JSON.stringify({ 'retrievalLens.retrievers': { svc: { type: 'http', preset: 'plain', url: `${server.url}/r` } } }));
      const md = path.join(ws, 'report.md');
      const c = io();
      assert.equal(await runCli(['diagnose', ws, '--settings', settings, '--retriever', 'svc', '--baseline', 'bm25', '--markdown', md], c.io), 0, c.err.join('\n'));
      const report = fs.readFileSync(md, 'utf8');
      assert.match(report, /## Configured retrievers \(eval split, labeled spans\)/);
      assert.match(report, /\| svc \| POST http:\/\/127\.0\.0\.1:\d+\/r \| 0\.000 \| 0\.000 \| -0\.\d{3} \| \d\.\d{3} \| (missing-document|stale|filtered-out|exact-match|lexical|fusion|ranking|model-choice|semantic) \d+(, (missing-document|stale|filtered-out|exact-match|lexical|fusion|ranking|model-choice|semantic) \d+)* \|/);
      assert.match(report, /^- svc: not computable: chunking: the re-chunking what-ifs need the engine's chunks/m);
    } finally {
      await server.close();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('sweep-fusion --retriever NAME: the engine scored against the configured hybrid by labeled spans, paired', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ext-sweep-'));
    fs.cpSync(demoDir, ws, { recursive: true });
    fs.rmSync(path.join(ws, '.retrieval-lens', 'index'), { recursive: true, force: true });
    const server = await startJsonServer(() => ({ body: { results: [{ id: 'CHANGELOG.md', score: 1, text: 'nothing labeled here' }] } }));
    try {
      fs.writeFileSync(path.join(ws, 't.json'), JSON.stringify({ 'retrievalLens.retrievers': { svc: { type: 'http', preset: 'plain', url: `${server.url}/r` } } }));
      const json = path.join(ws, 'sweep.json');
      const c = io();
      assert.equal(await runCli(['sweep-fusion', ws, '--settings', path.join(ws, 't.json'), '--retriever', 'svc', '--weights', '0.2', '--level', 'chunk', '--json', json], c.io), 0, c.err.join('\n'));
      const out = c.out.join('\n');
      const configured = /configured hybrid (\d\.\d{4})\):/.exec(out);
      assert.ok(configured, out);
      assert.match(out, new RegExp(`svc +0\\.0000 +0\\.0000 +-${configured[1].replace('.', '\\.')} vs configured \\(p = 0\\.\\d{3}, \\d+ queries\\)`));
      const saved = JSON.parse(fs.readFileSync(json, 'utf8')) as { external: Array<{ name: string; vsConfigured: { meanA: number; meanB: number } }> };
      assert.equal(saved.external[0].name, 'svc');
      assert.equal(saved.external[0].vsConfigured.meanB, 0);
      assert.ok(Math.abs(saved.external[0].vsConfigured.meanA - Number(configured[1])) < 1e-4);
    } finally {
      await server.close();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
