import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadAdapter, saveAdapter } from '../../../../src/core/adapt/adapter-store';
import { AdapterMismatchError, QueryAdapter } from '../../../../src/core/adapt/query-adapter';
import { InputError } from '../../../../src/core/io/input-error';
import { trainQueryAdapter, type TrainingExample } from '../../../../src/core/adapt/train-adapter';
import { assignTrainSplit, trialFineTune, type TrialResult } from '../../../../src/core/adapt/trial-finetune';
import { renderTrialMarkdown, trialHeadline } from '../../../../src/core/adapt/trial-report';
import { adapterVerdictReason, measureAdapterGain } from '../../../../src/core/adapt/readiness-gain';
import { pairsNeeded } from '../../../../src/core/adapt/pairs-needed';
import { labelsNeededFrom } from '../../../../src/core/judge/labels-needed';
import { judgeGain, STATE_MARK } from '../../../../src/core/eval/evidence-bar';
import { buildReadinessReport, renderReadinessMarkdown } from '../../../../src/core/diagnose/readiness-report';
import type { Embedder } from '../../../../src/core/embed/embedder';
import { UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { chunkQrels, documentQrels } from '../../../../src/core/eval/chunk-relevance';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluate } from '../../../../src/core/eval/evaluate';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { computeMetrics } from '../../../../src/core/eval/metrics';
import { compareRuns, seededRandom } from '../../../../src/core/eval/significance';
import { readTrecRun, writeTrecRun } from '../../../../src/core/eval/trec-io';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { openIndex } from '../../../../src/cli/cli-context';
import { retrievalFromArgs } from '../../../../src/cli/commands/retrieval-args';
import { runCli } from '../../../../src/cli/main';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { demoDir, scifactDir, skipUnlessShared } from '../../../helpers/shared';

const quiet = { out: () => undefined, err: () => undefined };

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

/** Pairs whose queries are their positives under a fixed hidden linear distortion plus noise: W can undo it. */
function plantedExamples(n: number, d: number, seed: number): TrainingExample[] {
  const rand = seededRandom(seed);
  const randv = () => unit(Float32Array.from({ length: d }, () => rand() - 0.5));
  const out: TrainingExample[] = [];
  for (let i = 0; i < n; i++) {
    const pos = randv();
    // distortion: swap the first half with the second half of the coordinates, then add noise
    const q = unit(Float32Array.from({ length: d }, (_, j) => pos[(j + d / 2) % d] + 0.3 * (rand() - 0.5)));
    out.push({ queryId: `q${i}`, query: q, positiveId: `p${i}`, positive: pos, negatives: [0, 1].map((k) => ({ id: `n${i}-${k}`, vector: randv() })), relevantIds: new Set([`p${i}`]) });
  }
  return out;
}

const model = { id: 'planted', revision: '1', dims: 16 };

