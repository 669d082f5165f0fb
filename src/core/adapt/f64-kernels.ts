import { F64_KERNELS_WASM } from './f64-kernels-wasm';
import { lazySimdModule } from '../numeric/simd-module';

/**
 * The float64 kernels of the query-adapter trainer over one growable memory: f64-kernels.wat with WebAssembly SIMD
 * (two doubles per instruction), or the same loops in plain JavaScript where SIMD is missing. Both take every sum in
 * the same order, so they give the same doubles bit for bit (test/unit/core/adapt/f64-kernels.test.ts); the
 * trainer's result therefore does not depend on which one ran. All pointers and strides are byte offsets into
 * `f64`'s buffer, 16-byte aligned; see the .wat for what each kernel computes.
 */
export class F64Kernels {
  /** A view of the whole memory; replaced by reserve() when the memory grows. */
  f64: Float64Array;
  private readonly memory: WebAssembly.Memory;
  private readonly wasm: WasmExports | null;

  constructor(mode: 'auto' | 'js' = 'auto') {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const module = mode === 'auto' ? kernelModule() : null;
    this.wasm = module ? (new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as WasmExports) : null;
    this.f64 = new Float64Array(this.memory.buffer);
  }

  get simd(): boolean {
    return this.wasm !== null;
  }

  /** Makes the memory at least `bytes` long (it never shrinks); past 4 GiB wasm32 throws a RangeError. */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.f64.buffer !== this.memory.buffer) this.f64 = new Float64Array(this.memory.buffer);
  }

  /** out[i·n + r] = a_i · b_r (i < m, m a multiple of 4; r < n) over d values, in the scalar trainer's order. */
  dots4(a: number, m: number, b: number, n: number, d: number, stride: number, out: number): void {
    if (this.wasm) return this.wasm.dots4(a, m, b, n, d, stride, out);
    const f = this.f64;
    const s = stride / 8;
    const d4 = d & ~3;
    for (let r = 0; r < n; r++) {
      const bp = b / 8 + r * s;
      for (let i = 0; i < m; i++) {
        const ap = a / 8 + i * s;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let c = 0;
        for (; c < d4; c += 4) {
          s0 += f[bp + c] * f[ap + c];
          s1 += f[bp + c + 1] * f[ap + c + 1];
          s2 += f[bp + c + 2] * f[ap + c + 2];
          s3 += f[bp + c + 3] * f[ap + c + 3];
        }
        for (; c < d; c++) s0 += f[bp + c] * f[ap + c];
        f[out / 8 + i * n + r] = s0 + s1 + s2 + s3;
      }
    }
  }

  /** out[i·outStride/8 + j] = Σ_{r < dp} z_i[r] · c_j[r] in order (i < m, m even; j < 8·np, candidates in panels). */
  logits2(z: number, m: number, panels: number, np: number, dp: number, out: number, outStride: number): void {
    if (this.wasm) return this.wasm.logits2(z, m, panels, np, dp, out, outStride);
    const f = this.f64;
    for (let p = 0; p < np; p++) {
      const pp = panels / 8 + p * dp * 8;
      for (let i = 0; i < m; i++) {
        const zi = z / 8 + i * dp;
        const o = out / 8 + (i * outStride) / 8 + p * 8;
        for (let l = 0; l < 8; l++) {
          let s = 0;
          for (let r = 0; r < dp; r++) s += f[zi + r] * f[pp + r * 8 + l];
          f[o + l] = s;
        }
      }
    }
  }

  /** out_i[r] = Σ_{j < k} coef_i[j] · c_j[r] in order (i < m, m even; r < dp, dp a multiple of 8). */
  combine2(coef: number, m: number, coefStride: number, c: number, k: number, dp: number, out: number): void {
    if (this.wasm) return this.wasm.combine2(coef, m, coefStride, c, k, dp, out);
    const f = this.f64;
    for (let i = 0; i < m; i++) {
      const cf = coef / 8 + (i * coefStride) / 8;
      const o = out / 8 + i * dp;
      for (let r = 0; r < dp; r++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += f[cf + j] * f[c / 8 + j * dp + r];
        f[o + r] = s;
      }
    }
  }

  /** One Adam step on W from the gradient Σ_i a[r·m + i] q_i + wd (W − I), row by row (dp a multiple of 16). */
  adam16(w: number, mo: number, ve: number, a: number, q: number, m: number, d: number, dp: number, scratch: number, h: AdamStep): void {
    if (this.wasm) return this.wasm.adam16(w, mo, ve, a, q, m, d, dp, scratch, h.lr, h.c1, h.c2, h.eps, h.wd, h.b1, h.omb1, h.b2, h.omb2);
    const f = this.f64;
    const f32 = new Float32Array(1);
    const round = (x: number) => ((f32[0] = x), f32[0]);
    for (let r = 0; r < d; r++) {
      const ap = a / 8 + r * m;
      for (let c = 0; c < dp; c++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += f[ap + i] * f[q / 8 + i * dp + c];
        const e = r * dp + c;
        const wv = f[w / 8 + e];
        const g = s + h.wd * (wv - (r === c ? 1 : 0));
        const mk = h.b1 * f[mo / 8 + e] + h.omb1 * g;
        const vk = h.b2 * f[ve / 8 + e] + h.omb2 * g * g;
        f[mo / 8 + e] = round(mk);
        f[ve / 8 + e] = round(vk);
        f[w / 8 + e] = round(wv - (h.lr * (mk / h.c1)) / (Math.sqrt(vk / h.c2) + h.eps));
      }
    }
  }
}

/** The constants of one Adam step: c1 = 1 − β1^t and c2 = 1 − β2^t, omb1 = 1 − β1 and omb2 = 1 − β2 as JavaScript computes them. */
export interface AdamStep {
  lr: number;
  c1: number;
  c2: number;
  eps: number;
  wd: number;
  b1: number;
  omb1: number;
  b2: number;
  omb2: number;
}

interface WasmExports {
  dots4(a: number, m: number, b: number, n: number, d: number, stride: number, out: number): void;
  logits2(z: number, m: number, panels: number, np: number, dp: number, out: number, outStride: number): void;
  combine2(coef: number, m: number, coefStride: number, c: number, k: number, dp: number, out: number): void;
  adam16(w: number, mo: number, ve: number, a: number, q: number, m: number, d: number, dp: number, scratch: number, lr: number, c1: number, c2: number, eps: number, wd: number, b1: number, omb1: number, b2: number, omb2: number): void;
}

/** The compiled kernels, or null where WebAssembly SIMD is not supported (then the JavaScript loops run). */
const kernelModule = lazySimdModule(F64_KERNELS_WASM);

/** Row length in doubles for d values: a multiple of 16, the widest tile of the kernels. */
export function paddedDims(d: number): number {
  return Math.ceil(d / 16) * 16;
}
