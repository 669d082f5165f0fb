import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { chunkQrels } from '../../../../src/core/eval/chunk-relevance';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { buildPool, isJudged, judgingOrder, localRankings, retrieverRanking, type NamedRanking } from '../../../../src/core/eval/pool';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import { makeSpanTarget } from '../../../../src/core/eval/span-anchor';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { startJsonServer } from '../../../helpers/protocol-servers';
import { demoDir } from '../../../helpers/shared';

describe('pooled judging on demo/', () => {
  let target: EvalTarget;
  let index: WorkspaceIndex;
  let rankings: NamedRanking[];
  const K = 10;
  before(async () => {
    target = await loadEvalTarget(demoDir);
    ({ index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'markdown', maxSize: 1500, minSize: 0 }, embedder: new CharTrigramEmbedder() }));
    const r = await localRankings(index, target.queries, ['keyword', 'dense', 'hybrid'], K);
    assert.deepEqual(r.errors, {});
    rankings = r.rankings;
  });

  it('Hole@K per retriever equals the share of its top K with no relevance derived from the labels', () => {
    const pool = buildPool(target.queries, rankings, K);
    const qrels = chunkQrels(target.queries, (d) => index.chunksOf(d));
    for (const r of rankings) {
      let total = 0;
      let unjudged = 0;
      for (const q of target.queries) {
        const top = (r.results.get(q.id) ?? []).slice(0, K);
        total += top.length;
        unjudged += top.filter((h) => !qrels.get(q.id)?.has(h.chunkId as string)).length;
      }
      const h = pool.holes.find((x) => x.retriever === r.retriever);
      assert.deepEqual([h?.total, h?.unjudged], [total, unjudged], r.retriever);
      assert.equal(h?.hole, unjudged / total);
      assert.ok(h && h.hole > 0.5 && h.hole < 1, `${r.retriever} Hole@${K} ${h?.hole}: the demo labels one or two spans per query`);
    }
    console.log(`demo Hole@${K}: ${pool.holes.map((h) => `${h.retriever} ${(100 * h.hole).toFixed(1)}% (${h.unjudged}/${h.total})`).join(', ')}; ${pool.items.length} pooled passages`);
  });

  it('the index\'s retrievers pooled through the Retriever contract (the editor\'s queue) rank exactly as the index does', async () => {
    for (const r of rankings) {
      const through = await retrieverRanking(new LocalRetriever(index, r.retriever as 'keyword' | 'dense' | 'hybrid'), target.queries, index.documents(), K);
      assert.deepEqual([through.failures, through.unplaced], [[], 0]);
      assert.deepEqual(through.ranking, r, r.retriever);
    }
  });

  it('the queue holds every unjudged top-K passage exactly once per query, with every retriever that returned it', () => {
    const pool = buildPool(target.queries, rankings, K);
    const keys = pool.items.map((i) => `${i.queryId}\u0000${i.chunkId}`);
    assert.equal(new Set(keys).size, keys.length, 'no passage twice for a query');
    for (const r of rankings) {
      for (const q of target.queries) {
        (r.results.get(q.id) ?? []).slice(0, K).forEach((h, i) => {
          const item = pool.items.find((x) => x.queryId === q.id && x.chunkId === h.chunkId);
          if (isJudged(q, h)) assert.equal(item, undefined, `${q.id}: a judged hit is not queued`);
          else assert.deepEqual(item?.hits.find((x) => x.retriever === r.retriever), { retriever: r.retriever, rank: i + 1 }, `${q.id} ${h.chunkId} in ${r.retriever}`);
        });
      }
    }
    // Pooling saves work: fewer passages than hits.
    const unjudgedHits = pool.holes.reduce((s, h) => s + h.unjudged, 0);
    assert.ok(pool.items.length < unjudgedHits, `${pool.items.length} passages for ${unjudgedHits} unjudged hits`);
    assert.ok(pool.items.some((i) => i.hits.length === 3));
    // Grouped by query in the order given; judgingOrder puts queries with no judgment first.
    const order = [...new Set(pool.items.map((i) => i.queryId))];
    assert.deepEqual(order, target.queries.map((q) => q.id).filter((id) => order.includes(id)));
    const extra: EvalQuery = { id: 'new', text: target.queries[0].text, split: 'eval', judgments: [] };
    const ordered = judgingOrder([...target.queries, extra]);
    assert.equal(ordered[0], extra, 'a query with no judgment is judged first');
    const withNew = buildPool(ordered, rankings.map((r) => ({ ...r, results: new Map([...r.results, ['new', r.results.get(target.queries[0].id) ?? []]]) })), K);
    assert.equal(withNew.items[0].queryId, 'new');
  });

  it('judging a pooled passage removes it from the queue and lowers Hole@K of the retrievers that returned it', () => {
    const before = buildPool(target.queries, rankings, K);
    const item = before.items.find((i) => i.hits.length === 3);
    assert.ok(item);
    const doc = index.getDocument(item.docId);
    assert.ok(doc);
    const queries: EvalQuery[] = target.queries.map((q) => (q.id === item.queryId ? { ...q, judgments: [...q.judgments, { grade: 0, target: makeSpanTarget(item.docId, doc.text, item.start, item.end) }] } : q));
    const after = buildPool(queries, rankings, K);
    assert.equal(after.items.length, before.items.length - 1);
    assert.ok(!after.items.some((i) => i.queryId === item.queryId && i.chunkId === item.chunkId));
    for (const h of after.holes) assert.equal(h.unjudged, (before.holes.find((x) => x.retriever === h.retriever)?.unjudged ?? 0) - 1, h.retriever);
  });

  it('an external ranking with its own spans joins the pool, deduplicated by span overlap', () => {
    const q = target.queries[0];
    const local = buildPool([q], rankings, K);
    const first = local.items[0];
    // An external retriever returns the middle of the same chunk (overlapping more than half of it) and one new passage.
    const len = first.end - first.start;
    const otherDoc = [...index.documents()].find((d) => !local.items.some((i) => i.docId === d.id) && !q.judgments.some((j) => j.target.docId === d.id));
    assert.ok(otherDoc);
    const external: NamedRanking = {
      retriever: 'external-es',
      results: new Map([[q.id, [{ docId: first.docId, start: first.start + Math.floor(len / 8), end: first.end - Math.floor(len / 8) }, { docId: otherDoc.id, start: 0, end: Math.min(200, otherDoc.text.length) }]]]),
    };
    const pool = buildPool([q], [...rankings, external], K);
    assert.equal(pool.items.length, local.items.length + 1);
    assert.deepEqual(pool.items.find((i) => i.chunkId === first.chunkId)?.hits.at(-1), { retriever: 'external-es', rank: 1 });
    assert.deepEqual(pool.items.find((i) => i.docId === otherDoc.id)?.hits, [{ retriever: 'external-es', rank: 2 }]);
    assert.deepEqual(pool.holes.at(-1), { retriever: 'external-es', k: K, total: 2, unjudged: 2, hole: 1 });
  });

  it('CLI: prints Hole@K per retriever and writes the queue as JSON', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-pool-'));
    const out: string[] = [];
    const err: string[] = [];
    const json = path.join(tmp, 'pool.json');
    const code = await runCli(['pool', demoDir, '--k', '5', '--retrievers', 'bm25', '--index-dir', path.join(tmp, 'index'), '--json', json], { out: (t) => out.push(t), err: (t) => err.push(t) });
    assert.equal(code, 0, err.join('\n'));
    assert.match(out[0], /^pool: 29 queries, top 5 of keyword: \d+ passages to judge for \d+ queries$/);
    const written = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.match(out[1], new RegExp(`^Hole@5: keyword ${Math.round(100 * written.holes[0].hole)}% \\(${written.holes[0].unjudged}/${written.holes[0].total}\\)$`));
    assert.equal(written.items.length, Number(/(\d+) passages/.exec(out[0])?.[1]));
    assert.equal(await runCli(['pool', demoDir, '--retrievers', 'rerank'], { out: () => undefined, err: (t) => err.push(t) }), 2);
  });

  it('CLI: an external engine from --settings joins the pool; its hits are placed in the workspace, unplaceable ones counted', async () => {
    // A plain {results:[{id,score,text}]} service answering every query with one passage of the webhooks guide, a
    // whole-document hit, and an id the workspace does not have.
    const webhooks = fs.readFileSync(path.join(demoDir, 'docs/guides/webhooks.md'), 'utf8');
    const passage = webhooks.split(/\n\s*\n/).find((p) => p.length > 120 && !p.startsWith('#')) as string;
    const server = await startJsonServer((req) => {
      const b = JSON.parse(req.body) as { query: string; k: number };
      return { body: { results: [{ id: 'docs/guides/webhooks.md', score: 3, text: passage }, { id: 'docs/guides/batching.md', score: 2 }, { id: 'nowhere/missing.md', score: 1, text: 'not in this workspace' }].slice(0, b.k) } };
    });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-pool-ext-'));
    try {
      const settings = path.join(tmp, 'settings.json');
      fs.writeFileSync(settings, JSON.stringify({ 'retrievalLens.retrievers': { engine: { type: 'http', preset: 'plain', url: `${server.url}/search` } } }, null, 2));
      const out: string[] = [];
      const err: string[] = [];
      const json = path.join(tmp, 'pool.json');
      const code = await runCli(['pool', demoDir, '--settings', settings, '--k', '5', '--retrievers', 'bm25', '--retriever', 'engine', '--index-dir', path.join(tmp, 'index'), '--json', json], { out: (t) => out.push(t), err: (t) => err.push(t) });
      assert.equal(code, 0, err.join('\n'));
      assert.match(out[0], /^pool: 29 queries, top 5 of keyword, engine: \d+ passages to judge for \d+ queries$/);
      assert.match(err.join('\n'), /engine: 29 hits map to no workspace document, so they cannot be judged and are not pooled/);
      assert.equal(server.requests.length, 29);
      const written = JSON.parse(fs.readFileSync(json, 'utf8')) as { holes: Array<{ retriever: string; total: number; unjudged: number }>; items: Array<{ queryId: string; docId: string; start: number; end: number; hits: Array<{ retriever: string; rank: number }> }> };
      const engine = written.holes.find((h) => h.retriever === 'engine');
      assert.equal(engine?.total, 29 * 2, 'two placed hits per query count toward Hole@K');
      const fromEngine = written.items.filter((i) => i.hits.some((h) => h.retriever === 'engine'));
      assert.equal(fromEngine.length, engine?.unjudged, 'every unjudged engine hit is in the queue once');
      const start = webhooks.indexOf(passage);
      for (const i of fromEngine.filter((x) => x.docId === 'docs/guides/webhooks.md')) {
        // Placed by its text: the passage's own offsets (or merged with an overlapping keyword hit of the same span).
        assert.ok(i.start <= start + passage.length && i.end >= start, `${i.queryId}: the engine's passage lands on its text`);
      }
      // The ranking itself, before pooling merges overlapping passages: the passage at its offsets, the id-only hit as
      // its whole document, the unknown id counted and left out.
      const engineRetriever = createExternalRetriever('engine', { retrievers: { engine: { type: 'http', preset: 'plain', url: `${server.url}/search` } } }, { secrets: environmentSecrets });
      const q = target.queries[0];
      const r = await retrieverRanking(engineRetriever, [q], target.corpus.documents, 5);
      await engineRetriever.dispose();
      const batching = target.corpus.documents.find((d) => d.id === 'docs/guides/batching.md') as { text: string };
      const wh = target.corpus.documents.find((d) => d.id === 'docs/guides/webhooks.md') as { text: string };
      assert.deepEqual(r.ranking.results.get(q.id)?.map((h) => [h.docId, h.start, h.end]), [
        ['docs/guides/webhooks.md', wh.text.indexOf(passage), wh.text.indexOf(passage) + passage.length],
        ['docs/guides/batching.md', 0, batching.text.length],
      ]);
      assert.equal(r.unplaced, 1);
      assert.deepEqual(r.failures, []);
    } finally {
      await server.close();
    }
  });
});
