/**
 * Exact cosine search over unit vectors stored in one contiguous Float32Array (dot product = cosine), with a
 * bounded min-heap for the top k. At workspace scale (up to a few hundred thousand chunks) an exact scan is fast
 * enough and never misses; see docs/PERFORMANCE.md for where it stops holding.
 */
export class VectorIndex {
  private data: Float32Array;
  private ids: string[] = [];
  private readonly rowOf = new Map<string, number>();

  constructor(readonly dims: number, capacity = 1024) {
    this.data = new Float32Array(dims * Math.max(1, capacity));
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
      return;
    }
    if ((this.ids.length + 1) * this.dims > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, (this.ids.length + 1) * this.dims));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(vector, this.ids.length * this.dims);
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
      const moved = this.ids[last];
      this.ids[row] = moved;
      this.rowOf.set(moved, row);
    }
    this.ids.pop();
    this.rowOf.delete(id);
  }

  /** Cosine of every row with `query` (rows in storage order). */
  scoreAll(query: Float32Array): Float32Array {
    const n = this.ids.length;
    const d = this.dims;
    const out = new Float32Array(n);
    const data = this.data;
    for (let r = 0; r < n; r++) {
      const base = r * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let j = 0;
      for (; j + 3 < d; j += 4) {
        s0 += data[base + j] * query[j];
        s1 += data[base + j + 1] * query[j + 1];
        s2 += data[base + j + 2] * query[j + 2];
        s3 += data[base + j + 3] * query[j + 3];
      }
      for (; j < d; j++) s0 += data[base + j] * query[j];
      out[r] = s0 + s1 + s2 + s3;
    }
    return out;
  }

  /** The k best rows passing `allow` (row → boolean), best first; ties by storage order. */
  topK(query: Float32Array, k: number, allow?: (row: number) => boolean): Array<{ id: string; score: number }> {
    const scores = this.scoreAll(query);
    return topKOf(scores, k, allow).map((row) => ({ id: this.ids[row], score: scores[row] }));
  }

  /** Raw storage for persistence: rows in id order. */
  snapshot(): { ids: string[]; data: Float32Array } {
    return { ids: [...this.ids], data: this.data.subarray(0, this.ids.length * this.dims) };
  }

  static restore(dims: number, ids: string[], data: Float32Array): VectorIndex {
    if (data.length !== ids.length * dims) throw new Error(`vector file holds ${data.length} floats, expected ${ids.length} × ${dims}`);
    const v = new VectorIndex(dims, ids.length);
    v.data.set(data);
    v.ids = [...ids];
    ids.forEach((id, i) => v.rowOf.set(id, i));
    return v;
  }
}

/** Row indices of the k highest scores (min-heap), best first. */
export function topKOf(scores: Float32Array, k: number, allow?: (row: number) => boolean): number[] {
  const heap: number[] = [];
  const worse = (a: number, b: number) => scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  const siftUp = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let row = 0; row < scores.length; row++) {
    if (allow && !allow(row)) continue;
    if (heap.length < k) {
      heap.push(row);
      siftUp(heap.length - 1);
    } else if (k > 0 && worse(heap[0], row)) {
      heap[0] = row;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}
