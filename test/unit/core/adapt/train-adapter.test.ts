import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryAdapter } from '../../../../src/core/adapt/query-adapter';
import { trainQueryAdapter, type AdapterTrainingOptions, type TrainingExample } from '../../../../src/core/adapt/train-adapter';
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
