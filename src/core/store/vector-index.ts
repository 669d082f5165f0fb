import { TopK } from './heap';
import { Int8Rows } from './int8-rows';
import { dot4 } from '../numeric/dot4';

/** The dense ranking of one query: exact float32 cosine, ties by storage order. */
export interface DenseRanking {
  /** The k best allowed rows, best first. */
  top: Array<{ row: number; score: number }>;
  /** Rank (1-based, among allowed rows) and score of one row; null when the row is not allowed. */
  position(row: number): { rank: number; score: number } | null;
  /** How the rows were scanned, and how many were scored in float32 (every row for a float scan). */
  mode: 'int8-simd' | 'float32';
  rescored: number;
}

/**
 * Exact cosine search over unit vectors stored in one contiguous Float32Array (dot product = cosine). Queries scan
 * an int8 copy with WebAssembly SIMD and rescore in float32 only the rows whose error bound could reach the top k
 * (Int8Rows), so results equal a float32 scan's; without WebAssembly SIMD the float32 table is scanned directly.
 * Exact search stays fast to a few hundred thousand chunks (docs/PERFORMANCE.md), which is workspace scale.
 */
export class VectorIndex {
  private data: Float32Array;
  private ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  /**
   * The int8 copy, kept current on every change so no query pays for building it (quantising costs ~5 µs a row
   * here: hidden under embedding during a build, ~0.5 s per 100k rows when a saved index loads). Null where
   * WebAssembly SIMD is missing or memory could not grow: then the float32 table is scanned.
   */
  private int8: Int8Rows | null;
  /** Set false to force the float32 scan (tests compare the two). */
  useInt8 = true;

  constructor(readonly dims: number, capacity = 1024) {
    this.data = new Float32Array(dims * Math.max(1, capacity));
    this.int8 = Int8Rows.create(dims, Math.max(1, capacity));
  }

  get size(): number {
    return this.ids.length;
  }

  idAt(row: number): string {
    return this.ids[row];
  }

  /** Storage row of a chunk's vector (rows move on removal). */
  rowIndex(id: string): number | undefined {
    return this.rowOf.get(id);
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  get(id: string): Float32Array | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.data.subarray(row * this.dims, (row + 1) * this.dims);
  }

