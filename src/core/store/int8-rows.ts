import { INT8_DOT_WASM } from './int8-dot-wasm';
import { lazySimdModule } from '../numeric/simd-module';

/**
 * An int8 copy of a vector table in WebAssembly memory, scanned with the SIMD kernel in int8-dot.wat: a quarter of
 * the float32 table's memory traffic and no per-element JS work (100k × 384 in about 2 ms where a JS float32 scan
 * takes about 48 ms; docs/PERFORMANCE.md).
 *
 * Every approximate score comes with a rigorous bound on its distance from the float32 score, so callers can
 * return exactly what a float32 scan returns (see VectorIndex.search). Each row x is quantised symmetrically,
 * x ≈ x̂ = s·q with s = max|x|/127, and the query y to 16 bits, y ≈ ŷ. By Cauchy–Schwarz,
 *   |x·y − x̂·ŷ| = |x̂·(y − ŷ) + (x − x̂)·y| ≤ ‖x̂‖·‖y − ŷ‖ + ‖x − x̂‖·‖y‖,
 * with ‖x − x̂‖ stored per row and ‖x̂‖ ≤ ‖x‖ + ‖x − x̂‖. A slack of 1e-6·‖x‖·‖y‖ covers the float32 rounding of
 * the exact score (at most 2⁻²⁴ of it) and the float64 arithmetic here (around 1e-14).
 */
export class Int8Rows {
  /** Bytes per row: dims rounded up to the kernel's 16-byte step (the padding stays zero). */
  readonly stride: number;
  /** Largest query integer: keeps every int32 sum in the kernel exact (stride · 127 · qmax < 2³¹). */
  private readonly qmax: number;
  private readonly memory: WebAssembly.Memory;
  private readonly kernel: (rows: number, n: number, stride: number, q: number, out: number) => void;
  private capacity = 0;
  private count = 0;
  private outOffset = 0;
  private rowsOffset = 0;
  /** A view of the whole memory, renewed when it grows (growing detaches the old buffer). */
  private bytes = new Int8Array(0);
  private scale = new Float64Array(0);
  private error = new Float64Array(0);
  private norm = new Float64Array(0);

  private constructor(
    readonly dims: number,
    module: WebAssembly.Module,
    capacity: number,
  ) {
    this.stride = Math.ceil(dims / 16) * 16;
    this.qmax = Math.min(32767, Math.floor((2 ** 31 - 1) / (127 * this.stride)));
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernel = instance.exports.dots as Int8Rows['kernel'];
    this.reserve(Math.max(16, capacity));
  }

  /** A table for `dims`-dimensional rows, or null where this runtime has no WebAssembly SIMD. */
  static create(dims: number, capacity = 1024): Int8Rows | null {
    const module = kernelModule();
    return module ? new Int8Rows(dims, module, capacity) : null;
  }

  get size(): number {
    return this.count;
  }

  /** Writes row `row` (at most one past the last, which appends). Throws a RangeError when memory cannot grow. */
  set(row: number, v: Float32Array): void {
    if (row > this.count) throw new Error(`row ${row} is past the end (${this.count} rows)`);
    if (row === this.count) {
      if (row >= this.capacity) this.reserve(Math.max(this.capacity * 2, row + 1));
      this.count++;
    }
    const d = this.dims;
    let maxAbs = 0;
    let norm2 = 0;
    for (let j = 0; j < d; j++) {
      const x = v[j];
      const a = x < 0 ? -x : x;
      if (a > maxAbs) maxAbs = a;
      norm2 += x * x;
    }
    const bytes = this.bytes;
    const offset = this.rowsOffset + row * this.stride;
    // NaN or ±Infinity makes norm2 non-finite: such a row gets an infinite bound and is always rescored, so it
    // ranks exactly as a float32 scan ranks it.
    if (!Number.isFinite(norm2) || maxAbs === 0) {
      bytes.fill(0, offset, offset + d);
      this.scale[row] = 0;
      this.error[row] = Number.isFinite(norm2) ? 0 : Infinity;
      this.norm[row] = Number.isFinite(norm2) ? Math.sqrt(norm2) : 0;
      return;
    }
    // |v[j]| · 127 / maxAbs ≤ 127 (1 + 2⁻⁵²): rounds to at most 127, no clamp needed. Whatever q comes out, the
    // error is measured from it, so the bound holds.
    const inv = 127 / maxAbs;
    const s = maxAbs / 127;
    let err2 = 0;
    for (let j = 0; j < d; j++) {
      const q = Math.round(v[j] * inv);
      bytes[offset + j] = q;
      const e = v[j] - s * q;
      err2 += e * e;
    }
    this.scale[row] = s;
    this.error[row] = Math.sqrt(err2) * (1 + 1e-9);
    this.norm[row] = Math.sqrt(norm2);
  }

