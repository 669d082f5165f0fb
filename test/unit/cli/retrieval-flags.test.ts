import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { demoDir, sharedModelDir, skipUnlessShared } from '../../helpers/shared';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** A copy of the demo workspace (runs and indexes are written into it) with these retrievalLens.* settings. */
function demoCopy(settings: Record<string, unknown>): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-flags-'));
  fs.cpSync(demoDir, ws, { recursive: true });
  fs.rmSync(path.join(ws, '.retrieval-lens', 'index'), { recursive: true, force: true });
  fs.rmSync(path.join(ws, '.retrieval-lens', 'runs'), { recursive: true, force: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'retrievalLens.exclude': ['archive/**'], ...settings }, null, 2));
  return ws;
}

interface Hit {
  docId: string;
  headingPath: string[];
  explanation: { kind: string; base?: string; baseRank?: number };
  chunkId: string;
}

async function searchJson(args: string[]): Promise<Hit[]> {
  const c = io();
  const code = await runCli(['search', ...args, '--json'], c.io);
  assert.equal(code, 0, c.err.join('\n'));
  return JSON.parse(c.out.join('\n')) as Hit[];
}

describe('CLI retrieval settings and flags', () => {
  let ws: string;
  before(() => {
    ws = demoCopy({ 'retrievalLens.fusion': 'rrf', 'retrievalLens.rrfK': 10, 'retrievalLens.keywordStemming': false });
  });

  it("evaluates with the workspace's settings, flags over them, and records both in the run manifest", async () => {
    const m1 = path.join(ws, 'settings.json.metrics');
    const a = io();
    assert.equal(await runCli(['eval', ws, '--retriever', 'hybrid', '--level', 'chunk', '--metrics-out', m1], a.io), 0, a.err.join('\n'));
    assert.match(a.out[0], /^hybrid \(chunk level, \d+ queries, markdown:maxSize=1500,minSize=0, use-lite; RRF k=10\)$/);
    const fromSettings = JSON.parse(fs.readFileSync(m1, 'utf8')).manifest;
    assert.deepEqual([fromSettings.fusion.method, fromSettings.fusion.rrfK, fromSettings.keyword.stemming], ['rrf', 10, false]);

    const m2 = path.join(ws, 'flags.metrics');
    const b = io();
    const flags = ['--fusion', 'weighted', '--normalization', 'z-score', '--dense-weight', '0.3', '--stemming', 'on', '--stop-words', 'off'];
    assert.equal(await runCli(['eval', ws, '--retriever', 'hybrid', '--level', 'chunk', '--metrics-out', m2, ...flags], b.io), 0, b.err.join('\n'));
    assert.match(b.out[0], /; weighted z-score, dense weight 0\.3\)$/);
    const fromFlags = JSON.parse(fs.readFileSync(m2, 'utf8')).manifest;
    assert.deepEqual([fromFlags.fusion.method, fromFlags.fusion.normalization, fromFlags.fusion.denseWeight, fromFlags.fusion.rrfK], ['weighted', 'z-score', 0.3, 10]);
    assert.deepEqual([fromFlags.keyword.stemming, fromFlags.keyword.stopWords], [true, false]);
    // Other keyword settings are another index, kept beside the first (switching back re-uses it).
    assert.equal(fs.readdirSync(path.join(ws, '.retrieval-lens', 'index')).length, 2);
  });

  it('stops with exit code 2 on an invalid setting (file and line) or flag', async () => {
    const bad = demoCopy({ 'retrievalLens.denseWeight': 1.5 });
    const c = io();
    assert.equal(await runCli(['eval', bad, '--retriever', 'bm25'], c.io), 2);
    assert.equal(c.err[0], `error: ${path.join(bad, '.vscode', 'settings.json')}:5: retrievalLens.denseWeight must be a number within [0, 1], got 1.5`);
    const cases: Array<[string[], RegExp]> = [
      [['--normalization', 'l2'], /^error: --normalization must be one of min-max, z-score, got "l2"$/],
      [['--stemming', 'maybe'], /^error: --stemming must be true or false, got "maybe"$/],
      [['--rerank-candidates', '0'], /^error: --rerank-candidates must be a whole number ≥ 1, got "0"$/],
      [['--dense-weight', 'high'], /^error: --dense-weight must be a number within \[0, 1\], got "high"$/],
      [['--modified-after', 'soon'], /^error: --modified-after must be a date \(e\.g\. 2026-01-31\), got "soon"$/],
      [['--front-matter', 'product'], /^error: --front-matter takes KEY=VALUE, got "product"$/],
      [['--chunk-size', '0'], /^error: --chunk-size must be a positive number, got "0"$/],
      [['--chunker', 'paragraph'], /^error: --chunker must be one of fixed-chars, .*, whole-document, got "paragraph"$/],
    ];
    for (const [flags, message] of cases) {
      const d = io();
      assert.equal(await runCli(['search', ws, 'retention', '--retriever', 'bm25', ...flags], d.io), 2, flags.join(' '));
      assert.match(d.err[0], message);
    }
  });

  it('search applies metadata filters before ranking', async () => {
    const all = await searchJson([ws, 'how long is data retained', '--retriever', 'bm25', '--k', '20']);
    assert.ok(all.some((h) => !h.docId.startsWith('docs/guides/')), 'the query matches outside docs/guides too');
    const guides = await searchJson([ws, 'how long is data retained', '--retriever', 'bm25', '--k', '20', '--path', 'docs/guides/**']);
    assert.ok(guides.length && guides.every((h) => h.docId.startsWith('docs/guides/')));
    const notGuides = await searchJson([ws, 'how long is data retained', '--retriever', 'bm25', '--k', '20', '--exclude-path', 'docs/guides/**']);
    assert.ok(notGuides.length && notGuides.every((h) => !h.docId.startsWith('docs/guides/')));
    const cloud = await searchJson([ws, 'how long is data retained', '--retriever', 'bm25', '--k', '20', '--front-matter', 'product=cloud']);
    assert.ok(cloud.some((h) => h.docId === 'docs/guides/data-retention.md'));
    assert.ok(!cloud.some((h) => h.docId === 'docs/guides/data-retention-self-hosted.md'));
    const heading = await searchJson([ws, 'retention', '--retriever', 'bm25', '--k', '20', '--heading', 'self-hosted']);
    assert.ok(heading.length && heading.every((h) => h.headingPath.join(' > ').toLowerCase().includes('self-hosted')));
    assert.deepEqual(await searchJson([ws, 'retention', '--retriever', 'bm25', '--modified-after', '2999-01-01']), []);
    assert.deepEqual(await searchJson([ws, 'retention', '--retriever', 'bm25', '--language', 'python']), []);
  });

  it('reranks the top candidates of the chosen base retriever', { skip: skipUnlessShared('the cross-encoder fixture', sharedModelDir('cross-encoder-shape-random')) }, async () => {
    const reranker = sharedModelDir('cross-encoder-shape-random') as string;
    const base = await searchJson([ws, 'rotate an API key', '--retriever', 'bm25', '--k', '4']);
    const reranked = await searchJson([ws, 'rotate an API key', '--retriever', 'rerank', '--reranker', reranker, '--rerank-base', 'bm25', '--rerank-candidates', '4', '--k', '10']);
    assert.equal(reranked.length, 4, 'only the 4 candidates are reranked');
    assert.deepEqual(reranked.map((h) => h.chunkId).sort(), base.map((h) => h.chunkId).sort());
    for (const h of reranked) {
      assert.equal(h.explanation.base, 'keyword');
      assert.equal(base[(h.explanation.baseRank as number) - 1].chunkId, h.chunkId, 'baseRank is the rank in the base retriever');
    }
  });
});