describe('query adapter: training', () => {
  it('starts at the identity and learns a planted distortion: held-out loss falls, the best epoch is kept', () => {
    const ex = plantedExamples(240, 16, 1);
    const r = trainQueryAdapter(model, ex.slice(0, 200), ex.slice(200), { learningRate: 1e-2, maxEpochs: 30, patience: 5 });
    const h = r.history;
    assert.equal(h[0].epoch, 0);
    const best = h.find((x) => x.epoch === r.bestEpoch);
    assert.ok(best && best.heldOutLoss < h[0].heldOutLoss * 0.8, `held-out loss ${h[0].heldOutLoss} → ${best?.heldOutLoss}`);
    assert.ok(r.bestEpoch > 0);
    assert.equal(Math.min(...h.map((x) => x.heldOutLoss)), best?.heldOutLoss);
    assert.ok(r.adapter.distanceFromIdentity() > 0);
    const id = QueryAdapter.identity(model);
    const q = ex[0].query;
    assert.deepEqual([...id.apply(q)].map((x) => x.toFixed(6)), [...q].map((x) => x.toFixed(6)));
  });

  it('gives bit-identical weights for the same seed and data, other weights for another seed', () => {
    const ex = plantedExamples(120, 16, 2);
    const a = trainQueryAdapter(model, ex.slice(0, 100), ex.slice(100), { learningRate: 1e-2, maxEpochs: 5, patience: 10, seed: 7 });
    const b = trainQueryAdapter(model, ex.slice(0, 100), ex.slice(100), { learningRate: 1e-2, maxEpochs: 5, patience: 10, seed: 7 });
    const c = trainQueryAdapter(model, ex.slice(0, 100), ex.slice(100), { learningRate: 1e-2, maxEpochs: 5, patience: 10, seed: 8 });
    assert.equal(QueryAdapter.hashWeights(a.adapter.weights), QueryAdapter.hashWeights(b.adapter.weights));
    assert.notEqual(QueryAdapter.hashWeights(a.adapter.weights), QueryAdapter.hashWeights(c.adapter.weights));
  });

  it('never uses a chunk labeled relevant for a query as its in-batch negative', () => {
    // Two queries that share their relevant chunk: masking keeps the loss of a perfect match at ~0.
    const d = 16;
    const v = unit(Float32Array.from({ length: d }, (_, i) => (i === 0 ? 1 : 0)));
    const w = unit(Float32Array.from({ length: d }, (_, i) => (i === 1 ? 1 : 0)));
    const rel = new Set(['a', 'b']);
    const ex: TrainingExample[] = [
      { queryId: 'x', query: v, positiveId: 'a', positive: v, negatives: [{ id: 'n', vector: w }], relevantIds: rel },
      { queryId: 'x', query: v, positiveId: 'b', positive: v, negatives: [], relevantIds: rel },
    ];
    const r = trainQueryAdapter({ id: 't', revision: '1', dims: d }, ex, [], { maxEpochs: 1 });
    // Unmasked, 'b' (cosine 1, like 'a') would take half the probability: loss ≥ ln 2.
    assert.ok(r.history[0].trainLoss < 0.01, `loss ${r.history[0].trainLoss}`);
  });
});

describe('query adapter: refusing the wrong model', () => {
  it('refuses another dimension or another model with a message naming both', () => {
    const a = QueryAdapter.identity({ id: 'use-lite', revision: 'r1', dims: 512 });
    assert.throws(() => a.checkCompatible({ id: 'Xenova/all-MiniLM-L6-v2', revision: 'main', dims: 384 }), (e: unknown) => {
      assert.ok(e instanceof AdapterMismatchError);
      assert.equal(e.message, 'query adapter was trained for 512-dim vectors of use-lite; the index\'s model Xenova/all-MiniLM-L6-v2 gives 384-dim vectors');
      return true;
    });
    assert.throws(() => a.checkCompatible({ id: 'other-512', revision: 'x', dims: 512 }), /trained for model use-lite \(revision r1\); the index uses other-512 \(revision x\): train an adapter for this model/);
    assert.throws(() => a.checkCompatible({ id: 'use-lite', revision: 'r2', dims: 512 }), /revision r1\); the index uses use-lite \(revision r2\)/);
    assert.doesNotThrow(() => a.checkCompatible({ id: 'use-lite', revision: 'r1', dims: 512 }));
    assert.throws(() => a.apply(new Float32Array(384)), /maps 512-dim vectors, got a 384-dim one/);
    assert.throws(() => new QueryAdapter({ id: 'm', revision: '1', dims: 4 }, new Float32Array(15)), /needs 16 weights, got 15/);
  });

  it('trial-finetune exits 2 with a clear message when there is no train split or a flag is wrong', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapt-beir-'));
    fs.writeFileSync(path.join(dir, 'corpus.jsonl'), '{"_id":"d1","title":"","text":"alpha"}\n');
    fs.writeFileSync(path.join(dir, 'queries.jsonl'), '{"_id":"q1","text":"alpha"}\n');
    fs.writeFileSync(path.join(dir, 'qrels.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
    const errs: string[] = [];
    const io = { out: () => undefined, err: (t: string) => errs.push(t) };
    assert.equal(await runCli(['trial-finetune', dir], io), 2);
    assert.match(errs.join('\n'), /no train split \(no qrels\/train\.tsv\); add one, or pass --train-share F/);
    assert.equal(await runCli(['trial-finetune', dir, '--train-share', '1.5'], io), 2);
    assert.match(errs.join('\n'), /--train-share must be strictly between 0 and 1, got "1\.5"/);
    assert.equal(await runCli(['trial-finetune', dir, '--split', 'train'], io), 2);
    assert.match(errs.join('\n'), /--split must be eval for trial-finetune/);
    // --settings FILE is read (it used to be accepted and ignored): a broken one is reported by its name.
    const bad = path.join(dir, 'bad-settings.json');
    fs.writeFileSync(bad, '{ "retrievalLens.chunkSize": "big" }');
    errs.length = 0;
    assert.equal(await runCli(['trial-finetune', dir, '--settings', bad], io), 2);
    assert.match(errs.join('\n'), /bad-settings\.json/);
    assert.doesNotMatch(errs.join('\n'), /no train split/, 'the settings are read before anything else is checked');
  });

  it('a search or evaluation with an adapter of the wrong dimension reports it instead of scoring', async () => {
    const target = await loadEvalTarget(demoDir);
    const { index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'whole-document' }, embedder: new CharTrigramEmbedder() });
    const wrong = QueryAdapter.identity({ id: 'use-lite', revision: '1', dims: 512 });
    const r = await index.search({ query: 'rotate keys', k: 5, retrievers: ['keyword', 'dense', 'hybrid'], queryTransform: wrong });
    assert.equal(r.errors.dense, `query adapter ${wrong.id} maps 512-dim vectors, this index holds 256-dim ones`);
    assert.equal(r.errors.hybrid, r.errors.dense);
    assert.ok(r.results.keyword?.length);
    await assert.rejects(evaluate(index, target.queries, { retriever: 'dense', level: 'doc', queryTransform: wrong }), /^Error: dense: query adapter .* maps 512-dim vectors, this index holds 256-dim ones$/);
  });
});