  add(id: string, vector: Float32Array): void {
    if (vector.length !== this.dims) throw new Error(`vector for ${id} has ${vector.length} dims, index has ${this.dims}`);
    const existing = this.rowOf.get(id);
    if (existing !== undefined) {
      this.data.set(vector, existing * this.dims);
      this.mirror((m) => m.set(existing, vector));
      return;
    }
    if ((this.ids.length + 1) * this.dims > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, (this.ids.length + 1) * this.dims));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(vector, this.ids.length * this.dims);
    this.mirror((m) => m.set(this.ids.length, vector));
    this.rowOf.set(id, this.ids.length);
    this.ids.push(id);
  }

  /** Removes by moving the last row into the hole (O(dims)). */
  remove(id: string): void {
    const row = this.rowOf.get(id);
    if (row === undefined) return;
    const last = this.ids.length - 1;
    if (row !== last) {
      this.data.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      this.mirror((m) => m.move(last, row));
      const moved = this.ids[last];
      this.ids[row] = moved;
      this.rowOf.set(moved, row);
    }
    this.ids.pop();
    this.mirror((m) => m.pop());
    this.rowOf.delete(id);
  }

  /** Applies a change to the int8 copy if it exists; if it cannot grow (wasm32's 4 GiB), drops it for the float32 scan. */
  private mirror(change: (m: Int8Rows) => void): void {
    if (!this.int8) return;
    try {
      change(this.int8);
    } catch {
      this.int8 = null;
    }
  }

  /** The float32 cosine of one row with `query`: four float64 partial sums, rounded once to float32. */
  scoreRow(query: Float32Array, row: number): number {
    const d = this.dims;
    const data = this.data;
    return Math.fround(dot4(data, row * d, query, d));
  }

  /**
   * The k best rows passing `allow` by float32 cosine, ties by storage order — the same rows and scores as
   * topKOf(scoreAll(query), k, allow) — and a way to rank any row. With the int8 copy: L = the k-th largest lower
   * bound among allowed rows; a row whose upper bound is below L scores below at least k rows, so only rows with
   * upper bound ≥ L are rescored in float32.
   */
  search(query: Float32Array, k: number, allow?: (row: number) => boolean): DenseRanking {
    const m = this.useInt8 ? this.int8 : null;
    if (!m) {
      const scores = this.scoreAll(query);
      return {
        top: topKOf(scores, k, allow).map((row) => ({ row, score: scores[row] })),
        position: (row) => rankAmong(scores, row, allow),
        mode: 'float32',
        rescored: scores.length,
      };
    }
    const n = this.ids.length;
    const { approx, bound } = m.scan(query);
    // L: the k-th largest lower bound among allowed rows (-Infinity when fewer than k are allowed).
    const lowest = new TopK(k, (a, b) => approx[a] - bound[a] < approx[b] - bound[b] || (approx[a] - bound[a] === approx[b] - bound[b] && a > b));
    for (let r = 0; r < n; r++) if (!allow || allow(r)) lowest.offer(r);
    const kth = lowest.worst;
    const threshold = lowest.size < k || kth === undefined ? -Infinity : approx[kth] - bound[kth];
    const rows: number[] = [];
    for (let r = 0; r < n; r++) {
      if (allow && !allow(r)) continue;
      if (!(approx[r] + bound[r] < threshold)) rows.push(r); // NaN bounds are kept and rescored
    }
    const exact = Float32Array.from(rows, (r) => this.scoreRow(query, r));
    const top = topKOf(exact, k).map((i) => ({ row: rows[i], score: exact[i] }));
    const cache = new Map<number, number>(rows.map((r, i) => [r, exact[i]]));
    const exactOf = (r: number) => {
      let v = cache.get(r);
      if (v === undefined) cache.set(r, (v = this.scoreRow(query, r)));
      return v;
    };
    return {
      top,
      position: (row) => {
        if (row < 0 || row >= n || (allow && !allow(row))) return null;
        const score = exactOf(row);
        const s = rankKey(score);
        let rank = 1;
        for (let r = 0; r < n; r++) {
          if (r === row || (allow && !allow(r))) continue;
          if (approx[r] - bound[r] > s) rank++; // surely above
          else if (approx[r] + bound[r] < s) continue; // surely below
          else {
            const e = rankKey(exactOf(r));
            if (e > s || (e === s && r < row)) rank++;
          }
        }
        return { rank, score };
      },
      mode: 'int8-simd',
      rescored: rows.length,
    };
  }

  /** Cosine of every row with `query` (rows in storage order). */
  scoreAll(query: Float32Array): Float32Array {
    const out = new Float32Array(this.ids.length);
    for (let r = 0; r < out.length; r++) out[r] = this.scoreRow(query, r);
    return out;
  }

  /** The k best rows passing `allow` (row → boolean), best first; ties by storage order. */
  topK(query: Float32Array, k: number, allow?: (row: number) => boolean): Array<{ id: string; score: number }> {
    return this.search(query, k, allow).top.map(({ row, score }) => ({ id: this.ids[row], score }));
  }

  /** Raw storage for persistence: rows in id order. */
  snapshot(): { ids: string[]; data: Float32Array } {
    return { ids: [...this.ids], data: this.data.subarray(0, this.ids.length * this.dims) };
  }

  static restore(dims: number, ids: string[], data: Float32Array): VectorIndex {
    const v = VectorIndex.withRows(dims, ids, data);
    v.mirrorRows(data, 0, ids.length);
    return v;
  }

  /** restore() in slices of rows with yields to the event loop between them: a large index loads without a long block. */
  static async restoreAsync(dims: number, ids: string[], data: Float32Array, y: () => Promise<void> | undefined): Promise<VectorIndex> {
    const v = VectorIndex.withRows(dims, ids, data);
    for (let r = 0; r < ids.length; r += 64) {
      v.mirrorRows(data, r, Math.min(ids.length, r + 64));
      await y();
    }
    return v;
  }

  private static withRows(dims: number, ids: string[], data: Float32Array): VectorIndex {
    if (data.length !== ids.length * dims) throw new Error(`vector file holds ${data.length} floats, expected ${ids.length} × ${dims}`);
    const v = new VectorIndex(dims, ids.length);
    v.data.set(data);
    v.ids = [...ids];
    ids.forEach((id, i) => v.rowOf.set(id, i));
    return v;
  }

  /** Fills the quantised mirrors of rows [from, to). */
  private mirrorRows(data: Float32Array, from: number, to: number): void {
    const dims = this.dims;
    for (let r = from; r < to; r++) this.mirror((m) => m.set(r, data.subarray(r * dims, (r + 1) * dims)));
  }
}

/** A score as ranked: NaN (a broken vector) ranks below everything instead of scrambling the order. */
function rankKey(score: number): number {
  return score === score ? score : -Infinity;
}

/** Rank (1-based) and score of `row` among the rows passing `allow`, ties by storage order as topKOf breaks them. */
function rankAmong(scores: Float32Array, row: number, allow?: (row: number) => boolean): { rank: number; score: number } | null {
  if (row < 0 || row >= scores.length || (allow && !allow(row))) return null;
  const s = rankKey(scores[row]);
  let rank = 1;
  for (let r = 0; r < scores.length; r++) {
    if (r === row || (allow && !allow(r))) continue;
    const o = rankKey(scores[r]);
    if (o > s || (o === s && r < row)) rank++;
  }
  return { rank, score: scores[row] };
}

/** Row indices of the k highest scores (min-heap), best first; ties by row, NaN last. */
export function topKOf(scores: Float32Array, k: number, allow?: (row: number) => boolean): number[] {
  const worse = (a: number, b: number) => {
    const x = rankKey(scores[a]);
    const y = rankKey(scores[b]);
    return x < y || (x === y && a > b);
  };
  const top = new TopK(k, worse);
  for (let row = 0; row < scores.length; row++) if (!allow || allow(row)) top.offer(row);
  return top.result();
}
