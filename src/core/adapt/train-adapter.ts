import { seededRandom } from '../eval/significance';
import { F64Kernels, paddedDims, type AdamStep } from './f64-kernels';
import { QueryAdapter, type AdapterModel } from './query-adapter';

/** One labeled (query, relevant chunk) pair with its mined hard negatives, as vectors. */
export interface TrainingExample {
  /** The query the pair belongs to: the held-out slice and the learning curve split by query, never inside one. */
  queryId: string;
  query: Float32Array;
  positiveId: string;
  positive: Float32Array;
  negatives: Array<{ id: string; vector: Float32Array }>;
  /** Chunks labeled relevant for this query: never used as its negative, also not in-batch. */
  relevantIds: ReadonlySet<string>;
}

export interface AdapterTrainingOptions {
  /** Softmax temperature of the contrastive loss (cosine / temperature); 0.05 is sentence-transformers' scale 20. */
  temperature: number;
  learningRate: number;
  /** L2 pull of W toward the identity: loss += weightDecay / 2 · ‖W − I‖². */
  weightDecay: number;
  batchSize: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better held-out loss; the best epoch's W is kept. */
  patience: number;
  seed: number;
}

export const DEFAULT_ADAPTER_TRAINING: AdapterTrainingOptions = { temperature: 0.05, learningRate: 1e-4, weightDecay: 1e-2, batchSize: 32, maxEpochs: 40, patience: 4, seed: 42 };

export interface AdapterTrainingResult {
  adapter: QueryAdapter;
  /** Held-out loss per epoch (epoch 0: the identity, before any step). */
  history: Array<{ epoch: number; trainLoss: number; heldOutLoss: number }>;
  bestEpoch: number;
  epochs: number;
  steps: number;
  ms: number;
}

/**
 * Trains W with the multiple-negatives ranking loss (InfoNCE): for each query, a softmax over the cosines of its
 * positive, its own hard negatives and every other positive and hard negative in the batch (minus anything labeled
 * relevant for it), divided by the temperature; cross-entropy against its positive. Adam with a hand-written
 * update (no numeric library in the dependency tree fits: the project has no tensor package and onnxruntime-node
 * cannot train). The shuffles use a seeded PRNG and every sum runs in a fixed order, so the same seed and data give
 * the same weights bit for bit. Early stopping on the held-out examples (a slice of the TRAIN split the caller set
 * aside); the epoch with the lowest held-out loss wins, the identity (epoch 0) included.
 *
 * Speed: each step is four batched passes over one float64 memory (f64-kernels.wat, WebAssembly SIMD): U = Q Wᵀ
 * for the whole batch, the batch × candidates cosines, ∂loss/∂z as a combination of the candidate rows, and the
 * gradient Σ_i ∂u_i q_iᵀ fused with the Adam update row by row, so W is read twice per step and nothing is
 * allocated per pair. Every sum is taken in the order the earlier per-pair scalar loops took it (products of
 * float32 values in double precision), so the weights equal theirs bit for bit (tested against that reference).
 * `kernels: 'js'` runs the same loops in JavaScript (what runs where WebAssembly SIMD is missing).
 */