describe('CLI models from the workspace settings (a workspace the user trusted)', () => {
  const embedderDir = sharedModelDir('minilm-shape-random');
  const rerankerDir = sharedModelDir('cross-encoder-shape-random');
  it('with --trust-workspace uses retrievalLens.embeddingModel, embeddingDtype and rerankerModel unless --model or --reranker say otherwise', { skip: skipUnlessShared('the model fixtures', embedderDir && rerankerDir) }, async () => {
    // The fixtures ship q8 weights only: asking for fp32 looks for onnx/model.onnx and says so (exit code 2).
    const fp32 = demoCopy({ 'retrievalLens.embeddingModel': embedderDir, 'retrievalLens.embeddingDtype': 'fp32' });
    const f = io();
    assert.equal(await runCli(['eval', fp32, '--retriever', 'dense', '--level', 'chunk', '--trust-workspace'], f.io), 2);
    assert.match(f.err[0], /^error: cannot load the embedding model: .*minilm-shape-random.*onnx\/model\.onnx/);
    const ws = demoCopy({ 'retrievalLens.embeddingModel': embedderDir, 'retrievalLens.embeddingDtype': 'q8', 'retrievalLens.rerankerModel': rerankerDir });
    const metrics = path.join(ws, 'dense.metrics');
    const c = io();
    assert.equal(await runCli(['eval', ws, '--retriever', 'dense', '--level', 'chunk', '--metrics-out', metrics, '--trust-workspace'], c.io), 0, c.err.join('\n'));
    const model = JSON.parse(fs.readFileSync(metrics, 'utf8')).manifest.model;
    assert.deepEqual([model.id, model.provider, model.dtype, model.dims], [embedderDir, 'transformers', 'q8', 384]);
    const reranked = await searchJson([ws, 'rotate an API key', '--retriever', 'rerank', '--k', '3', '--trust-workspace']);
    assert.ok(reranked.length === 3 && reranked.every((h) => h.explanation.kind === 'rerank'));
    const flagged = path.join(ws, 'use.metrics');
    const d = io();
    assert.equal(await runCli(['eval', ws, '--retriever', 'dense', '--level', 'chunk', '--model', 'use-lite', '--metrics-out', flagged, '--trust-workspace'], d.io), 0, d.err.join('\n'));
    assert.equal(JSON.parse(fs.readFileSync(flagged, 'utf8')).manifest.model.id, 'use-lite');
    const e = io();
    assert.equal(await runCli(['search', demoDir, 'x', '--retriever', 'rerank'], e.io), 2);
    assert.match(e.err[0], /--retriever rerank needs --reranker ID\|PATH \(a cross-encoder\) or the retrievalLens\.rerankerModel setting/);
  });
});

