import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadAdapter, saveAdapter } from '../../../../src/core/adapt/adapter-store';
import { measureAdapterGain, renderAdapterGainMarkdown } from '../../../../src/core/adapt/readiness-gain';
import { trainQueryAdapter } from '../../../../src/core/adapt/train-adapter';
import type { AdapterTrainer } from '../../../../src/core/adapt/training-runner';
import { mineTrainingPairs, writeTrainingExport } from '../../../../src/core/adapt/training-export';
import { readSyntheticCurves, trialFineTune, type LearningPoint, type TrialOptions, type TrialResult } from '../../../../src/core/adapt/trial-finetune';
import { renderTrialMarkdown, trialCurveLines } from '../../../../src/core/adapt/trial-report';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { InputError } from '../../../../src/core/io/input-error';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { learningCurveChartOf } from '../../../../src/extension/webviews/baseline/baseline-model';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { demoDir } from '../../../helpers/shared';

/** The trainer each curve point goes through, recording which queries it was given to fit on and to stop on. */
function recordingTrainer(calls: Array<{ fit: string[]; heldOut: string[] }>): AdapterTrainer {
  return async (model, fit, heldOut, settings) => {
    calls.push({ fit: fit.map((e) => e.queryId), heldOut: heldOut.map((e) => e.queryId) });
    return trainQueryAdapter(model, fit, heldOut, settings);
  };
}

const opts: Partial<TrialOptions> = { level: 'doc', hybrid: false, curve: [0.5, 1] };

