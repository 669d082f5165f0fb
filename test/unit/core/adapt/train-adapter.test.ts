import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryAdapter } from '../../../../src/core/adapt/query-adapter';
import { trainQueryAdapter, type AdapterTrainingOptions, type TrainingExample } from '../../../../src/core/adapt/train-adapter';
import { trainInWorker } from '../../../../src/core/adapt/training-runner';
import { seededRandom } from '../../../../src/core/eval/significance';
import { trainScalarReference } from '../../../helpers/scalar-adapter-trainer';

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

/**
 * Pairs with a learnable distortion and the awkward cases of a real batch: positives shared by several queries
 * (deduplicated candidates), negatives shared across pairs, a second relevant chunk per query that may turn up as
 * another pair's candidate (masked), and pairs without hard negatives.
 */
function examples(n: number, d: number, seed: number): TrainingExample[] {
  const rand = seededRandom(seed);
  const randv = () => unit(Float32Array.from({ length: d }, () => rand() - 0.5));
  const positives = Array.from({ length: Math.ceil(n / 3) }, randv);
  const negatives = Array.from({ length: 2 * n }, randv);
  return Array.from({ length: n }, (_, i) => {
    const p = (i * 7) % positives.length;
    const pos = positives[p];
    const query = unit(Float32Array.from({ length: d }, (_, j) => pos[(j + 3) % d] + 0.3 * (rand() - 0.5)));
    const negs = i % 5 === 4 ? [] : [0, 1, 2].map((k) => ((i * 3 + k) * 11) % negatives.length);
    return {
      queryId: `q${i}`,
      query,
      positiveId: `p${p}`,
      positive: pos,
      negatives: negs.map((k) => ({ id: `n${k}`, vector: negatives[k] })),
      relevantIds: new Set([`p${p}`, `n${(i * 13) % negatives.length}`, `p${(p + 1) % positives.length}`]),
    };
  });
}

function assertSameTraining(d: number, fit: TrainingExample[], held: TrainingExample[], options: Partial<AdapterTrainingOptions>) {
  const model = { id: 'm', revision: '1', dims: d };
  const want = trainScalarReference(model, fit, held, options);
  for (const kernels of ['auto', 'js'] as const) {
    const got = trainQueryAdapter(model, fit, held, options, kernels);
    assert.deepEqual(got.history, want.history, `${d} dims, ${kernels}: loss history`);
    assert.equal([got.bestEpoch, got.epochs, got.steps].join(), [want.bestEpoch, want.epochs, want.steps].join(), `${d} dims, ${kernels}: epochs`);
    assert.equal(QueryAdapter.hashWeights(got.adapter.weights), QueryAdapter.hashWeights(want.adapter.weights), `${d} dims, ${kernels}: weights`);
  }
  return want;
}

describe('query adapter training: the batched kernels equal the per-pair scalar trainer bit for bit', () => {
  it('at odd and round dimensions, odd batch sizes, shared and masked candidates, evaluation in several chunks', () => {
    for (const d of [7, 16, 18, 33]) {
      const ex = examples(150, d, d);
      // 110 fit and 40 held-out queries: the epoch-0 train loss and every held-out loss run in chunks of 32.
      const r = assertSameTraining(d, ex.slice(0, 110), ex.slice(110), { learningRate: 1e-2, maxEpochs: 4, patience: 10, batchSize: 13 });
      assert.ok(r.adapter.distanceFromIdentity() > 0, 'training moved W, so the comparison covers the Adam steps');
    }
  });

  it('with the default settings on 64 dims, and with early stopping picking an earlier epoch', () => {
    const ex = examples(300, 64, 5);
    assertSameTraining(64, ex.slice(0, 240), ex.slice(240), { maxEpochs: 3 });
    const r = assertSameTraining(64, ex.slice(0, 240), ex.slice(240), { learningRate: 0.2, maxEpochs: 8, patience: 2 });
    assert.ok(r.bestEpoch < r.epochs, `early stopping kept epoch ${r.bestEpoch} of ${r.epochs}`);
  });

  it('without a held-out slice (every epoch is kept as it comes)', () => {
    const ex = examples(40, 18, 9);
    const r = assertSameTraining(18, ex, [], { learningRate: 1e-2, maxEpochs: 3, batchSize: 8 });
    assert.equal(r.bestEpoch, 3);
  });
});

describe('training in a worker thread (the editor trains off its event loop)', () => {
  const model = { id: 'm', revision: '1', dims: 64 };
  const fit = examples(240, 64, 11);
  const held = examples(40, 64, 12);

  it('gives the in-process weights bit for bit, with the same history, and reports each epoch', async () => {
    const settings = { maxEpochs: 6, patience: 10, seed: 5 };
    const local = trainQueryAdapter(model, fit, held, settings);
    const epochs: number[] = [];
    const remote = await trainInWorker({ onEpoch: (e) => epochs.push(e.epoch) })(model, fit, held, settings);
    assert.equal(QueryAdapter.hashWeights(remote.adapter.weights), QueryAdapter.hashWeights(local.adapter.weights));
    assert.deepEqual(remote.history, local.history);
    assert.equal(remote.bestEpoch, local.bestEpoch);
    assert.deepEqual(epochs, local.history.slice(1).map((h) => h.epoch));
  });

  it('keeps the caller\'s event loop free and stops within a second of Cancel', async () => {
    const big = examples(1500, 384, 21);
    const controller = new AbortController();
    let longest = 0;
    let last = performance.now();
    const meter = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    let firstEpoch = 0;
    const started = performance.now();
    const run = trainInWorker({ signal: controller.signal, onEpoch: () => (firstEpoch ||= performance.now() - started) })({ ...model, dims: 384 }, big, big.slice(0, 100), { maxEpochs: 40, patience: 40 });
    // Cancel once training is under way (after its first epoch, or 3 s at most).
    while (!firstEpoch && performance.now() - started < 3000) await new Promise((r) => setTimeout(r, 20));
    const t = performance.now();
    controller.abort();
    await assert.rejects(run, (e: Error) => e.name === 'AbortError');
    const cancelMs = performance.now() - t;
    clearInterval(meter);
    console.log(`adapter training in a worker: 1,500 pairs of 384 dims, first epoch after ${firstEpoch.toFixed(0)} ms; longest event-loop gap on the caller ${longest.toFixed(1)} ms (target < 50); cancelled in ${cancelMs.toFixed(1)} ms (target < 1000)`);
    assert.ok(longest < 50, `event loop held ${longest.toFixed(1)} ms`);
    assert.ok(cancelMs < 1000, `cancel took ${cancelMs.toFixed(0)} ms`);
  });

  it('rejects with the reason when training fails in the worker (a wrong-dimension example)', async () => {
    const bad = [...fit.slice(0, 3), { ...fit[3], query: new Float32Array(10) }];
    await assert.rejects(trainInWorker()(model, bad, [], {}), /adapter training failed: training example for query q3 is not 64-dim/);
  });

  it('a signal already aborted starts no worker', async () => {
    const c = new AbortController();
    c.abort();
    await assert.rejects(trainInWorker({ signal: c.signal })(model, fit, held, {}), (e: Error) => e.name === 'AbortError');
  });
});