describe('retrieval-lens sweep-fusion', () => {
  it('scores keyword, weighted fusion along the dense weight, dense, RRF and the configured hybrid exactly as eval does', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-sweep-'));
    const indexDir = path.join(tmp, 'index');
    const json = path.join(tmp, 'sweep.json');
    const c = io();
    assert.equal(await runCli(['sweep-fusion', demoDir, '--level', 'chunk', '--index-dir', indexDir, '--json', json], c.io), 0, c.err.join('\n'));
    const sweep = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      points: Array<{ label: string; denseWeight: number | null; all: Record<string, number>; fusion?: { method: string; denseWeight: number } }>;
      bestSingle: string;
      configuredVsBestSingle: { meanA: number; meanB: number; meanDiff: number };
      verdict: string;
    };
    assert.deepEqual(sweep.points.map((p) => p.denseWeight), [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1, null, 0.2]);
    assert.deepEqual(sweep.points.map((p) => p.label).filter((l) => !l.startsWith('weighted')), ['keyword', 'dense', 'RRF k=60', 'configured: weighted min-max, dense weight 0.2']);
    const byLabel = new Map(sweep.points.map((p) => [p.label, p]));
    const evalAll = async (args: string[]) => {
      const out = path.join(tmp, `${args.join('_')}.json`);
      const e = io();
      assert.equal(await runCli(['eval', demoDir, '--level', 'chunk', '--index-dir', indexDir, '--metrics-out', out, ...args], e.io), 0, e.err.join('\n'));
      return (JSON.parse(fs.readFileSync(out, 'utf8')) as { all: Record<string, number> }).all;
    };
    assert.deepEqual(byLabel.get('keyword')?.all, await evalAll(['--retriever', 'bm25']));
    assert.deepEqual(byLabel.get('weighted min-max 0.3')?.all, await evalAll(['--retriever', 'hybrid', '--dense-weight', '0.3']));
    assert.deepEqual(byLabel.get('RRF k=60')?.all, await evalAll(['--retriever', 'hybrid', '--fusion', 'rrf']));
    const best = Math.max(byLabel.get('keyword')?.all.ndcg_cut_10 ?? 0, byLabel.get('dense')?.all.ndcg_cut_10 ?? 0);
    const cmp = sweep.configuredVsBestSingle;
    assert.equal(cmp.meanA, best);
    assert.ok(Math.abs(cmp.meanDiff - (cmp.meanB - cmp.meanA)) < 1e-12);
    assert.match(sweep.verdict, cmp.meanDiff >= 0 ? new RegExp(`at least ${sweep.bestSingle}`) : new RegExp(`below ${sweep.bestSingle}`));
    assert.match(c.out.join('\n'), /^configured: weighted min-max, dense weight 0\.2 +0\.\d{4} +\d\.\d{4} +[+-]0\.\d{4}$/m);
  });

  it('rejects weights outside (0, 1) and unknown measures with exit code 2', async () => {
    const a = io();
    assert.equal(await runCli(['sweep-fusion', demoDir, '--weights', '0.2,1'], a.io), 2);
    assert.match(a.err[0], /--weights takes dense weights strictly between 0 and 1 .*got "1"/);
    const b = io();
    assert.equal(await runCli(['sweep-fusion', demoDir, '--measure', 'ndcg'], b.io), 2);
    assert.match(b.err[0], /--measure must be one of map, recip_rank, .*got "ndcg"/);
  });
});
