import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { diagnoseMisses, type Diagnosis } from '../../../../src/core/diagnose/diagnose-misses';
import { mineTrainingPairs } from '../../../../src/core/adapt/training-export';
import { TransformersCrossEncoder } from '../../../../src/core/embed/transformers-models';
import { UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import type { Retriever } from '../../../../src/core/retrieve/retriever';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import type { MetadataFilter } from '../../../../src/core/retrieve/types';
import { startJsonServer, type TestServer } from '../../../helpers/protocol-servers';
import { demoDir, sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

/**
 * A real HTTP search service that answers with one of the local index's own rankings (its hybrid, its dense leg) of
 * the demo: the request is `{query, k, filter}` (the plain preset with `${filter}`), the answer `{results: [{id,
 * score, path, start, end, text}]}` — what a team's own search service returns.
 */
async function localRankingServer(index: WorkspaceIndex, leg: 'hybrid' | 'dense'): Promise<TestServer> {
  const local = new LocalRetriever(index, leg);
  return startJsonServer(async (req) => {
    if (req.method !== 'POST' || req.url !== '/search') return { status: 404, body: { error: `no route ${req.method} ${req.url}` } };
    const { query, k, filter } = JSON.parse(req.body) as { query: string; k: number; filter: MetadataFilter | null };
    const hits = await local.search(query, k, { filter: filter ?? undefined, explain: false });
    return { body: { results: hits.map((h) => ({ id: h.id, score: h.score, path: h.path, start: h.start, end: h.end, text: h.text })) } };
  });
}

/** The engine of the tests below: the plain preset with the filter in its request, offsets and path in its answer. */
function httpRetriever(name: string, url: string): Retriever {
  return createExternalRetriever(name, { retrievers: { [name]: { type: 'http', preset: 'plain', url, body: { query: '${query}', k: '${k}', filter: '${filter}' }, path: 'path', start: 'start', end: 'end' } } }, { secrets: environmentSecrets });
}

/** Every miss of the engine's diagnosis has the local one's category (and verification), except categories not computable for it. */
function assertSameCategories(local: Diagnosis, external: Diagnosis): void {
  const uncomputed = new Set(external.uncomputed.map((u) => u.category));
  const key = (m: Diagnosis['misses'][number]) => `${m.queryId}#${m.judgmentIndex}`;
  const engineMisses = new Map(external.misses.map((m) => [key(m), m]));
  assert.deepEqual([external.found, external.judged], [local.found, local.judged], 'the same targets found and judged');
  assert.deepEqual([...engineMisses.keys()].sort(), local.misses.map(key).sort(), 'the same targets missed');
  for (const m of local.misses) {
    const e = engineMisses.get(key(m))!;
    if (uncomputed.has(m.category)) continue;
    assert.equal(e.category, m.category, `${key(m)} "${m.queryText}": ${m.evidence} / ${e.evidence}`);
    assert.equal(e.verified, m.verified, key(m));
    assert.deepEqual(e.positions, m.positions, `${key(m)}: the local legs are the same what-ifs`);
  }
}

describe('the miss diagnosis through an http retriever serving the local index\'s own rankings', () => {
  let root: string;
  let target: EvalTarget;
  let index: WorkspaceIndex;
  let server: TestServer;
  let http: Retriever;
  let local: Diagnosis;
  let external: Diagnosis;
  let embedder: UseLiteEmbedder;
  let ctx: Parameters<typeof diagnoseMisses>[0];
  const options = { k: 5, baseline: 'hybrid' as const, candidates: 30, split: 'all' as const };

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-diag-http-'));
    fs.cpSync(demoDir, root, { recursive: true });
    fs.rmSync(path.join(root, '.retrieval-lens', 'index'), { recursive: true, force: true });
    target = await loadEvalTarget(root);
    embedder = await UseLiteEmbedder.load();
    ({ index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'markdown', maxSize: 1500, minSize: 0 }, embedder, embeddingCacheGroup: root }));
    // Stale: a labeled file changes after indexing (the same for both: it is about the workspace).
    fs.appendFileSync(path.join(root, 'docs/guides/batching.md'), '\nBatches are also flushed on shutdown.\n');
    server = await localRankingServer(index, 'hybrid');
    http = httpRetriever('team-search', `${server.url}/search`);
    ctx = { index, root, corpusOptions: { exclude: target.settings.exclude }, queries: target.queries, variants: [] };
    local = await diagnoseMisses(ctx, options);
    external = await diagnoseMisses({ ...ctx, retriever: http }, options);
  });

  after(async () => {
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('asks the engine over real HTTP, with the query filter, and gets every query answered', () => {
    assert.ok(server.requests.length >= target.queries.filter((q) => q.judgments.some((j) => j.grade >= 1)).length);
    assert.ok(server.requests.some((r) => (JSON.parse(r.body) as { filter: unknown }).filter !== null), 'a filtered query reaches the engine with its filter');
    assert.equal(http.capabilities.filters, true);
    assert.deepEqual(external.failures, []);
  });

  it('reports for every miss the category the local hybrid diagnosis reports, except those stated as not computable', () => {
    assert.ok(local.misses.length >= 3, `the local hybrid misses some labeled targets at k = 5 (${local.misses.length})`);
    const categories = new Set(local.misses.map((m) => m.category));
    assert.ok(categories.size >= 3, `several categories occur (${[...categories].join(', ')})`);
    // For the record: what was compared.
    console.log(`local hybrid misses at k = 5: ${[...categories].map((c) => `${c} ${local.misses.filter((m) => m.category === c).length}`).join(', ')}`);
    assert.deepEqual(local.uncomputed, []);
    assert.deepEqual(external.uncomputed.map((u) => u.category), ['chunking']);
    assertSameCategories(local, external);
  });

  it('the same through a service serving the dense ranking, against the local dense diagnosis (keyword, hybrid and fusion what-ifs)', async () => {
    const denseServer = await localRankingServer(index, 'dense');
    try {
      const dense = httpRetriever('team-dense', `${denseServer.url}/search`);
      const o = { ...options, baseline: 'dense' as const };
      const a = await diagnoseMisses(ctx, o);
      const b = await diagnoseMisses({ ...ctx, retriever: dense }, o);
      const categories = [...new Set(a.misses.map((m) => m.category))];
      console.log(`local dense misses at k = 5: ${categories.map((c) => `${c} ${a.misses.filter((m) => m.category === c).length}`).join(', ')}`);
      assert.ok(categories.some((c) => c === 'exact-match' || c === 'lexical' || c === 'fusion'), `a what-if of the local legs decides some miss (${categories.join(', ')})`);
      assertSameCategories(a, b);
    } finally {
      await denseServer.close();
    }
  });

  it('places the engine\'s hits where the local hybrid ranks them', () => {
    let compared = 0;
    for (const e of external.misses) {
      // Missing and stale targets are told from the workspace before any ranking is read.
      if (!e.retriever || !e.positions.hybrid) continue;
      const hybrid = e.positions.hybrid?.rank;
      // The engine is read to the candidate depth: deeper than that it did not return the target.
      const expected = hybrid != null && hybrid <= 30 ? hybrid : null;
      assert.equal(e.retriever.position.rank, expected, `${e.queryId}: ${e.evidence}`);
      assert.equal(e.retriever.name, 'team-search');
      compared++;
    }
    assert.ok(compared >= 3, `positions compared (${compared})`);
  });

  it('mines the same hard negatives through the engine as from the local hybrid ranking', async () => {
    const local = await mineTrainingPairs(index, target.queries, { miner: 'hybrid' });
    const through = await mineTrainingPairs(index, target.queries, { miner: 'hybrid' }, { retriever: http });
    assert.ok(local.length >= 6, `train pairs (${local.length})`);
    assert.deepEqual(through.map((p) => [p.queryId, p.positiveChunkId]), local.map((p) => [p.queryId, p.positiveChunkId]));
    const hybrid = new LocalRetriever(index, 'hybrid');
    let compared = 0;
    for (const [i, p] of local.entries()) {
      // The engine is read to the window's end: the positive's score (the margin) is known only when it ranks there.
      const rank = (await hybrid.locate(p.anchor, [p.positiveChunkId])).get(p.positiveChunkId)?.rank;
      if (rank == null || rank > 30) continue;
      assert.deepEqual(through[i].negatives, p.negatives, p.queryId);
      compared += p.negatives.length;
    }
    assert.ok(compared >= 3, `negatives compared (${compared})`);
  });

  const ceDir = sharedModelDir('cross-encoder-shape-random');
  it('with a reranker configured, reranks the engine\'s own candidates as the local rerank leg does its hybrid base: the same categories, ranking verified alike', { skip: skipUnlessShared('cross-encoder-shape-random', ceDir) }, async () => {
    const crossEncoder = await TransformersCrossEncoder.load({ model: ceDir as string, batchSize: 8 });
    try {
      // The same chunks and vectors (shared by the embedding cache group), now with a cross-encoder: the local
      // rerank leg reorders the hybrid's top 30, the engine's diagnosis reorders the engine's top 30 by their text.
      const { index: reranking } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'markdown', maxSize: 1500, minSize: 0 }, embedder, crossEncoder, embeddingCacheGroup: root });
      const c = { ...ctx, index: reranking };
      const a = await diagnoseMisses(c, options);
      const b = await diagnoseMisses({ ...c, retriever: http }, options);
      const key = (m: Diagnosis['misses'][number]) => `${m.queryId}#${m.judgmentIndex}`;
      const byKey = new Map(b.misses.map((m) => [key(m), m]));
      assert.deepEqual([...byKey.keys()].sort(), a.misses.map(key).sort());
      for (const m of a.misses) assert.deepEqual([byKey.get(key(m))?.category, byKey.get(key(m))?.verified], [m.category, m.verified], `${key(m)}: ${m.evidence}`);
      const ranking = a.misses.filter((m) => m.category === 'ranking');
      console.log(`with a reranker: ${ranking.length} ranking miss(es), all verified: ${ranking.every((m) => m.verified)}`);
      assert.ok(ranking.every((m) => m.verified), 'with a reranker, ranking is verified');
    } finally {
      await crossEncoder.dispose();
    }
  });
});
