/**
 * The query neighbourhood: for one query, its labeled relevant chunks, what was retrieved and the nearest confusers
 * (unlabeled or irrelevant chunks scoring high), with cosines and distances before and after the query adapter, and
 * a 2-D picture by PCA on that neighbourhood alone. The adapter maps only the query vector, so in the picture the
 * chunks stay put and the query moves. Pure and deterministic: the same vectors give the same view.
 */

export type NeighbourRole = 'relevant' | 'confuser' | 'retrieved';

export interface NeighbourCandidate {
  chunkId: string;
  docId: string;
  start: number;
  end: number;
  preview: string;
  vector: ArrayLike<number>;
  /** The highest grade labeled on this chunk for the query (0 = judged irrelevant); undefined when unlabeled. */
  grade?: number;
  /** Dense rank in the whole index without / with the adapter (null: beyond the ranking depth). */
  rankBefore: number | null;
  rankAfter: number | null;
}

export interface NeighbourhoodInput {
  query: string;
  queryId?: string;
  before: ArrayLike<number>;
  /** The adapted query vector (W q), when an adapter is on. */
  after?: ArrayLike<number>;
  adapterId?: string;
  candidates: NeighbourCandidate[];
  /** Top K that counts as retrieved. */
  k: number;
  /** At most this many confusers. */
  confusers: number;
}

export interface NeighbourPoint extends Omit<NeighbourCandidate, 'vector'> {
  role: NeighbourRole;
  cosineBefore: number;
  cosineAfter: number | null;
  /** Euclidean distance between the unit vectors, √(2 − 2 cos). */
  distanceBefore: number;
  distanceAfter: number | null;
  x: number;
  y: number;
}

export interface BeforeAfter {
  before: number | null;
  after: number | null;
}