describe('query adapter: saved and loaded', () => {
  it('round-trips weights and manifest, applies like the trained one, refuses another model and damaged weights', async () => {
    const target = await loadEvalTarget(demoDir);
    const { index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'whole-document' }, embedder: new CharTrigramEmbedder() });
    const out = await trialFineTune(index, target.queries, { level: 'doc', hybrid: false, curve: [1] });
    const adapters = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapters-'));
    const dir = saveAdapter(adapters, out.adapter, out.result);
    assert.equal(dir, path.join(adapters, out.adapter.id));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['manifest.json', 'weights.f32'], 'no temporary files left behind');
    const { adapter, manifest } = loadAdapter(dir, index.manifest.model);
    assert.equal(QueryAdapter.hashWeights(adapter.weights), QueryAdapter.hashWeights(out.adapter.weights));
    assert.equal(adapter.id, out.adapter.id);
    assert.deepEqual([manifest.model.id, manifest.model.revision, manifest.model.dims, manifest.trainingHash, manifest.trainPairs], ['char-trigram-hash', 'test', 256, out.result.training_hash, out.result.train_pairs]);
    assert.equal(manifest.metrics.adapted, out.result.adapted.ndcg_cut_10);
    const again = await evaluate(index, target.queries, { retriever: 'dense', level: 'doc', cutoffs: [10, 100], queryTransform: adapter });
    assert.equal(again.metrics.all.ndcg_cut_10, out.result.adapted.ndcg_cut_10);
    assert.equal(again.manifest.queryAdapter, adapter.id);
    assert.throws(() => loadAdapter(dir, { id: 'use-lite', revision: 'x', dims: 512 }), (e: unknown) => e instanceof AdapterMismatchError && /trained for 256-dim vectors of char-trigram-hash; the index's model use-lite gives 512-dim vectors/.test(e.message));
    assert.throws(() => loadAdapter(dir, { id: 'other', revision: 'test', dims: 256 }), /trained for model char-trigram-hash \(revision test\); the index uses other/);
    const w = path.join(dir, 'weights.f32');
    const bytes = fs.readFileSync(w);
    bytes[7] ^= 0xff;
    fs.writeFileSync(w, bytes);
    assert.throws(() => loadAdapter(dir, index.manifest.model), (e: unknown) => e instanceof InputError && e.file === w && /sha256 differs/.test(e.message));
    fs.writeFileSync(w, bytes.subarray(0, 100));
    assert.throws(() => loadAdapter(dir, index.manifest.model), /holds 100 bytes, a 256×256 float32 matrix takes 262144/);
    assert.throws(() => loadAdapter(adapters, index.manifest.model), /manifest\.json: missing: not a saved query adapter folder/);
  });
});

