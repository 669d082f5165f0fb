import { QueryAdapter, type AdapterModel } from '../../src/core/adapt/query-adapter';
import { DEFAULT_ADAPTER_TRAINING, type AdapterTrainingOptions, type AdapterTrainingResult, type TrainingExample } from '../../src/core/adapt/train-adapter';
import { seededRandom } from '../../src/core/eval/significance';

/**
 * The query-adapter trainer as it was before the SIMD kernels (commit 8232286's src/core/adapt/train-adapter.ts,
 * unchanged but for its name): per-pair scalar loops over Float32Arrays. Kept only as the reference that
 * trainQueryAdapter must equal bit for bit (test/unit/core/adapt/train-adapter.test.ts).
 *
 * Trains W with the multiple-negatives ranking loss (InfoNCE): for each query, a softmax over the cosines of its
 * positive, its own hard negatives and every other positive and hard negative in the batch (minus anything labeled
 * relevant for it), divided by the temperature; cross-entropy against its positive. Adam with a hand-written
 * update over Float32Arrays (no numeric library in the dependency tree fits: the project has no tensor package and
 * onnxruntime-node cannot train); the shuffles use a seeded PRNG and every sum runs in a fixed order, so the same
 * seed and data give the same weights bit for bit. Early stopping on the held-out examples (a slice of the TRAIN
 * split the caller set aside); the epoch with the lowest held-out loss wins, the identity (epoch 0) included.
 */
