import * as crypto from 'node:crypto';
import type { ModelInfo } from '../embed/embedder';
import type { QueryVectorTransform } from '../retrieve/types';

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

  constructor(
    readonly model: AdapterModel,
    readonly weights: Float32Array,
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

  /** W q, normalised to unit length (cosine stays a dot product); a zero result falls back to q. */
  apply(q: Float32Array): Float32Array {
    const d = this.model.dims;
    if (q.length !== d) throw new AdapterMismatchError(`query adapter ${this.id} maps ${d}-dim vectors, got a ${q.length}-dim one`);
    const w = this.weights;
    const out = new Float32Array(d);
    let norm = 0;
    for (let r = 0; r < d; r++) {
      const base = r * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let c = 0;
      for (; c + 3 < d; c += 4) {
        s0 += w[base + c] * q[c];
        s1 += w[base + c + 1] * q[c + 1];
        s2 += w[base + c + 2] * q[c + 2];
        s3 += w[base + c + 3] * q[c + 3];
      }
      for (; c < d; c++) s0 += w[base + c] * q[c];
      const v = s0 + s1 + s2 + s3;
      out[r] = v;
      norm += v * v;
    }
    if (!(norm > 0)) return Float32Array.from(q);
    const inv = 1 / Math.sqrt(norm);
    for (let r = 0; r < d; r++) out[r] *= inv;
    return out;
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