  /** Copies row `from` over row `to` (removal moves the last row into the hole). */
  move(from: number, to: number): void {
    this.bytes.copyWithin(this.rowsOffset + to * this.stride, this.rowsOffset + from * this.stride, this.rowsOffset + (from + 1) * this.stride);
    this.scale[to] = this.scale[from];
    this.error[to] = this.error[from];
    this.norm[to] = this.norm[from];
  }

  /** Drops the last row. */
  pop(): void {
    if (this.count > 0) this.count--;
  }

  /**
   * Approximate dot product of every row with `query`, and for each a bound such that the float32 score
   * (`VectorIndex.scoreRow`) lies within approx ± bound.
   */
  scan(query: Float32Array): { approx: Float64Array; bound: Float64Array } {
    const n = this.count;
    let maxAbs = 0;
    let ynorm = 0;
    for (let j = 0; j < this.dims; j++) {
      maxAbs = Math.max(maxAbs, Math.abs(query[j]));
      ynorm += query[j] * query[j];
    }
    ynorm = Math.sqrt(ynorm);
    const approx = new Float64Array(n);
    const bound = new Float64Array(n);
    if (!Number.isFinite(maxAbs) || !Number.isFinite(ynorm)) {
      bound.fill(Infinity); // a broken query: everything is rescored
      return { approx, bound };
    }
    const sy = maxAbs > 0 ? maxAbs / this.qmax : 0;
    const q = new Int16Array(this.memory.buffer, 0, this.stride);
    let eyy = 0;
    for (let j = 0; j < this.dims; j++) {
      const v = sy > 0 ? Math.max(-this.qmax, Math.min(this.qmax, Math.round(query[j] / sy))) : 0;
      q[j] = v;
      const e = query[j] - sy * v;
      eyy += e * e;
    }
    const ey = Math.sqrt(eyy) * (1 + 1e-9);
    this.kernel(this.rowsOffset, n, this.stride, 0, this.outOffset);
    const dots = new Int32Array(this.memory.buffer, this.outOffset, n);
    const { scale, error, norm } = this;
    for (let r = 0; r < n; r++) {
      approx[r] = dots[r] * scale[r] * sy;
      bound[r] = error[r] * ynorm + (norm[r] + error[r]) * ey + 1e-6 * norm[r] * ynorm + 1e-30;
    }
    return { approx, bound };
  }

  /** Memory layout: [query: 2·stride bytes][scores: 4·capacity][rows: stride·capacity], each 16-byte aligned. */
  private reserve(capacity: number): void {
    const align = (x: number) => Math.ceil(x / 16) * 16;
    const outOffset = align(2 * this.stride);
    const rowsOffset = outOffset + align(4 * capacity);
    const needed = rowsOffset + this.stride * capacity;
    const have = this.memory.buffer.byteLength;
    if (needed > have) this.memory.grow(Math.ceil((needed - have) / 65536)); // RangeError past the 4 GiB of wasm32
    this.bytes = new Int8Array(this.memory.buffer);
    this.bytes.copyWithin(rowsOffset, this.rowsOffset, this.rowsOffset + this.count * this.stride);
    this.bytes.fill(0, rowsOffset + this.count * this.stride, rowsOffset + this.stride * capacity);
    const grow = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a.subarray(0, Math.min(a.length, capacity)));
      return b;
    };
    this.scale = grow(this.scale);
    this.error = grow(this.error);
    this.norm = grow(this.norm);
    this.outOffset = outOffset;
    this.rowsOffset = rowsOffset;
    this.capacity = capacity;
  }
}

/** The compiled kernel, or null where WebAssembly SIMD is not supported (then the float32 scan is used). */
const kernelModule = lazySimdModule(INT8_DOT_WASM);
