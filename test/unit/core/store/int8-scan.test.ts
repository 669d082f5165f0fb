import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { KERNELS, renderModule, watToWasm } from '../../../../scripts/build-wasm';
import { Int8Rows } from '../../../../src/core/store/int8-rows';
import { topKOf, VectorIndex } from '../../../../src/core/store/vector-index';

const root = path.resolve(__dirname, '../../../..');

function rng(seed: number) {
  let a = seed;
  return () => ((a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0) >>> 0) / 4294967296 - 0.5;
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
}

function randomUnit(r: () => number, dims: number): Float32Array {
  return unit(Float32Array.from({ length: dims }, r));
}

/** What a plain float32 scan answers: the reference every int8 search must equal. */
function reference(v: VectorIndex, q: Float32Array, k: number, allow?: (row: number) => boolean) {
  const scores = v.scoreAll(q);
  const top = topKOf(scores, k, allow).map((row) => ({ row, score: scores[row] }));
  const key = (r: number) => (Number.isNaN(scores[r]) ? -Infinity : scores[r]); // a NaN score ranks last
  const position = (row: number) => {
    if (allow && !allow(row)) return null;
    let rank = 1;
    for (let r = 0; r < scores.length; r++) {
      if (r !== row && (!allow || allow(r)) && (key(r) > key(row) || (key(r) === key(row) && r < row))) rank++;
    }
    return { rank, score: scores[row] };
  };
  return { top, position };
}

function assertSameAsFloatScan(v: VectorIndex, q: Float32Array, k: number, allow?: (row: number) => boolean, rowsToLocate: number[] = []) {
  const got = v.search(q, k, allow);
  assert.equal(got.mode, 'int8-simd', 'WebAssembly SIMD is available in Node 20, so the int8 path must be taken');
  const want = reference(v, q, k, allow);
  assert.deepEqual(got.top, want.top);
  for (const row of rowsToLocate) assert.deepEqual(got.position(row), want.position(row), `position of row ${row}`);
  return got;
}

