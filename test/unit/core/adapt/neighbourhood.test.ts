import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { listAdapterNames, resolveAdapterDir } from '../../../../src/core/adapt/adapter-ref';
import { buildNeighbourhood, cosine, pca2, type NeighbourCandidate } from '../../../../src/core/adapt/neighbourhood';
import { QueryAdapter } from '../../../../src/core/adapt/query-adapter';
import { seededRandom } from '../../../../src/core/eval/significance';
import { checkSetting } from '../../../../src/core/settings/workspace-settings';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const cand = (id: string, vector: number[], extra: Partial<NeighbourCandidate> = {}): NeighbourCandidate => ({
  chunkId: id, docId: `${id}.md`, start: 0, end: 10, preview: `text of ${id}`, vector, rankBefore: null, rankAfter: null, ...extra,
});

describe('PCA of a neighbourhood', () => {
  it('keeps the geometry of points that lie in a plane: pairwise distances exact, all variance on two axes', () => {
    // Unit vectors in a plane of a 6-dim space (e0, e1 rotated onto e0, e3).
    const rand = seededRandom(3);
    const angles = Array.from({ length: 9 }, () => rand() * Math.PI);
    const rows = angles.map((a) => [Math.cos(a), Math.sin(a), 0, 0, 0, 0]);
    const mixed = rows.map((v) => [0.6 * v[0] + 0.8 * v[1], 0, 0, -0.8 * v[0] + 0.6 * v[1], 0, 0]);
    const { coords, explained } = pca2(mixed);
    assert.ok(Math.abs(explained[0] + explained[1] - 1) < 1e-9, `explained ${explained}`);
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < rows.length; j++) {
        const d3 = Math.hypot(...mixed[i].map((x, t) => x - mixed[j][t]));
        const d2 = Math.hypot(coords[i][0] - coords[j][0], coords[i][1] - coords[j][1]);
        assert.ok(Math.abs(d3 - d2) < 1e-9, `distance ${i}-${j}: ${d3} vs ${d2}`);
      }
    }
  });

  it('puts points of two directions (any length) on the first axis only', () => {
    // Rows are unit-normalised first: only the direction counts, as for cosine.
    const rows = [[1, 0.3, 0], [2, 0.6, 0], [0, 1, 1], [0, 3, 3], [0.5, 0.15, 0]];
    const { coords, explained } = pca2(rows);
    assert.ok(explained[0] > 0.999, `first axis ${explained[0]}`);
    assert.ok(explained[1] < 1e-6);
    for (const [, y] of coords) assert.ok(Math.abs(y) < 1e-6);
    assert.ok(explained[0] >= explained[1]);
  });

  it('is deterministic and independent of vector scale', () => {
    const rand = seededRandom(11);
    const rows = Array.from({ length: 12 }, () => Array.from({ length: 16 }, () => rand() - 0.5));
    const a = pca2(rows);
    const b = pca2(rows.map((r, i) => r.map((x) => x * (i + 1) * 3)));
    assert.deepEqual(a, pca2(rows));
    for (let i = 0; i < rows.length; i++) for (const t of [0, 1]) assert.ok(Math.abs(a.coords[i][t] - b.coords[i][t]) < 1e-9);
  });
});