export function trainScalarReference(model: AdapterModel, fit: TrainingExample[], heldOut: TrainingExample[], options: Partial<AdapterTrainingOptions> = {}): AdapterTrainingResult {
  const o = { ...DEFAULT_ADAPTER_TRAINING, ...options };
  const d = model.dims;
  for (const e of [...fit, ...heldOut]) {
    if (e.query.length !== d || e.positive.length !== d || e.negatives.some((n) => n.vector.length !== d)) throw new Error(`training example for query ${e.queryId} is not ${d}-dim`);
  }
  const t0 = performance.now();
  const w = QueryAdapter.identity(model).weights;
  const m = new Float32Array(d * d);
  const v = new Float32Array(d * d);
  const row = new Float64Array(d);
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const rand = seededRandom(o.seed);
  const order = fit.map((_, i) => i);
  let best = Float32Array.from(w);
  let bestLoss = heldOut.length ? batchLoss(w, d, heldOut, o.temperature, false).loss : Infinity;
  let bestEpoch = 0;
  const history: AdapterTrainingResult['history'] = [{ epoch: 0, trainLoss: fit.length ? batchLoss(w, d, fit, o.temperature, false).loss : 0, heldOutLoss: bestLoss }];
  let step = 0;
  let epoch = 0;
  let stale = 0;
  while (fit.length && epoch < o.maxEpochs && stale < o.patience) {
    epoch++;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    for (let start = 0; start < order.length; start += o.batchSize) {
      const batch = order.slice(start, start + o.batchSize).map((i) => fit[i]);
      const { loss, du } = batchLoss(w, d, batch, o.temperature, true);
      lossSum += loss * batch.length;
      step++;
      // ∂loss/∂W row r = Σ_i du_i[r] q_i / B, plus the pull toward I; Adam on that row right away.
      const lr = o.learningRate;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      const inv = 1 / batch.length;
      for (let r = 0; r < d; r++) {
        row.fill(0);
        for (let i = 0; i < batch.length; i++) {
          const a = (du as Float64Array[])[i][r] * inv;
          if (a === 0) continue;
          const q = batch[i].query;
          for (let c = 0; c < d; c++) row[c] += a * q[c];
        }
        const base = r * d;
        for (let c = 0; c < d; c++) {
          const k = base + c;
          const g = row[c] + o.weightDecay * (w[k] - (r === c ? 1 : 0));
          const mk = (m[k] = beta1 * m[k] + (1 - beta1) * g);
          const vk = (v[k] = beta2 * v[k] + (1 - beta2) * g * g);
          w[k] -= (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
        }
      }
    }
    const held = heldOut.length ? batchLoss(w, d, heldOut, o.temperature, false).loss : 0;
    history.push({ epoch, trainLoss: lossSum / fit.length, heldOutLoss: held });
    if (!heldOut.length || held < bestLoss - 1e-6) {
      bestLoss = held;
      best = Float32Array.from(w);
      bestEpoch = epoch;
      stale = 0;
    } else stale++;
  }
  return { adapter: new QueryAdapter(model, best), history, bestEpoch, epochs: epoch, steps: step, ms: performance.now() - t0 };
}

/**
 * Mean InfoNCE loss of a batch under W and, with `withGrad`, each query's ∂loss_i/∂u_i (u_i = W q_i). The
 * candidates are every positive and hard negative in the batch, deduplicated by chunk id; for query i those
 * labeled relevant for it other than its own positive are masked out. W is read row by row once for the whole
 * batch (all B products per row), which keeps it in cache.
 */
function batchLoss(w: Float32Array, d: number, batch: TrainingExample[], temperature: number, withGrad: boolean): { loss: number; du: Float64Array[] | null } {
  const ids: string[] = [];
  const vecs: Float32Array[] = [];
  const seen = new Map<string, number>();
  const add = (id: string, vec: Float32Array) => {
    if (seen.has(id)) return;
    seen.set(id, ids.length);
    ids.push(id);
    vecs.push(vec);
  };
  for (const e of batch) add(e.positiveId, e.positive);
  for (const e of batch) for (const n of e.negatives) add(n.id, n.vector);
  const B = batch.length;
  const us = batch.map(() => new Float64Array(d));
  for (let r = 0; r < d; r++) {
    const base = r * d;
    for (let i = 0; i < B; i++) {
      const q = batch[i].query;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let c = 0;
      for (; c + 3 < d; c += 4) {
        s0 += w[base + c] * q[c];
        s1 += w[base + c + 1] * q[c + 1];
        s2 += w[base + c + 2] * q[c + 2];
        s3 += w[base + c + 3] * q[c + 3];
      }
      for (; c < d; c++) s0 += w[base + c] * q[c];
      us[i][r] = s0 + s1 + s2 + s3;
    }
  }
  const z = new Float64Array(d);
  const logits = new Float64Array(ids.length);
  const dus: Float64Array[] = [];
  let total = 0;
  for (let i = 0; i < B; i++) {
    const e = batch[i];
    const u = us[i];
    let norm = 0;
    for (let r = 0; r < d; r++) norm += u[r] * u[r];
    const len = Math.sqrt(norm) || 1;
    for (let r = 0; r < d; r++) z[r] = u[r] / len;
    const own = seen.get(e.positiveId) as number;
    let max = -Infinity;
    for (let j = 0; j < ids.length; j++) {
      if (j !== own && e.relevantIds.has(ids[j])) {
        logits[j] = -Infinity;
        continue;
      }
      const c = vecs[j];
      let s = 0;
      for (let r = 0; r < d; r++) s += z[r] * c[r];
      logits[j] = s / temperature;
      if (logits[j] > max) max = logits[j];
    }
    let sum = 0;
    for (let j = 0; j < ids.length; j++) sum += logits[j] === -Infinity ? 0 : Math.exp(logits[j] - max);
    total += -(logits[own] - max - Math.log(sum));
    if (!withGrad) continue;
    // ∂loss/∂z = Σ_j (p_j − y_j) c_j / τ; ∂loss/∂u = (I − z zᵀ) ∂loss/∂z / |u|
    const dz = new Float64Array(d);
    for (let j = 0; j < ids.length; j++) {
      if (logits[j] === -Infinity) continue;
      const coef = (Math.exp(logits[j] - max) / sum - (j === own ? 1 : 0)) / temperature;
      if (coef === 0) continue;
      const c = vecs[j];
      for (let r = 0; r < d; r++) dz[r] += coef * c[r];
    }
    let zdz = 0;
    for (let r = 0; r < d; r++) zdz += z[r] * dz[r];
    for (let r = 0; r < d; r++) dz[r] = (dz[r] - zdz * z[r]) / len;
    dus.push(dz);
  }
  return { loss: B ? total / B : 0, du: withGrad ? dus : null };
}
