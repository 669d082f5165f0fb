import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { F64Kernels, paddedDims } from '../../../../src/core/adapt/f64-kernels';
import { seededRandom } from '../../../../src/core/eval/significance';

/** Two kernel memories with the same random float32 values in the first `bytes`: one SIMD, one JavaScript. */
function pair(bytes: number, seed: number): [F64Kernels, F64Kernels] {
  const simd = new F64Kernels();
  const js = new F64Kernels('js');
  assert.equal(simd.simd, true, 'WebAssembly SIMD is available in Node 20, so the kernels must run as WebAssembly');
  assert.equal(js.simd, false);
  const rand = seededRandom(seed);
  const values = Float32Array.from({ length: bytes / 8 }, () => rand() - 0.5);
  for (const k of [simd, js]) {
    k.reserve(bytes + 65536 * 3); // grows the memory past its first page
    k.f64.set(values);
  }
  return [simd, js];
}

function same(a: F64Kernels, b: F64Kernels, from: number, to: number, what: string) {
  const x = a.f64.subarray(from / 8, to / 8);
  const y = b.f64.subarray(from / 8, to / 8);
  assert.deepEqual(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), new Uint8Array(y.buffer, y.byteOffset, y.byteLength), what);
}

describe('float64 kernels: WebAssembly SIMD and JavaScript give the same doubles', () => {
  for (const d of [5, 16, 18, 33]) {
    const dp = paddedDims(d);
    const row = dp * 8;
    it(`at ${d} dims (rows of ${dp})`, () => {
      const m = 8;
      const n = 11;
      // [a: m rows][b: n rows][out: m·n][z: m rows][panels: 2 × dp × 8][logits: m × 16][coef: m × 16][c: 13 rows][dz: m rows][w][mo][ve][A: d × m][scratch]
      const a = 0, b = a + m * row, out = b + n * row, z = out + m * n * 8, panels = z + m * row, s = panels + 2 * dp * 64;
      const coef = s + m * 16 * 8, c = coef + m * 16 * 8, dz = c + 13 * row, w = dz + m * row, mo = w + d * row, ve = mo + d * row, am = ve + d * row, scratch = am + d * m * 8;
      const end = scratch + 128;
      const [simd, js] = pair(end, d);
      // moments and weights hold float32 values; the second moment is never negative
      for (const k of [simd, js]) for (let i = ve / 8; i < am / 8; i++) k.f64[i] = Math.abs(k.f64[i]) * 1e-3;
      for (const k of [simd, js]) {
        k.dots4(a, m, b, n, d, row, out);
        k.logits2(z, m, panels, 2, dp, s, 16 * 8);
        k.combine2(coef, m, 16 * 8, c, 13, dp, dz);
        k.adam16(w, mo, ve, am, a, m, d, dp, scratch, { lr: 1e-3, c1: 0.1, c2: 0.001, eps: 1e-8, wd: 1e-2, b1: 0.9, omb1: 1 - 0.9, b2: 0.999, omb2: 1 - 0.999 });
      }
      same(simd, js, out, z, 'dots4');
      same(simd, js, s, coef, 'logits2');
      same(simd, js, dz, w, 'combine2');
      same(simd, js, w, am, 'adam16');
      // a plain check of the first dot product and one Adam-updated weight, independent of both kernels
      const f = js.f64;
      const s4 = [0, 0, 0, 0];
      const d4 = d & ~3;
      for (let i = 0; i < d4; i++) s4[i % 4] += f[b / 8 + i] * f[a / 8 + i];
      let s0 = s4[0];
      for (let i = d4; i < d; i++) s0 += f[b / 8 + i] * f[a / 8 + i];
      assert.equal(f[out / 8], s0 + s4[1] + s4[2] + s4[3]);
    });
  }
});