export function trainQueryAdapter(
  model: AdapterModel,
  fit: TrainingExample[],
  heldOut: TrainingExample[],
  options: Partial<AdapterTrainingOptions> = {},
  kernels: 'auto' | 'js' = 'auto',
  /** After each epoch (the runner in a worker reports it as progress). */
  onEpoch?: (e: AdapterTrainingResult['history'][number]) => void,
): AdapterTrainingResult {
  const o = { ...DEFAULT_ADAPTER_TRAINING, ...options };
  const d = model.dims;
  for (const e of [...fit, ...heldOut]) {
    if (e.query.length !== d || e.positive.length !== d || e.negatives.some((n) => n.vector.length !== d)) throw new Error(`training example for query ${e.queryId} is not ${d}-dim`);
  }
  const t0 = performance.now();
  const net = new AdapterNet(d, o.temperature, new F64Kernels(kernels));
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const rand = seededRandom(o.seed);
  const order = fit.map((_, i) => i);
  let best = net.weights();
  let bestLoss = heldOut.length ? net.loss(heldOut, false) : Infinity;
  let bestEpoch = 0;
  const history: AdapterTrainingResult['history'] = [{ epoch: 0, trainLoss: fit.length ? net.loss(fit, false) : 0, heldOutLoss: bestLoss }];
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
      const loss = net.loss(batch, true);
      lossSum += loss * batch.length;
      step++;
      // ∂loss/∂W row r = Σ_i du_i[r] q_i / B, plus the pull toward I; Adam on that row right away.
      net.adamStep({ lr: o.learningRate, c1: 1 - beta1 ** step, c2: 1 - beta2 ** step, eps, wd: o.weightDecay, b1: beta1, omb1: 1 - beta1, b2: beta2, omb2: 1 - beta2 });
    }
    const held = heldOut.length ? net.loss(heldOut, false) : 0;
    history.push({ epoch, trainLoss: lossSum / fit.length, heldOutLoss: held });
    onEpoch?.(history[history.length - 1]);
    if (!heldOut.length || held < bestLoss - 1e-6) {
      bestLoss = held;
      best = net.weights();
      bestEpoch = epoch;
      stale = 0;
    } else stale++;
  }
  return { adapter: new QueryAdapter(model, best), history, bestEpoch, epochs: epoch, steps: step, ms: performance.now() - t0 };
}

/** Queries per pass of an evaluation batch (the held-out slice, epoch 0's train loss): bounds the working memory. */
const EVAL_CHUNK = 32;

const up = (x: number, k: number) => Math.ceil(x / k) * k;

/**
 * W (float32 values held as doubles, rows of dp = d rounded up to 16) with its Adam moments, and the per-batch
 * buffers behind them in one kernel memory: [W][m][v][scratch] then, per batch, [candidate panels][candidate
 * rows][queries][u][z][logits][coefficients][∂z][a]. Padding (rows past the batch, values past d, candidates past
 * the last panel's) is zero, so it adds exact zeros to every sum.
 */
class AdapterNet {
  private readonly dp: number;
  private readonly rowBytes: number;
  private readonly w: number;
  private readonly mo: number;
  private readonly ve: number;
  private readonly scratch: number;
  private readonly fixedTop: number;
  /** The last gradient batch: where its queries and coefficients are, for adamStep. */
  private grad: { q: number; a: number; m: number } | null = null;
  private logits = new Float64Array(0);

  constructor(
    private readonly d: number,
    private readonly temperature: number,
    private readonly k: F64Kernels,
  ) {
    this.dp = paddedDims(d);
    this.rowBytes = this.dp * 8;
    const matrix = d * this.rowBytes;
    this.w = 0;
    this.mo = matrix;
    this.ve = 2 * matrix;
    this.scratch = 3 * matrix;
    this.fixedTop = this.scratch + 128;
    k.reserve(this.fixedTop);
    k.f64.fill(0, 0, this.fixedTop / 8);
    for (let r = 0; r < d; r++) k.f64[r * this.dp + r] = 1;
  }

