import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryAdapter } from '../../../../src/core/adapt/query-adapter';
import { seededRandom } from '../../../../src/core/eval/significance';

describe('query adapter: apply', () => {
  it('the SIMD product gives the scalar loop\'s vector bit for bit, at odd and round dimensions', () => {
    for (const d of [1, 7, 16, 18, 33, 512]) {
      const rand = seededRandom(d);
      const w = Float32Array.from({ length: d * d }, () => rand() - 0.5);
      const model = { id: 'm', revision: '1', dims: d };
      const simd = new QueryAdapter(model, w);
      const scalar = new QueryAdapter(model, w, true);
      for (let i = 0; i < 20; i++) {
        const q = Float32Array.from({ length: d }, () => rand() - 0.5);
        const a = simd.apply(q);
        const b = scalar.apply(q);
        assert.deepEqual(new Uint8Array(a.buffer), new Uint8Array(b.buffer), `${d} dims, query ${i}`);
        assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-5);
      }
      assert.deepEqual(simd.apply(new Float32Array(d)), new Float32Array(d), 'a zero product falls back to the query');
    }
  });
});