/** Everything of a trial that must repeat exactly (timings excluded). */
function stable(r: TrialResult): unknown {
  const { training, adapter_cost, ...rest } = r;
  return { ...rest, history: training.history, bestEpoch: training.bestEpoch, epochs: training.epochs, steps: training.steps, distance: training.distanceFromIdentity, multiplyAdds: adapter_cost.multiply_adds };
}

describe('trial fine-tune on the demo workspace (USE-lite)', () => {
  let root: string;
  let indexDir: string;
  let json: TrialResult & { per_query: { baseline: Record<string, Record<string, number>>; adapted: Record<string, Record<string, number>> }; adapter_id: string; run_manifest: { queryAdapter?: string } };
  let printed: string[];
  let baselineMetrics: { all: Record<string, number> };
  let target: EvalTarget;
  let index: WorkspaceIndex;
  let embedder: Embedder;
  let out: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapt-demo-'));
    fs.cpSync(demoDir, root, { recursive: true });
    fs.rmSync(path.join(root, '.retrieval-lens', 'index'), { recursive: true, force: true });
    indexDir = path.join(root, '.retrieval-lens', 'index', 'adapt-test');
    printed = [];
    const io = { out: (t: string) => printed.push(t), err: () => undefined };
    // Outputs outside the workspace, or the next run would index them as documents.
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapt-out-'));
    const files = ['trial.json', 'trial.md', 'adapted.run', 'baseline.json'].map((f) => path.join(out, f));
    assert.equal(await runCli(['trial-finetune', root, '--level', 'chunk', '--index-dir', indexDir, '--json', files[0], '--markdown', files[1], '--run-out', files[2]], io), 0);
    assert.equal(await runCli(['eval', root, '--retriever', 'dense', '--level', 'chunk', '--index-dir', indexDir, '--metrics-out', files[3]], quiet), 0);
    json = JSON.parse(fs.readFileSync(files[0], 'utf8'));
    baselineMetrics = JSON.parse(fs.readFileSync(files[3], 'utf8'));
    target = await loadEvalTarget(root);
    embedder = await UseLiteEmbedder.load();
    index = await openIndex(target, { retrieval: retrievalFromArgs({}, target), embedder, crossEncoder: null, indexDir, quiet: true }, quiet);
  });

  it('prints and writes figures that the written run and a separate dense eval reproduce', () => {
    const evalQueries = target.queries.filter((q) => q.split === 'eval' && q.judgments.length);
    const qrels = chunkQrels(evalQueries, (d) => index.chunksOf(d));
    const recomputed = computeMetrics(qrels, readTrecRun(path.join(out, 'adapted.run')), { cutoffs: [10, 100] });
    for (const m of ['ndcg_cut_10', 'recall_10', 'recall_100', 'recip_rank'] as const) {
      assert.ok(Math.abs(recomputed.all[m] - json.adapted[m]) < 1e-9, `${m}: run ${recomputed.all[m]} vs report ${json.adapted[m]}`);
      assert.ok(Math.abs(baselineMetrics.all[m] - json.baseline[m]) < 1e-9, `${m}: eval ${baselineMetrics.all[m]} vs report ${json.baseline[m]}`);
    }
    const c = compareRuns(JSON.parse(fs.readFileSync(path.join(out, 'baseline.json'), 'utf8')).per_query, recomputed.perQuery, 'ndcg_cut_10', { seed: 42 });
    assert.ok(Math.abs(c.meanDiff - json.delta) < 1e-9);
    assert.deepEqual(c.ci95, json.ci95);
    assert.equal(c.pValue, json.p_value);
    assert.equal(c.losses.length, json.worsened.length);
    assert.equal(json.train_pairs + json.held_out_pairs, 8, 'the demo has 8 labeled train pairs');
    assert.deepEqual(json.learning_curve.map((p) => p.share), [0.25, 0.5, 1]);
    assert.equal(json.learning_curve[2].delta, json.delta);
    assert.equal(printed[0], trialHeadline(json));
    assert.match(printed[0], new RegExp(`dense nDCG@10 ${json.baseline.ndcg_cut_10.toFixed(3)} → ${recomputed.all.ndcg_cut_10.toFixed(3)}`));
    const md = fs.readFileSync(path.join(out, 'trial.md'), 'utf8');
    assert.equal(md, renderTrialMarkdown(json));
    assert.ok(md.includes(`| dense + adapter | ${recomputed.all.ndcg_cut_10.toFixed(3)} |`));
    assert.equal(json.run_manifest.queryAdapter, json.adapter_id, 'the adapted run records its adapter');
    // How many labels are enough: eval queries from the paired per-query differences, training pairs from the curve.
    const need = { eval_queries: labelsNeededFrom({ n: json.eval_queries, mean: json.delta, sd: json.sd_diff }), training_pairs: pairsNeeded(json.learning_curve) };
    assert.deepEqual((json as unknown as { labels_needed: unknown }).labels_needed, JSON.parse(JSON.stringify(need)));
    for (const x of need.eval_queries) assert.ok(printed.includes(`eval queries ${x.line}`), `printed: eval queries ${x.line}`);
    assert.ok(printed.includes(need.training_pairs.line), `printed: ${need.training_pairs.line}`);
    assert.match(need.training_pairs.line, /^training pairs for another \+0\.020 nDCG@10: /);
  });

  it('the eval split never reaches training: poisoning eval-only labels changes no weight, poisoning a train label does', async () => {
    const opts = { level: 'chunk' as const, hybrid: false, curve: [1] };
    const clean = await trialFineTune(index, target.queries, opts);
    // Poison: every eval query now labels another document, and a new eval-only query labels the first train
    // query's own answer — a leak through any path (mining, held-out slice, in-batch negatives) would move W.
    const trainQ = target.queries.find((q) => q.split === 'train') as EvalQuery;
    const docs = [...index.documents()].map((d) => d.id);
    const poisoned = target.queries.map((q, i) => (q.split === 'eval' ? { ...q, text: `${q.text} poisoned`, judgments: [{ grade: 3 as const, target: { type: 'document' as const, docId: docs[i % docs.length] } }] } : q));
    poisoned.push({ id: 'poison-eval', text: trainQ.text, split: 'eval', judgments: [{ grade: 3, target: { type: 'document', docId: docs[0] } }] });
    const dirty = await trialFineTune(index, poisoned, opts);
    assert.equal(QueryAdapter.hashWeights(dirty.adapter.weights), QueryAdapter.hashWeights(clean.adapter.weights));
    assert.deepEqual(dirty.result.training.history, clean.result.training.history);
    assert.notEqual(dirty.result.adapted.ndcg_cut_10, clean.result.adapted.ndcg_cut_10, 'the poison did reach the eval numbers');
    // Control: the same kind of change on a train label does change the adapter (the check above can fail).
    const trainPoisoned = target.queries.map((q) => (q.id === trainQ.id ? { ...q, judgments: [{ grade: 3 as const, target: { type: 'document' as const, docId: docs[docs.length - 1] } }] } : q));
    const moved = await trialFineTune(index, trainPoisoned, opts);
    assert.notEqual(QueryAdapter.hashWeights(moved.adapter.weights), QueryAdapter.hashWeights(clean.adapter.weights));
  });

  it('the readiness report carries the expected gain with CI and p, in its checklist, verdict and Markdown', async () => {
    const retrieval = retrievalFromArgs({}, target);
    const report = await buildReadinessReport(target, async () => index, { baseline: embedder, alternatives: [], crossEncoder: null, chunker: retrieval.chunker }, { rechunkers: [] });
    const g = report.adapterGain;
    assert.ok(g?.measured);
    const again = await measureAdapterGain(index, target.queries);
    assert.deepEqual([g.delta, g.ci95, g.pValue, g.trainPairs, g.evalQueries], [again.delta, again.ci95, again.pValue, again.trainPairs, again.evalQueries]);
    const item = report.checklist.find((c) => c.item === 'Expected gain justifies cost and latency');
    assert.ok(item);
    // Ticked only when the randomization test and the bootstrap CI agree on at least 30 eval queries (not on the CI alone).
    assert.equal(item.ok, g.pValue <= 0.05 && g.ci95[0] > 0 && g.evalQueries >= 30);
    assert.equal(item.state, judgeGain({ delta: g.delta, ci95: g.ci95, pValue: g.pValue, n: g.evalQueries, sdDiff: g.sdDiff ?? NaN }).state);
    assert.deepEqual([item.evidence.n, item.evidence.p, item.evidence.ci95], [g.evalQueries, g.pValue, g.ci95]);
    assert.match(item.detail, /^query adapter [+-]\d\.\d{3} nDCG@10 \(95% CI \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\], p = \d\.\d{3}\) on \d+ eval queries, \d+ made worse; one 512×512 multiply per query \(\d+ µs measured\), no re-embedding/);
    assert.ok(report.verdict.reasons.includes(adapterVerdictReason(g)));
    const md = renderReadinessMarkdown(report);
    assert.ok(md.includes('## Expected gain from adapting the model'));
    assert.ok(md.includes(`| dense + adapter | ${g.adapted.toFixed(3)} |`));
    assert.ok(md.includes(`- ${STATE_MARK[item.state]} **Expected gain justifies cost and latency** — ${item.detail}`));
  });

  it('gives identical results on a second run with the same seed', async () => {
    const opts = { level: 'chunk' as const, hybrid: true, curve: [0.5, 1] };
    const a = await trialFineTune(index, target.queries, opts);
    const b = await trialFineTune(index, target.queries, opts);
    assert.equal(QueryAdapter.hashWeights(a.adapter.weights), QueryAdapter.hashWeights(b.adapter.weights));
    assert.deepEqual(stable(a.result), stable(b.result));
    const c = await trialFineTune(index, target.queries, { ...opts, seed: 43 });
    assert.notDeepEqual(stable(c.result), stable(a.result));
  });
});