  /** W as a d × d float32 matrix (row-major). */
  weights(): Float32Array {
    const { d, dp } = this;
    const f = this.k.f64;
    const out = new Float32Array(d * d);
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) out[r * d + c] = f[r * dp + c];
    return out;
  }

  adamStep(h: AdamStep): void {
    const g = this.grad;
    if (!g) throw new Error('adamStep needs a gradient batch first');
    this.k.adam16(this.w, this.mo, this.ve, g.a, g.q, g.m, this.d, this.dp, this.scratch, h);
    this.grad = null;
  }

  /**
   * Mean InfoNCE loss of a batch under W and, with `withGrad`, the coefficients a[r][i] = ∂loss_i/∂u_i[r] / B
   * (u_i = W q_i) that adamStep turns into the gradient. The candidates are every positive and hard negative in the
   * batch, deduplicated by chunk id; for query i those labeled relevant for it other than its own positive are
   * masked out. A gradient batch is one pass; an evaluation batch runs EVAL_CHUNK queries at a time (the loss is
   * summed in query order either way).
   */
  loss(batch: TrainingExample[], withGrad: boolean): number {
    const { d, dp, rowBytes, temperature, k } = this;
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
    const K = ids.length;
    const np = Math.ceil(K / 8);
    const kp = np * 8;
    const chunk = withGrad ? up(B, 4) : Math.min(up(B, 4), EVAL_CHUNK);
    let top = this.fixedTop;
    const alloc = (bytes: number) => {
      const at = top;
      top += up(bytes, 16);
      return at;
    };
    const panels = alloc(np * dp * 64);
    const rows = withGrad ? alloc(K * rowBytes) : 0;
    const q = alloc(chunk * rowBytes);
    const u = alloc(chunk * d * 8);
    const z = alloc(chunk * rowBytes);
    const s = alloc(chunk * kp * 8);
    const coef = withGrad ? alloc(chunk * kp * 8) : 0;
    const dz = withGrad ? alloc(chunk * rowBytes) : 0;
    const a = withGrad ? alloc(d * chunk * 8) : 0;
    k.reserve(top);
    const f = k.f64;
    f.fill(0, panels / 8, q / 8);
    for (let j = 0; j < K; j++) {
      const v = vecs[j];
      const base = panels / 8 + (j >> 3) * dp * 8 + (j & 7);
      for (let r = 0; r < d; r++) f[base + r * 8] = v[r];
      if (withGrad) f.set(v, rows / 8 + j * dp);
    }
    if (this.logits.length < K) this.logits = new Float64Array(K);
    const logits = this.logits;
    const lens = new Float64Array(chunk);
    let total = 0;
    for (let c0 = 0; c0 < B; c0 += chunk) {
      const mc = Math.min(chunk, B - c0);
      const m4 = up(mc, 4);
      f.fill(0, q / 8, top / 8);
      for (let t = 0; t < mc; t++) f.set(batch[c0 + t].query, q / 8 + t * dp);
      k.dots4(q, m4, this.w, d, d, rowBytes, u);
      for (let t = 0; t < mc; t++) {
        const ut = u / 8 + t * d;
        let norm = 0;
        for (let r = 0; r < d; r++) norm += f[ut + r] * f[ut + r];
        const len = Math.sqrt(norm) || 1;
        lens[t] = len;
        const zt = z / 8 + t * dp;
        for (let r = 0; r < d; r++) f[zt + r] = f[ut + r] / len;
      }
      k.logits2(z, m4, panels, np, dp, s, kp * 8);
      for (let t = 0; t < mc; t++) {
        const e = batch[c0 + t];
        const own = seen.get(e.positiveId) as number;
        const st = s / 8 + t * kp;
        for (let j = 0; j < K; j++) logits[j] = f[st + j] / temperature;
        for (const id of e.relevantIds) {
          const j = seen.get(id);
          if (j !== undefined && j !== own) logits[j] = -Infinity;
        }
        let max = -Infinity;
        for (let j = 0; j < K; j++) if (logits[j] > max) max = logits[j];
        let sum = 0;
        for (let j = 0; j < K; j++) sum += logits[j] === -Infinity ? 0 : Math.exp(logits[j] - max);
        total += -(logits[own] - max - Math.log(sum));
        if (!withGrad) continue;
        // ∂loss/∂z = Σ_j (p_j − y_j) c_j / τ (masked candidates: 0); combine2 forms the sums below.
        const ct = coef / 8 + t * kp;
        for (let j = 0; j < K; j++) f[ct + j] = logits[j] === -Infinity ? 0 : (Math.exp(logits[j] - max) / sum - (j === own ? 1 : 0)) / temperature;
      }
      if (!withGrad) continue;
      k.combine2(coef, m4, kp * 8, rows, K, dp, dz);
      // ∂loss/∂u = (I − z zᵀ) ∂loss/∂z / |u|, then a[r][i] = ∂loss/∂u_i[r] / B for the gradient Σ_i a_i q_iᵀ.
      const inv = 1 / B;
      for (let t = 0; t < mc; t++) {
        const zt = z / 8 + t * dp;
        const dt = dz / 8 + t * dp;
        let zdz = 0;
        for (let r = 0; r < d; r++) zdz += f[zt + r] * f[dt + r];
        for (let r = 0; r < d; r++) f[a / 8 + r * m4 + t] = ((f[dt + r] - zdz * f[zt + r]) / lens[t]) * inv;
      }
      this.grad = { q, a, m: m4 };
    }
    return B ? total / B : 0;
  }
}