export interface NeighbourhoodView {
  query: string;
  queryId?: string;
  adapterId: string | null;
  k: number;
  queryBefore: { x: number; y: number };
  queryAfter: { x: number; y: number } | null;
  points: NeighbourPoint[];
  /** Share of the neighbourhood's variance on each of the two axes (the rest is not in the picture). */
  explained: [number, number];
  summary: {
    /** Mean cosine of the query to its relevant chunks, and to the confusers. */
    relevantCosine: BeforeAfter;
    confuserCosine: BeforeAfter;
    /** Lowest relevant cosine minus highest non-relevant cosine: above 0, every relevant chunk outranks every confuser. */
    margin: BeforeAfter;
    /** Relevant chunks within the top K. */
    relevantInTopK: BeforeAfter;
  };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine of a ${a.length}-dim and a ${b.length}-dim vector`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

const distance = (cos: number) => Math.sqrt(Math.max(0, 2 - 2 * cos));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function buildNeighbourhood(input: NeighbourhoodInput): NeighbourhoodView {
  const { before, after } = input;
  const scored = input.candidates.map((c) => ({ c, cb: cosine(before, c.vector), ca: after ? cosine(after, c.vector) : null }));
  const best = (s: (typeof scored)[number]) => Math.max(s.cb, s.ca ?? -Infinity);
  const relevant = scored.filter((s) => (s.c.grade ?? 0) >= 1);
  const others = scored.filter((s) => (s.c.grade ?? 0) < 1).sort((a, b) => best(b) - best(a) || (a.c.chunkId < b.c.chunkId ? -1 : 1));
  // A confuser stands closer to the query (before or after) than some relevant chunk does.
  const floor = relevant.length ? Math.min(...relevant.map((s) => Math.min(s.cb, s.ca ?? Infinity))) : Infinity;
  const confusers = others.filter((s) => best(s) > floor).slice(0, Math.max(0, input.confusers));
  const inTop = (r: number | null) => r !== null && r <= input.k;
  const retrieved = others.filter((s) => !confusers.includes(s) && (inTop(s.c.rankBefore) || inTop(s.c.rankAfter)));
  const kept: Array<{ s: (typeof scored)[number]; role: NeighbourRole }> = [
    ...relevant.map((s) => ({ s, role: 'relevant' as const })),
    ...confusers.map((s) => ({ s, role: 'confuser' as const })),
    ...retrieved.map((s) => ({ s, role: 'retrieved' as const })),
  ];

  const rows: ArrayLike<number>[] = [before, ...(after ? [after] : []), ...kept.map((k) => k.s.c.vector)];
  const { coords, explained } = pca2(rows);
  const off = after ? 2 : 1;
  const points: NeighbourPoint[] = kept.map(({ s, role }, i) => {
    const { vector: _v, ...rest } = s.c;
    return { ...rest, role, cosineBefore: s.cb, cosineAfter: s.ca, distanceBefore: distance(s.cb), distanceAfter: s.ca === null ? null : distance(s.ca), x: coords[off + i][0], y: coords[off + i][1] };
  });

  const nonRelevant = others;
  const side = (pick: (s: (typeof scored)[number]) => number | null) => {
    const rel = relevant.map(pick).filter((v): v is number => v !== null);
    const conf = confusers.map(pick).filter((v): v is number => v !== null);
    const non = nonRelevant.map(pick).filter((v): v is number => v !== null);
    return { rel: mean(rel), conf: mean(conf), margin: rel.length && non.length ? Math.min(...rel) - Math.max(...non) : null };
  };
  const b = side((s) => s.cb);
  const a = after ? side((s) => s.ca) : { rel: null, conf: null, margin: null };
  return {
    query: input.query,
    queryId: input.queryId,
    adapterId: after ? (input.adapterId ?? null) : null,
    k: input.k,
    queryBefore: { x: coords[0][0], y: coords[0][1] },
    queryAfter: after ? { x: coords[1][0], y: coords[1][1] } : null,
    points,
    explained,
    summary: {
      relevantCosine: { before: b.rel, after: a.rel },
      confuserCosine: { before: b.conf, after: a.conf },
      margin: { before: b.margin, after: a.margin },
      relevantInTopK: {
        before: relevant.filter((s) => inTop(s.c.rankBefore)).length,
        after: after ? relevant.filter((s) => inTop(s.c.rankAfter)).length : null,
      },
    },
  };
}

/**
 * The rows projected on their first two principal components (rows unit-normalised and centred first). Exact and
 * deterministic: the eigenvectors of the n × n Gram matrix by cyclic Jacobi rotations (n is a few dozen points,
 * far fewer than the dimensions), each axis' sign fixed so its largest coordinate is positive.
 */
export function pca2(rows: ArrayLike<number>[]): { coords: Array<[number, number]>; explained: [number, number] } {
  const n = rows.length;
  if (!n) return { coords: [], explained: [0, 0] };
  const d = rows[0].length;
  const x = rows.map((r) => {
    if (r.length !== d) throw new Error(`PCA rows of ${d} and ${r.length} dims`);
    let norm = 0;
    for (let i = 0; i < d; i++) norm += r[i] * r[i];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    return Float64Array.from({ length: d }, (_, i) => r[i] * inv);
  });
  const centre = new Float64Array(d);
  for (const r of x) for (let i = 0; i < d; i++) centre[i] += r[i] / n;
  for (const r of x) for (let i = 0; i < d; i++) r[i] -= centre[i];
  const g = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += x[i][t] * x[j][t];
      g[i][j] = s;
      g[j][i] = s;
    }
  }
  const { values, vectors } = jacobiEigen(g);
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const axis = (k: number) => {
    const idx = order[k];
    if (idx === undefined || !(values[idx] > 1e-12)) return { coord: new Float64Array(n), share: 0 };
    const scale = Math.sqrt(values[idx]);
    const u = Float64Array.from({ length: n }, (_, i) => vectors[i][idx] * scale);
    let big = 0;
    for (let i = 1; i < n; i++) if (Math.abs(u[i]) > Math.abs(u[big]) + 1e-12) big = i;
    if (u[big] < 0) for (let i = 0; i < n; i++) u[i] = -u[i];
    return { coord: u, share: total > 0 ? values[idx] / total : 0 };
  };
  const a = axis(0);
  const b = axis(1);
  return { coords: Array.from({ length: n }, (_, i) => [a.coord[i], b.coord[i]] as [number, number]), explained: [a.share, b.share] };
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: values[i] with vectors[·][i]. */
function jacobiEigen(m: Float64Array[]): { values: number[]; vectors: Float64Array[] } {
  const n = m.length;
  const a = m.map((r) => Float64Array.from(r));
  const v = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let scale = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scale += a[i][j] * a[i][j];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
    if (off <= 1e-22 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]), vectors: v };
}