/**
 * A fast lexical embedder for the SciFact arithmetic test: words hashed (FNV-1a) into 128 dims, L2-normalised.
 * Cheap enough to embed all 5,183 abstracts in a second; its retrieval quality is beside the point here.
 */
class WordHashEmbedder extends CharTrigramEmbedder {
  override readonly info = { id: 'word-hash-128', provider: 'transformers' as const, revision: 'test', dtype: 'fp32', dims: 128, maxTokens: 0 };
  override async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => {
      const v = new Float32Array(128);
      for (const w of t.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        let h = 0x811c9dc5;
        for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
        v[(h >>> 0) % 128] += 1;
      }
      return unit(v);
    });
  }
}

describe('trial fine-tune on SciFact, split by query id', { skip: skipUnlessShared('SciFact', scifactDir()) }, () => {
  it('reports figures that the written run reproduces (a word-hash embedder: the split and the arithmetic, not USE-lite quality)', async () => {
    const target = await loadEvalTarget(scifactDir() as string);
    assert.ok(target.queries.every((q) => q.split === 'eval'), 'SciFact ships one qrels file: everything is eval');
    const queries = assignTrainSplit(target.queries, 0.5, 42);
    assert.deepEqual(assignTrainSplit([...target.queries].reverse(), 0.5, 42).filter((q) => q.split === 'train').map((q) => q.id).sort(), queries.filter((q) => q.split === 'train').map((q) => q.id).sort(), 'the split does not depend on file order');
    assert.equal(queries.filter((q) => q.split === 'train').length, 150);
    const { index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'whole-document' }, embedder: new WordHashEmbedder() });
    const out = await trialFineTune(index, queries, { level: 'doc', hybrid: false, curve: [1] }, 'test split');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapt-sf-')), 'adapted.run');
    writeTrecRun(file, out.adaptedRun.ranking, 'retrieval-lens-dense-adapter');
    const evalQueries = queries.filter((q) => q.split === 'eval');
    const recomputed = computeMetrics(documentQrels(evalQueries), readTrecRun(file), { cutoffs: [10, 100] });
    assert.equal(recomputed.all.num_q, 150);
    assert.ok(Math.abs(recomputed.all.ndcg_cut_10 - out.result.adapted.ndcg_cut_10) < 1e-9);
    assert.ok(Math.abs(recomputed.all.recall_100 - out.result.adapted.recall_100) < 1e-9);
    const base = await evaluate(index, queries, { retriever: 'dense', level: 'doc', cutoffs: [10, 100] });
    assert.ok(Math.abs(base.metrics.all.ndcg_cut_10 - out.result.baseline.ndcg_cut_10) < 1e-9);
    assert.ok(renderTrialMarkdown(out.result).includes(`| dense + adapter | ${recomputed.all.ndcg_cut_10.toFixed(3)} |`));
    assert.equal(out.result.eval_queries, 150);
  });
});