describe('trial fine-tune: the learning curve with and without synthetic queries (demo, char-trigram embedder)', () => {
  let index: WorkspaceIndex;
  let real: EvalQuery[];
  let mixed: EvalQuery[];
  let syntheticIds: Set<string>;

  before(async () => {
    const target = await loadEvalTarget(demoDir);
    ({ index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'whole-document' }, embedder: new CharTrigramEmbedder() }));
    real = target.queries;
    // Three of the demo's eight train queries become generate-queries' queries, as that command stores them.
    const train = real.filter((q) => q.split === 'train').map((q) => q.id).sort();
    assert.equal(train.length, 8, 'the demo has 8 train queries');
    syntheticIds = new Set(train.slice(0, 3));
    mixed = real.map((q) => (syntheticIds.has(q.id) ? { ...q, source: 'synthetic' as const } : q));
  });

  it('computes both curves at the same shares: the real-only one fits and stops on no synthetic pair, the other adds every synthetic pair to the same real ones', async () => {
    const calls: Array<{ fit: string[]; heldOut: string[] }> = [];
    const { result: r } = await trialFineTune(index, mixed, { ...opts, trainer: recordingTrainer(calls) });
    const s = r.synthetic;
    assert.equal(s.kind, 'mixed');
    assert.equal(s.queries, 3);
    assert.equal(s.fit_pairs, 3, 'each demo train query has one labeled pair');
    assert.equal(s.held_out_pairs, 0, 'the early-stopping slice is drawn from the real queries');
    assert.equal(s.real_fit_pairs + s.fit_pairs, r.train_pairs);
    assert.deepEqual(r.learning_curve.map((p) => p.share), [0.5, 1]);
    assert.deepEqual(s.real_curve.map((p) => p.share), [0.5, 1]);
    for (const [i, w] of r.learning_curve.entries()) {
      const o = s.real_curve[i];
      assert.equal(o.synthetic_pairs, 0, `real-only ${w.share}: no synthetic pair`);
      assert.equal(w.synthetic_pairs, s.fit_pairs, `with ${w.share}: every synthetic pair`);
      assert.equal(w.pairs - w.synthetic_pairs, o.pairs, `equal real pairs at ${w.share}`);
    }
    assert.equal(s.real_curve[1].pairs, s.real_fit_pairs);
    assert.ok(s.real_curve[0].pairs < s.real_curve[1].pairs, 'the half share is a proper subset');
    assert.equal(r.learning_curve[1].pairs, r.train_pairs, 'the with-curve ends at the trial adapter');
    assert.equal(r.learning_curve[1].delta, r.delta);

    // What the trainer was given: the adapter; with-synthetic at 50%; real-only at 50%; real-only at 100%.
    assert.equal(calls.length, 4);
    const [main, with50, real50, real100] = calls;
    for (const c of calls) assert.ok(c.heldOut.length && c.heldOut.every((id) => !syntheticIds.has(id)), 'no synthetic query steers early stopping');
    assert.deepEqual(new Set(main.fit.filter((id) => syntheticIds.has(id))), syntheticIds);
    for (const c of [real50, real100]) assert.deepEqual(c.fit.filter((id) => syntheticIds.has(id)), [], 'the real-only curve fits no synthetic query');
    assert.deepEqual(with50.fit.filter((id) => !syntheticIds.has(id)), real50.fit, 'the same real pairs, in the same order, with and without');
    assert.deepEqual(new Set(with50.fit.filter((id) => syntheticIds.has(id))), syntheticIds);
    assert.deepEqual(real100.fit, main.fit.filter((id) => !syntheticIds.has(id)));
    assert.equal(real50.fit.length, s.real_curve[0].pairs);

    // The comparison at 100% of the real pairs: with − without on the same eval queries (a difference of means).
    const e = s.effect;
    assert.ok(e);
    assert.deepEqual([e.real_pairs, e.synthetic_pairs], [s.real_fit_pairs, 3]);
    assert.ok(Math.abs(e.delta - (r.learning_curve[1].ndcg_cut_10 - s.real_curve[1].ndcg_cut_10)) < 1e-9);
    assert.ok(e.ci95[0] <= e.delta && e.delta <= e.ci95[1]);
    const significant = e.p_value <= 0.05 && (e.ci95[0] > 0 || e.ci95[1] < 0);
    assert.equal(/inside the noise/.test(s.reading), !significant, s.reading);
    assert.match(s.reading, new RegExp(`^Adding the 3 synthetic pairs \\(3 queries\\) to the ${s.real_fit_pairs} real ones`));

    // Shown: the CLI lines, the Markdown, the readiness section.
    const lines = trialCurveLines(r);
    assert.match(lines[0], /^learning curve \(shares of the real fit pairs/);
    assert.equal(lines[1], `  with synthetic queries: 50% (${r.learning_curve[0].pairs} pairs, 3 synthetic) ${fmt(r.learning_curve[0].delta)}, 100% (${r.train_pairs} pairs, 3 synthetic) ${fmt(r.delta)}`);
    assert.equal(lines[2], `  real queries only:      50% (${s.real_curve[0].pairs} pairs) ${fmt(s.real_curve[0].delta)}, 100% (${s.real_curve[1].pairs} pairs) ${fmt(s.real_curve[1].delta)}`);
    assert.equal(lines[4], s.reading);
    const md = renderTrialMarkdown(r);
    assert.ok(md.includes(`| 100% | real queries only | ${s.real_fit_pairs} (${s.real_fit_pairs} + 0) |`), md);
    assert.ok(md.includes(`| 100% | with synthetic queries | ${r.train_pairs} (${s.real_fit_pairs} + 3) |`));
    assert.ok(md.includes(s.reading));
  });

  it('gives the same curves for the same seed, other ones for another seed', async () => {
    const curves = (r: TrialResult) => ({ curve: r.learning_curve, synthetic: r.synthetic, hash: r.training_hash });
    const a = await trialFineTune(index, mixed, opts);
    const b = await trialFineTune(index, mixed, opts);
    assert.deepEqual(curves(a.result), curves(b.result));
    const c = await trialFineTune(index, mixed, { ...opts, seed: 7 });
    assert.notDeepEqual(curves(c.result).synthetic.real_curve, curves(a.result).synthetic.real_curve);
  });

  it('without synthetic queries: one curve, as before, and the result says there were none', async () => {
    const calls: Array<{ fit: string[]; heldOut: string[] }> = [];
    const { result: r } = await trialFineTune(index, real, { ...opts, trainer: recordingTrainer(calls) });
    assert.equal(r.synthetic.kind, 'none');
    assert.deepEqual([r.synthetic.real_curve, r.synthetic.effect, r.synthetic.fit_pairs], [[], null, 0]);
    assert.match(r.synthetic.reading, /^No synthetic \(generate-queries\) queries among the training pairs: one learning curve/);
    assert.deepEqual(r.learning_curve.map((p) => [p.share, p.synthetic_pairs]), [[0.5, 0], [1, 0]]);
    assert.equal(r.learning_curve[1].pairs, r.train_pairs);
    assert.equal(calls.length, 2, 'the adapter and the 50% point: no second curve trained');
    assert.equal(trialCurveLines(r)[0], `learning curve: 50% (${r.learning_curve[0].pairs} pairs) ${fmt(r.learning_curve[0].delta)}, 100% (${r.train_pairs} pairs) ${fmt(r.delta)}`);
  });

  it('with every train query synthetic: one curve over them, no real-only curve, and says so', async () => {
    const all = real.map((q) => (q.split === 'train' ? { ...q, source: 'synthetic' as const } : q));
    const { result: r } = await trialFineTune(index, all, opts);
    assert.equal(r.synthetic.kind, 'all');
    assert.deepEqual(r.synthetic.real_curve, []);
    assert.equal(r.synthetic.effect, null);
    assert.equal(r.synthetic.fit_pairs, r.train_pairs);
    assert.equal(r.learning_curve[1].synthetic_pairs, r.train_pairs);
    assert.match(r.synthetic.reading, new RegExp(`^All ${r.train_pairs} fit pairs are on synthetic \\(generate-queries\\) queries: there is no real-only curve`));
  });

  it('the readiness section and a saved adapter carry both curves; the baseline chart draws them labelled with their pairs', async () => {
    const g = await measureAdapterGain(index, mixed, { level: 'doc', hybrid: false });
    assert.ok(g.measured && g.syntheticCurves);
    assert.equal(g.syntheticCurves.kind, 'mixed');
    assert.ok(g.learningReading.endsWith(g.syntheticCurves.reading));
    const md = renderAdapterGainMarkdown(g).join('\n');
    assert.ok(md.includes('| Share of real pairs | with synthetic queries | real queries only |'), md);
    assert.equal(md.split('\n').filter((l) => /^\| (50|100)% \| [+-]\d\.\d{3} \[/.test(l)).length, 2);

    const out = await trialFineTune(index, mixed, opts);
    const dir = saveAdapter(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-curve-')), out.adapter, out.result);
    const { manifest } = loadAdapter(dir, index.manifest.model);
    assert.ok(manifest.learningCurve);
    assert.equal(manifest.learningCurve.realCurve.length, 2);
    const chart = learningCurveChartOf(manifest.learningCurve);
    assert.ok(chart);
    const s = out.result.synthetic;
    assert.deepEqual(chart.series.map((x) => x.label), [`with synthetic queries (${out.result.train_pairs} pairs: ${s.real_fit_pairs} real + 3 synthetic)`, `real queries only (${s.real_fit_pairs} pairs)`]);
    assert.deepEqual(chart.series.map((x) => x.points.length), [2, 2]);
    // Larger gain, higher on the chart; the x position is the share.
    const [w, o] = chart.series;
    assert.equal(w.points[1].y < o.points[1].y, out.result.learning_curve[1].delta > s.real_curve[1].delta);
    assert.equal(w.points[0].x, o.points[0].x);
    assert.equal(chart.xLabel, 'share of the real pairs');

    // A damaged curve in the manifest is refused with the file named, not drawn from garbage.
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    m.learningCurve.realCurve[0].delta = 'high';
    fs.writeFileSync(file, JSON.stringify(m));
    assert.throws(() => loadAdapter(dir, index.manifest.model), (e: unknown) => e instanceof InputError && e.file === file && /"learningCurve" "curve" and "realCurve" must be lists of points/.test(e.message));
  });

  it('the training export keeps synthetic pairs and marks each record, with the real ones apart', async () => {
    const pairs = await mineTrainingPairs(index, mixed);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-export-'));
    const counts = writeTrainingExport(dir, pairs, index);
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const st = read('pairs.jsonl');
    const meta = read('pairs.meta.jsonl');
    assert.equal(st.length, 8);
    assert.equal(meta.length, st.length);
    assert.deepEqual(Object.keys(st[0]), ['anchor', 'positive'], 'sentence-transformers columns only');
    const text = new Map(mixed.map((q) => [q.id, q.text]));
    meta.forEach((m, i) => {
      assert.equal(st[i].anchor, text.get(m.query_id), 'meta line i describes pairs line i');
      assert.equal(m.source, syntheticIds.has(m.query_id) ? 'synthetic' : 'hand');
    });
    assert.equal(counts.synthetic_pairs, 3);
    const realOnly = read('pairs.real.jsonl');
    assert.deepEqual(realOnly, st.filter((_, i) => meta[i].source !== 'synthetic'));
    const tmeta = read('triplets.meta.jsonl');
    assert.equal(tmeta.length, counts.triplets);
    assert.equal(read('triplets.real.jsonl').length, tmeta.filter((m) => m.source !== 'synthetic').length);
    const beir = read(path.join('beir', 'queries.jsonl'));
    assert.deepEqual(beir.filter((q) => q.metadata.source === 'synthetic').map((q) => q._id).sort(), [...syntheticIds].sort());
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).counts.synthetic_pairs, 3);
    // Without synthetic queries there is nothing to leave out: no .real files.
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-export-'));
    assert.equal(writeTrainingExport(plain, await mineTrainingPairs(index, real), index).synthetic_pairs, 0);
    assert.ok(!fs.existsSync(path.join(plain, 'pairs.real.jsonl')));
  });
});

