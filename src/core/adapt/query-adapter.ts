import * as crypto from 'node:crypto';
import type { ModelInfo } from '../embed/embedder';
import { F64Kernels, paddedDims } from './f64-kernels';
import type { QueryVectorTransform } from '../retrieve/types';
import { dot4 } from '../numeric/dot4';

/** An adapter trained for another model (or another number of dims) than the index it is applied to. */
export class AdapterMismatchError extends Error {}

/** What an adapter was trained for: the embedding model whose query vectors it maps. */
export interface AdapterModel {
  id: string;
  revision: string;
  dims: number;
}

/**
 * A linear map of query vectors, q' = W q / |W q|, W dims × dims (row-major), applied to the query only: the
 * corpus vectors stay as the model made them, so switching it on costs one d × d multiply per query and no
 * re-embedding. W starts at the identity (the adapter then changes nothing).
 */
export class QueryAdapter implements QueryVectorTransform {
  readonly id: string;

  /**
   * @param weights not to be changed afterwards (the id hashes them, apply() copies them once).
   * @param scalarOnly apply() with the plain JavaScript loop even where WebAssembly SIMD is available (tests).
   */
  constructor(
    readonly model: AdapterModel,
    readonly weights: Float32Array,
    private readonly scalarOnly = false,
  ) {
    const d = model.dims;
    if (!Number.isInteger(d) || d < 1) throw new AdapterMismatchError(`adapter dims must be a positive integer, got ${d}`);
    if (weights.length !== d * d) throw new AdapterMismatchError(`adapter for ${d} dims needs ${d * d} weights, got ${weights.length}`);
    this.id = `adapter-${model.id.replace(/[^A-Za-z0-9._-]+/g, '_')}-${QueryAdapter.hashWeights(weights).slice(0, 10)}`;
  }

  get dims(): number {
    return this.model.dims;
  }

  static identity(model: AdapterModel): QueryAdapter {
    const w = new Float32Array(model.dims * model.dims);
    for (let i = 0; i < model.dims; i++) w[i * model.dims + i] = 1;
    return new QueryAdapter(model, w);
  }

  static hashWeights(w: Float32Array): string {
    return crypto.createHash('sha256').update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength)).digest('hex');
  }

  /**
   * W q, normalised to unit length (cosine stays a dot product); a zero result falls back to q. With WebAssembly
   * SIMD the product runs in f64-kernels.wat (W copied once, on the first call, as doubles: 8·d² bytes), four rows
   * at a time; each row's sum keeps the order of the scalar loop below, so both give the same vector bit for bit.
   */
  apply(q: Float32Array): Float32Array {
    const d = this.model.dims;
    if (q.length !== d) throw new AdapterMismatchError(`query adapter ${this.id} maps ${d}-dim vectors, got a ${q.length}-dim one`);
    const k = this.kernel();
    const out = new Float32Array(d);
    let norm = 0;
    if (k) {
      const f = k.kernels.f64;
      f.set(q, k.x / 8);
      k.kernels.dots4(0, k.rows, k.x, 1, d, k.dp * 8, k.out);
      for (let r = 0; r < d; r++) {
        const v = f[k.out / 8 + r];
        out[r] = v;
        norm += v * v;
      }
    } else {
      const w = this.weights;
      for (let r = 0; r < d; r++) {
        const v = dot4(w, r * d, q, d);
        out[r] = v;
        norm += v * v;
      }
    }
    if (!(norm > 0)) return Float32Array.from(q);
    const inv = 1 / Math.sqrt(norm);
    for (let r = 0; r < d; r++) out[r] *= inv;
    return out;
  }

  private simd: { kernels: F64Kernels; dp: number; rows: number; x: number; out: number } | null | undefined;

  /** The SIMD kernel holding W as doubles (rows padded to a multiple of 4, zero), or null without WebAssembly SIMD. */
  private kernel(): { kernels: F64Kernels; dp: number; rows: number; x: number; out: number } | null {
    if (this.simd !== undefined) return this.simd;
    const kernels = this.scalarOnly ? null : new F64Kernels();
    if (!kernels?.simd) return (this.simd = null);
    const d = this.model.dims;
    const dp = paddedDims(d);
    const rows = Math.ceil(d / 4) * 4;
    const x = rows * dp * 8;
    const out = x + dp * 8;
    kernels.reserve(out + rows * 8);
    const f = kernels.f64;
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) f[r * dp + c] = this.weights[r * d + c];
    return (this.simd = { kernels, dp, rows, x, out });
  }

  /** Frobenius distance from the identity: how far training moved W. */
  distanceFromIdentity(): number {
    const d = this.model.dims;
    let s = 0;
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) {
      const x = this.weights[r * d + c] - (r === c ? 1 : 0);
      s += x * x;
    }
    return Math.sqrt(s);
  }

  /** Refuses to map vectors of another model or dimension, with a message naming both. */
  checkCompatible(model: Pick<ModelInfo, 'id' | 'revision' | 'dims'> | null): void {
    if (!model) throw new AdapterMismatchError(`query adapter for ${this.model.id} cannot apply: this index has no embedding model`);
    if (model.dims !== this.model.dims) {
      throw new AdapterMismatchError(`query adapter was trained for ${this.model.dims}-dim vectors of ${this.model.id}; the index's model ${model.id} gives ${model.dims}-dim vectors`);
    }
    if (model.id !== this.model.id || model.revision !== this.model.revision) {
      throw new AdapterMismatchError(
        `query adapter was trained for model ${this.model.id} (revision ${this.model.revision}); the index uses ${model.id} (revision ${model.revision}): train an adapter for this model`,
      );
    }
  }
}