describe('int8 SIMD scan', () => {
  it('the committed kernel bytes are what the .wat compiles to', async () => {
    for (const k of KERNELS) {
      const bytes = await watToWasm(k.wat, fs.readFileSync(path.join(root, k.wat), 'utf8'));
      assert.equal(fs.readFileSync(path.join(root, k.out), 'utf8'), renderModule(k.name, k.wat, bytes), `${k.out} is stale: run npm run build:wasm`);
    }
  });

  it('every float32 score lies within approx ± bound, for odd sizes and awkward vectors', () => {
    const r = rng(11);
    for (const dims of [1, 7, 16, 17, 384, 1000]) {
      const rows = Int8Rows.create(dims);
      assert.ok(rows, 'WebAssembly SIMD available');
      const v = new VectorIndex(dims);
      const vectors: Float32Array[] = [
        new Float32Array(dims), // all zeros
        Float32Array.from({ length: dims }, (_, j) => (j === dims - 1 ? 1 : 0)), // one-hot in the padding's neighbour
        Float32Array.from({ length: dims }, (_, j) => (j % 2 ? 1e-3 : -1e3)), // huge range within a row
        Float32Array.from({ length: dims }, () => r() * 1e-6), // tiny, not normalised
        ...Array.from({ length: 300 }, () => randomUnit(r, dims)),
      ];
      vectors.forEach((x, i) => {
        rows.set(i, x);
        v.add(`c${i}`, x);
      });
      for (const q of [randomUnit(r, dims), Float32Array.from({ length: dims }, (_, j) => (j % 3 ? -5 : 5)), new Float32Array(dims)]) {
        const { approx, bound } = rows.scan(q);
        for (let i = 0; i < vectors.length; i++) {
          const exact = v.scoreRow(q, i);
          assert.ok(Math.abs(exact - approx[i]) <= bound[i], `dims ${dims} row ${i}: |${exact} - ${approx[i]}| > ${bound[i]}`);
        }
      }
    }
  });

  it('top k and every rank equal a float32 scan: random, near-tie and duplicate vectors, with and without a filter', () => {
    const r = rng(5);
    const dims = 384;
    const v = new VectorIndex(dims);
    const base = randomUnit(r, dims);
    for (let i = 0; i < 3000; i++) {
      let x: Float32Array;
      if (i % 3 === 0) x = randomUnit(r, dims);
      else if (i % 3 === 1) x = unit(base.map((b) => b + r() * 1e-3)); // near ties: cosines within ~1e-4 of each other
      else x = v.get(`c${i - 1}`) ?? base; // exact duplicates: ties broken by storage order
      v.add(`c${i}`, x);
    }
    const locate = [0, 1, 2, 3, 500, 1501, 2999];
    for (const q of [randomUnit(r, dims), base, unit(base.map((b) => b + r() * 1e-2))]) {
      for (const k of [1, 10, 100, 5000]) assertSameAsFloatScan(v, q, k, undefined, locate);
      assertSameAsFloatScan(v, q, 50, (row) => row % 7 !== 3, locate);
      assertSameAsFloatScan(v, q, 50, (row) => row < 5, locate);
      assertSameAsFloatScan(v, q, 50, () => false, locate);
    }
  });

  it('stays equal after adds, replacements, removals and a restore', () => {
    const r = rng(9);
    const dims = 48;
    const v = new VectorIndex(dims, 4);
    const q = randomUnit(r, dims);
    for (let i = 0; i < 200; i++) v.add(`c${i}`, randomUnit(r, dims));
    assertSameAsFloatScan(v, q, 20); // builds the int8 copy
    for (let i = 0; i < 200; i += 3) v.remove(`c${i}`); // moves the last rows into the holes
    for (let i = 200; i < 2500; i++) v.add(`c${i}`, randomUnit(r, dims)); // grows past its capacity more than once
    v.add('c1', q); // replaced in place: now the best match
    const got = assertSameAsFloatScan(v, q, 20, undefined, [0, 1, 2, v.size - 1]);
    assert.equal(v.idAt(got.top[0].row), 'c1');
    const snap = v.snapshot();
    const restored = VectorIndex.restore(dims, snap.ids, snap.data);
    assert.deepEqual(restored.search(q, 20).top, got.top);
  });

  it('rescores only the rows the bounds cannot rule out, and falls back to the float32 scan when asked', () => {
    const r = rng(3);
    const dims = 384;
    const v = new VectorIndex(dims);
    for (let i = 0; i < 20_000; i++) v.add(`c${i}`, randomUnit(r, dims));
    const q = randomUnit(r, dims);
    const fast = v.search(q, 100);
    assert.equal(fast.mode, 'int8-simd');
    assert.ok(fast.rescored < 2000, `rescored ${fast.rescored} of 20000 rows`);
    v.useInt8 = false;
    const slow = v.search(q, 100);
    assert.equal(slow.mode, 'float32');
    assert.equal(slow.rescored, 20_000);
    assert.deepEqual(fast.top, slow.top);
  });

  it('a vector with NaN ranks last in both scans instead of scrambling the others', () => {
    const v = new VectorIndex(4);
    v.add('ok2', unit(Float32Array.from([1, 1, 0, 0])));
    v.add('bad', Float32Array.from([Number.NaN, 0, 0, 0]));
    v.add('ok', unit(Float32Array.from([1, 0, 0, 0])));
    v.add('ok3', unit(Float32Array.from([0, 1, 0, 0])));
    const q = unit(Float32Array.from([1, 0.1, 0, 0]));
    const got = assertSameAsFloatScan(v, q, 4, undefined, [0, 1, 2, 3]);
    assert.deepEqual(got.top.map((h) => v.idAt(h.row)), ['ok', 'ok2', 'ok3', 'bad']);
    assert.equal(got.position(1)?.rank, 4);
    v.useInt8 = false;
    assert.deepEqual(v.search(q, 4).top.map((h) => v.idAt(h.row)), ['ok', 'ok2', 'ok3', 'bad']);
  });
});