describe('query neighbourhood view model', () => {
  const q = unit([1, 0.1, 0, 0]);
  const rel = cand('rel', unit([0.3, 1, 0, 0]), { grade: 3, rankBefore: 7, rankAfter: 1 });
  const conf = cand('conf', unit([1, 0, 0.2, 0]), { rankBefore: 1, rankAfter: 4 });
  const judgedNo = cand('no', unit([0.9, 0, 0, 0.3]), { grade: 0, rankBefore: 2, rankAfter: 5 });
  const far = cand('far', unit([0, 0, 1, 1]), { rankBefore: 40, rankAfter: 41 });
  const low = cand('low', unit([0.2, 0.1, 0.1, 1]), { rankBefore: 3, rankAfter: 3 });

  it('labels relevant chunks, confusers closer than a relevant one, and the rest of the top K; drops what is none of these', () => {
    const v = buildNeighbourhood({ query: 'q', before: q, candidates: [far, low, conf, judgedNo, rel], k: 5, confusers: 10 });
    const roles = Object.fromEntries(v.points.map((p) => [p.chunkId, p.role]));
    assert.deepEqual(roles, { rel: 'relevant', conf: 'confuser', no: 'confuser', low: 'retrieved' });
    assert.equal(v.queryAfter, null);
    assert.equal(v.adapterId, null);
    const r = v.points.find((p) => p.chunkId === 'rel');
    assert.ok(r);
    assert.ok(Math.abs(r.cosineBefore - cosine(q, rel.vector)) < 1e-12);
    assert.ok(Math.abs(r.distanceBefore - Math.sqrt(2 - 2 * r.cosineBefore)) < 1e-12);
    assert.equal(r.cosineAfter, null);
    assert.equal(v.summary.relevantInTopK.before, 0, 'relevant at rank 7 is outside the top 5');
    assert.ok((v.summary.margin.before ?? 0) < 0, 'a confuser outscores the relevant chunk');
    assert.equal('vector' in r, false, 'vectors are not part of the view');
  });

  it('measures before and after a query adapter that pulls the query toward the relevant chunk', () => {
    // W rotates the query toward e1 (the relevant chunk's direction).
    const w = new Float32Array(16);
    const rot = [[0.3, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    rot.forEach((row, i) => row.forEach((x, j) => (w[i * 4 + j] = x)));
    const adapter = new QueryAdapter({ id: 'm', revision: 'r', dims: 4 }, w);
    const after = adapter.apply(Float32Array.from(q));
    const v = buildNeighbourhood({ query: 'q', queryId: 'q1', before: q, after, adapterId: adapter.id, candidates: [far, low, conf, judgedNo, rel], k: 5, confusers: 10 });
    const r = v.points.find((p) => p.chunkId === 'rel');
    assert.ok(r && r.cosineAfter !== null && r.cosineAfter > r.cosineBefore, 'the adapted query is closer to the relevant chunk');
    assert.ok((v.summary.relevantCosine.after ?? 0) > (v.summary.relevantCosine.before ?? 1));
    assert.ok((v.summary.margin.after ?? -1) > (v.summary.margin.before ?? 0));
    assert.equal(v.summary.relevantInTopK.after, 1);
    assert.equal(v.adapterId, adapter.id);
    assert.ok(v.queryAfter);
    // In the picture, the query point moves and the chunks do not move away from their cosine order.
    const dist = (p: { x: number; y: number }, o: { x: number; y: number }) => Math.hypot(p.x - o.x, p.y - o.y);
    assert.ok(dist(v.queryAfter, r) < dist(v.queryBefore, r), 'the picture shows the query moving toward its relevant chunk');
    assert.deepEqual(buildNeighbourhood({ query: 'q', queryId: 'q1', before: q, after, adapterId: adapter.id, candidates: [far, low, conf, judgedNo, rel], k: 5, confusers: 10 }), v, 'deterministic');
  });

  it('caps the confusers, and with no relevant label shows the retrieved chunks only', () => {
    const capped = buildNeighbourhood({ query: 'q', before: q, candidates: [far, low, conf, judgedNo, rel], k: 5, confusers: 1 });
    assert.deepEqual(capped.points.filter((p) => p.role === 'confuser').map((p) => p.chunkId), ['conf']);
    const none = buildNeighbourhood({ query: 'q', before: q, candidates: [far, low, conf], k: 5, confusers: 10 });
    assert.deepEqual(none.points.map((p) => [p.chunkId, p.role]), [['conf', 'retrieved'], ['low', 'retrieved']]);
    assert.equal(none.summary.margin.before, null);
    assert.equal(none.summary.relevantCosine.before, null);
  });

  it('refuses vectors of different dimensions instead of reading past one', () => {
    assert.throws(() => buildNeighbourhood({ query: 'q', before: q, candidates: [cand('x', [1, 0])], k: 5, confusers: 1 }), /4-dim and a 2-dim/);
  });
});

describe('retrievalLens.queryAdapter', () => {
  it('accepts a folder name or a path under .retrieval-lens/adapters, refuses anything that leaves it', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapter-ref-'));
    const base = path.join(root, '.retrieval-lens', 'adapters');
    assert.deepEqual(resolveAdapterDir(root, ''), { dir: null });
    assert.deepEqual(resolveAdapterDir(root, 'adapter-x'), { dir: path.join(base, 'adapter-x') });
    assert.deepEqual(resolveAdapterDir(root, '.retrieval-lens/adapters/adapter-x'), { dir: path.join(base, 'adapter-x') });
    for (const bad of ['../evil', 'a/../../b', '/etc', '.retrieval-lens/adapters/']) {
      const r = resolveAdapterDir(root, bad);
      assert.equal(r.dir, null, bad);
      assert.match(r.problem ?? '', /retrievalLens\.queryAdapter must name a folder under \.retrieval-lens\/adapters\//, bad);
    }
    assert.equal(checkSetting('queryAdapter', 'adapter-x'), undefined);
    assert.equal(checkSetting('queryAdapter', ''), undefined);
    assert.match(checkSetting('queryAdapter', '../x') ?? '', /^retrievalLens\.queryAdapter must name a folder under \.retrieval-lens\/adapters/);
    assert.match(checkSetting('queryAdapter', 3) ?? '', /^retrievalLens\.queryAdapter must be a string, got 3/);
    assert.deepEqual(listAdapterNames(root), []);
    fs.mkdirSync(path.join(base, 'a1'), { recursive: true });
    fs.mkdirSync(path.join(base, 'no-manifest'), { recursive: true });
    fs.writeFileSync(path.join(base, 'a1', 'manifest.json'), '{}');
    assert.deepEqual(listAdapterNames(root), ['a1']);
  });
});