const fmt = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

describe('reading the two curves', () => {
  const pt = (share: number, delta: number, pairs: number, synthetic: number): LearningPoint => ({ share, pairs, synthetic_pairs: synthetic, queries: pairs, ndcg_cut_10: 0.5 + delta, delta, ci95: [delta - 0.05, delta + 0.05], p_value: 0.2, bestEpoch: 1 });
  const base = { kind: 'mixed' as const, queries: 20, fit_pairs: 20, real_fit_pairs: 40, real_curve: [pt(0.5, 0.01, 20, 0), pt(1, 0.02, 40, 0)] };
  const withCurve = [pt(0.5, 0.05, 40, 20), pt(1, 0.08, 60, 20)];
  const effect = (delta: number, ci95: [number, number], p: number) => ({ real_pairs: 40, synthetic_pairs: 20, delta, ci95, p_value: p });

  it('says help only when the CI is above zero and p ≤ 0.05, hurt only when below, else inside the noise', () => {
    assert.match(readSyntheticCurves({ ...base, effect: effect(0.06, [0.02, 0.1], 0.01) }, withCurve), /^Adding the 20 synthetic pairs \(20 queries\) to the 40 real ones changes the adapted dense nDCG@10 by \+0\.060 \(95% CI \[\+0\.020, \+0\.100\], p = 0\.010\): at equal real pairs the synthetic queries help\. Gain over dense by share \(50% of the real pairs: \+0\.050 with, \+0\.010 without; 100% of the real pairs: \+0\.080 with, \+0\.020 without\)\.$/);
    assert.match(readSyntheticCurves({ ...base, effect: effect(0.06, [0.02, 0.1], 0.08) }, withCurve), /: inside the noise, so these eval queries cannot tell/);
    assert.match(readSyntheticCurves({ ...base, effect: effect(0.03, [-0.01, 0.07], 0.03) }, withCurve), /: inside the noise/);
    assert.match(readSyntheticCurves({ ...base, effect: effect(-0.06, [-0.1, -0.02], 0.01) }, withCurve), /: at equal real pairs the synthetic queries hurt; train without them/);
  });
});
