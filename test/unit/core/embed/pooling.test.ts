import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanPoolNormalize } from '../../../../src/core/embed/vector-math';

interface HfTensorCtor {
  new (type: string, data: Float32Array | BigInt64Array, dims: number[]): { dims: number[]; data: Float32Array; normalize(p: number, dim: number): { data: Float32Array } };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const T = require('@huggingface/transformers') as { Tensor: HfTensorCtor; mean_pooling(h: unknown, m: unknown): { normalize(p: number, d: number): { data: Float32Array; dims: number[] } } };

function rng(seed: number) {
  let a = seed;
  return () => ((a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0) >>> 0) / 4294967296 - 0.5;
}

describe('mean pooling + L2 normalisation', () => {
  it('equals transformers.js mean_pooling(...).normalize(2, -1) on padded batches', () => {
    const r = rng(7);
    for (const [batch, tokens, width] of [[1, 1, 4], [3, 7, 5], [32, 70, 384]]) {
      const hidden = Float32Array.from({ length: batch * tokens * width }, r);
      // Sequence i has tokens - (i % tokens) real tokens, then padding.
      const mask = BigInt64Array.from({ length: batch * tokens }, (_, x) => (x % tokens < tokens - (Math.floor(x / tokens) % tokens) ? 1n : 0n));
      const ours = meanPoolNormalize(hidden, [batch, tokens, width], mask);
      const ref = T.mean_pooling(new T.Tensor('float32', hidden, [batch, tokens, width]), new T.Tensor('int64', mask, [batch, tokens])).normalize(2, -1);
      assert.deepEqual(ref.dims, [batch, width]);
      assert.equal(ours.length, batch);
      for (let i = 0; i < batch; i++) {
        assert.equal(ours[i].length, width);
        for (let k = 0; k < width; k++) {
          const want = ref.data[i * width + k];
          assert.ok(Math.abs(ours[i][k] - want) < 1e-6, `[${batch},${tokens},${width}] row ${i} dim ${k}: ${ours[i][k]} vs ${want}`);
        }
      }
    }
  });

  it('padding values never leak into the mean', () => {
    const hidden = Float32Array.from([1, 0, 0, 1, 99, 99]); // 1 sequence, 3 tokens, 2 dims; the last token is padding
    const [v] = meanPoolNormalize(hidden, [1, 3, 2], BigInt64Array.from([1n, 1n, 0n]));
    assert.ok(Math.abs(v[0] - Math.SQRT1_2) < 1e-7 && Math.abs(v[1] - Math.SQRT1_2) < 1e-7, `${v}`);
  });

  it('an all-padding row gives a zero vector, not NaN; shape mismatches are errors', () => {
    const [v] = meanPoolNormalize(new Float32Array(4), [1, 2, 2], [0, 0]);
    assert.deepEqual([...v], [0, 0]);
    assert.throws(() => meanPoolNormalize(new Float32Array(5), [1, 2, 2], [1, 1]), /expected 1 × 2 × 2/);
    assert.throws(() => meanPoolNormalize(new Float32Array(4), [1, 2, 2], [1]), /attention mask/);
  });
});
