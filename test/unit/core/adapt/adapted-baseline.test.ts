import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { QueryAdapter } from '../../../../src/core/adapt/query-adapter';
import type { EmbedOptions, Embedder } from '../../../../src/core/embed/embedder';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluate, type EvaluateOptions, type EvaluationResult } from '../../../../src/core/eval/evaluate';
import { seededRandom } from '../../../../src/core/eval/significance';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { demoDir } from '../../../helpers/shared';

/**
 * The same model with W applied to query vectors only (passages as they are): an index built with it holds the
 * same passage vectors, and its plain dense leg sees W·q. Named for what it is: a real embedder composed with W.
 */
class QueryMappedEmbedder implements Embedder {
  constructor(
    private readonly inner: Embedder,
    private readonly w: QueryAdapter,
  ) {}
  get info() {
    return this.inner.info;
  }
  async embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]> {
    const v = await this.inner.embed(texts, options);
    return options?.kind === 'query' ? v.map((x) => this.w.apply(x)) : v;
  }
  countTokens(text: string): number {
    return this.inner.countTokens(text);
  }
  async dispose(): Promise<void> {}
}

/** W·q by the textbook loop (row-major W, float64 sums), normalised: written out here, not the adapter's kernels. */
function mapByHand(w: Float32Array, q: Float32Array): Float32Array {
  const d = q.length;
  const y = new Float64Array(d);
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) y[r] += w[r * d + c] * q[c];
  const n = Math.hypot(...y);
  return Float32Array.from(y, (x) => x / n);
}

const ids = (r: EvaluationResult) => Object.fromEntries([...r.hits].map(([q, h]) => [q, h.map((x) => x.chunkId)]));

describe('adapted baseline runs ("dense + adapter", "hybrid + adapter": evaluate with queryTransform, as runBaseline calls it)', () => {
  let target: EvalTarget;
  let plain: WorkspaceIndex;
  let mapped: WorkspaceIndex;
  let adapter: QueryAdapter;
  const embedder: Embedder = new CharTrigramEmbedder();

  before(async () => {
    target = await loadEvalTarget(demoDir);
    const d = embedder.info.dims;
    const rand = seededRandom(7);
    // Identity plus noise: enough to move rankings, so equal runs below are not equal by doing nothing.
    adapter = new QueryAdapter({ id: embedder.info.id, revision: embedder.info.revision, dims: d }, Float32Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0) + 0.2 * (rand() - 0.5)));
    plain = (await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'whole-document' }, embedder })).index;
    mapped = (await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'whole-document' }, embedder: new QueryMappedEmbedder(embedder, adapter) })).index;
  });

  it('dense + adapter ranks each eval query as a dense search of W·q over the unchanged passage vectors', async () => {
    const options: EvaluateOptions = { retriever: 'dense', level: 'doc', cutoffs: [10, 100], split: 'eval' };
    const adapted = await evaluate(plain, target.queries, { ...options, queryTransform: adapter });
    const base = await evaluate(plain, target.queries, options);
    assert.equal(adapted.manifest.queryAdapter, adapter.id);
    assert.equal(base.manifest.queryAdapter, undefined);
    const moved = [...adapted.hits.keys()].filter((q) => adapted.hits.get(q)!.slice(0, 10).map((h) => h.chunkId).join() !== base.hits.get(q)!.slice(0, 10).map((h) => h.chunkId).join());
    assert.ok(moved.length >= 3, `the adapter moved the top 10 of ${moved.length} queries`);

    // By hand, for the queries without a metadata filter: embed, W·q, cosine with every passage vector, sort.
    const vectors = plain.vectors!;
    let checked = 0;
    for (const q of target.queries.filter((x) => x.split === 'eval' && x.judgments.length && !x.filter)) {
      const [raw] = await embedder.embed([q.text], { kind: 'query' });
      const qv = mapByHand(adapter.weights, raw);
      const scored = Array.from({ length: vectors.size }, (_, row) => {
        const v = vectors.get(vectors.idAt(row))!;
        let s = 0;
        for (let i = 0; i < v.length; i++) s += v[i] * qv[i];
        return { id: vectors.idAt(row), s };
      }).sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : 1));
      const got = adapted.hits.get(q.id)!;
      const top = got.slice(0, 10);
      assert.deepEqual(top.map((h) => h.chunkId), scored.slice(0, 10).map((x) => x.id), q.id);
      for (const [i, h] of top.entries()) assert.ok(Math.abs(h.score - scored[i].s) < 1e-5, `${q.id} #${i + 1}: ${h.score} vs ${scored[i].s}`);
      checked++;
    }
    assert.ok(checked >= 15, `checked ${checked} queries by hand`);

    // Every eval query (filtered ones too), full depth and metrics: equal to the plain dense run of an index whose model maps queries by W.
    const viaModel = await evaluate(mapped, target.queries, options);
    assert.deepEqual(ids(adapted), ids(viaModel));
    assert.deepEqual(adapted.metrics.all, viaModel.metrics.all);
    assert.notDeepEqual(adapted.metrics.perQuery, base.metrics.perQuery);
  });

  it('hybrid + adapter fuses the same keyword leg with the W·q dense leg', async () => {
    const options: EvaluateOptions = { retriever: 'hybrid', level: 'doc', cutoffs: [10, 100], split: 'eval' };
    const adapted = await evaluate(plain, target.queries, { ...options, queryTransform: adapter });
    const viaModel = await evaluate(mapped, target.queries, options);
    const base = await evaluate(plain, target.queries, options);
    assert.equal(adapted.manifest.queryAdapter, adapter.id);
    assert.deepEqual(ids(adapted), ids(viaModel));
    assert.deepEqual(adapted.metrics.all, viaModel.metrics.all);
    assert.notDeepEqual(ids(adapted), ids(base), 'the adapter changes the hybrid ranking');
  });
});
