import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { TransformersEmbedder } from '../../../../src/core/embed/transformers-models';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluateRetriever } from '../../../../src/core/eval/evaluate-retriever';
import { embeddingInput, WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { fillTemplate } from '../../../../src/core/retrieve/http-retriever';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import { runQueries, RetrieverError } from '../../../../src/core/retrieve/retriever';
import type { HttpRetrieverConfig } from '../../../../src/core/retrieve/retriever-config';
import type { SecretSource } from '../../../../src/core/io/secret-source';
import type { WorkspaceSettings } from '../../../../src/core/settings/workspace-settings';
import { startEmbeddingsServer, startJsonServer, type Reply, type TestServer } from '../../../helpers/protocol-servers';
import { demoDir, sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

const secrets = (values: Record<string, string> = {}): SecretSource => ({ get: async (n) => values[n], describe: (n) => `test secret ${n}` });
const http = (config: Partial<HttpRetrieverConfig> & { url: string }): WorkspaceSettings => ({ retrievers: { engine: { type: 'http', ...config } as HttpRetrieverConfig } });

describe('http retriever against real local HTTP servers', () => {
  let target: EvalTarget;
  let keyword: WorkspaceIndex;
  /** The OpenSearch/Elasticsearch `_search` protocol over the demo's chunks, ranked by the local BM25 index. */
  let openSearch: TestServer;
  let reply: (req: { url: string; body: string }) => Reply | undefined;

  before(async () => {
    target = await loadEvalTarget(demoDir);
    ({ index: keyword } = await WorkspaceIndex.build(target.corpus, { chunker: sizedChunkerConfig('markdown'), embedder: null }));
    openSearch = await startJsonServer(async (req) => {
      const scripted = reply?.(req);
      if (scripted) return scripted;
      if (req.method !== 'POST' || !/^\/[\w-]+\/_search$/.test(req.url)) return { status: 404, body: { error: { type: 'index_not_found_exception' }, status: 404 } };
      const body = JSON.parse(req.body) as { size?: number; query?: { multi_match?: { query: string } } };
      const q = body.query?.multi_match?.query ?? '';
      const r = await keyword.search({ query: q, k: body.size ?? 10, retrievers: ['keyword'], explain: false });
      const hits = (r.results.keyword ?? []).map((h) => {
        const c = keyword.getChunk(h.chunkId)!;
        return { _index: 'demo', _id: h.chunkId, _score: h.score, _source: { path: keyword.getDocument(c.docId)!.path, text: c.text } };
      });
      return { body: { took: 1, timed_out: false, hits: { total: { value: hits.length, relation: 'eq' }, max_score: hits[0]?._score ?? null, hits } } };
    });
  });
  after(async () => openSearch?.close());

  it('fills the request template: ${k} and ${vector} become a number and an array, ${query} is substituted in strings', () => {
    assert.deepEqual(fillTemplate({ size: '${k}', v: '${vector}', q: { match: { text: 'about ${query}' } }, list: ['${query}'] }, 'tokens', 5, [0.5, 1]), { size: 5, v: [0.5, 1], q: { match: { text: 'about tokens' } }, list: ['tokens'] });
  });

  it('opensearch preset: ranks as the engine answers, and scores the demo labels as the same BM25 ranking run locally', async () => {
    const r = createExternalRetriever('engine', http({ preset: 'opensearch', url: `${openSearch.url}/demo/_search` }), { secrets: secrets() });
    const hits = await r.search('rotate API token', 5);
    const sent = JSON.parse(openSearch.requests.at(-1)!.body);
    assert.deepEqual(sent, { size: 5, query: { multi_match: { query: 'rotate API token' } } });
    const local = (await keyword.search({ query: 'rotate API token', k: 5, retrievers: ['keyword'] })).results.keyword!;
    assert.deepEqual(hits.map((h) => h.id), local.map((h) => h.chunkId));
    assert.deepEqual(hits.map((h) => h.score), local.map((h) => h.score));
    assert.equal(hits[0].path, keyword.getDocument(local[0].docId)!.path);
    const unfiltered = target.queries.map(({ filter: _f, ...q }) => q);
    const ext = await evaluateRetriever(r, target.corpus.documents, unfiltered, { level: 'chunk', depth: 100, concurrency: 3 });
    const loc = await evaluateRetriever(new LocalRetriever(keyword, 'keyword'), target.corpus.documents, unfiltered, { level: 'chunk', depth: 100 });
    assert.ok(ext.metrics.all.num_q > 5);
    assert.equal(ext.placement.exact, [...ext.placed.values()].flat().length, 'every chunk text is found verbatim in its document');
    for (const m of ['ndcg_cut_10', 'recall_100', 'map', 'P_10']) assert.ok(Math.abs(ext.metrics.all[m] - loc.metrics.all[m]) < 1e-9, `${m}: ${ext.metrics.all[m]} vs ${loc.metrics.all[m]}`);
    assert.ok(openSearch.maxInFlight <= 3);
  });

  it('elasticsearch preset and plain {results:[{id,score,text}]} by GET with the query in the URL; unknown ids are counted as unplaced, not dropped', async () => {
    const es = createExternalRetriever('engine', http({ preset: 'elasticsearch', url: `${openSearch.url}/demo/_search` }), { secrets: secrets() });
    assert.equal((await es.search('token', 3)).length, 3);
    const known = target.corpus.documents[0].id;
    const plain = await startJsonServer((req) => {
      const u = new URL(req.url, 'http://x');
      assert.equal(req.method, 'GET');
      const k = Number(u.searchParams.get('k'));
      return { body: { results: [{ id: known, score: 2, text: 'irrelevant' }, { id: 'not/in/workspace.md', score: 1.5 }, { id: u.searchParams.get('q'), score: 1 }].slice(0, k) } };
    });
    try {
      const r = createExternalRetriever('engine', http({ preset: 'plain', method: 'GET', url: `${plain.url}/search?q=\${query}&k=\${k}` }), { secrets: secrets() });
      const hits = await r.search('a b&c', 3);
      assert.deepEqual(hits.map((h) => [h.id, h.score, h.rank]), [[known, 2, 1], ['not/in/workspace.md', 1.5, 2], ['a b&c', 1, 3]]);
      const q = { id: 'q1', text: 'a b&c', split: 'eval' as const, judgments: [{ grade: 2 as const, target: { type: 'document' as const, docId: known } }] };
      const res = await evaluateRetriever(r, target.corpus.documents, [q], { level: 'doc', depth: 10 });
      assert.equal(res.placement.unplaced, 2);
      assert.equal(res.placement.document, 1, 'its text is not in the document, but the document is known');
      assert.equal(res.metrics.all.recip_rank, 1);
      assert.deepEqual(res.ranking.get('q1')!.slice(1), ['unplaced:not/in/workspace.md', 'unplaced:a b&c']);
    } finally {
      await plain.close();
    }
  });

  it('malformed JSON, a bad status, a timeout and a missing mapped field each give one message naming the retriever, the query and the place; the other queries still run', async () => {
    reply = (req) => {
      const q = (JSON.parse(req.body) as { query: { multi_match: { query: string } } }).query.multi_match.query;
      if (q === 'malformed') return { body: '{"hits": {"hits": [' };
      if (q === 'overloaded') return { status: 503, body: { error: 'search_phase_execution_exception' } };
      if (q === 'slow') return 'hang';
      if (q === 'no id') return { body: { hits: { hits: [{ _id: 'a', _score: 1 }, { _score: 0.5 }] } } };
      if (q === 'no hits') return { body: { took: 1 } };
      return undefined;
    };
    try {
      const r = createExternalRetriever('engine', http({ preset: 'opensearch', url: `${openSearch.url}/demo/_search`, timeoutMs: 300 }), { secrets: secrets() });
      const queries = ['malformed', 'overloaded', 'slow', 'no id', 'no hits', 'token'].map((text, i) => ({ id: `q${i}`, text }));
      const out = await runQueries(r, queries, { k: 5, concurrency: 2 });
      const err = (id: string) => out.get(id)!.error ?? '';
      assert.match(err('q0'), /^retriever "engine", query "malformed": POST http:\/\/127\.0\.0\.1:\d+\/demo\/_search response: malformed JSON \(HTTP 200\)/);
      assert.match(err('q1'), /^retriever "engine", query "overloaded": POST http:\/\/127\.0\.0\.1:\d+\/demo\/_search: HTTP 503 Service Unavailable: \{"error":"search_phase_execution_exception"\}/);
      assert.match(err('q2'), /^retriever "engine", query "slow": POST .*: no response within 300 ms \(timeoutMs\)/);
      assert.match(err('q3'), /^retriever "engine", query "no id": response: hits\.hits\[1\]\._id: missing \(the "id" mapping; keys here: _score\)/);
      assert.match(err('q4'), /^retriever "engine", query "no hits": response: hits\.hits: missing \(top-level keys: took\)/);
      assert.equal(out.get('q5')!.error, undefined);
      assert.equal(out.get('q5')!.hits.length, 5);
    } finally {
      reply = () => undefined;
    }
  });

  it('explicitly mapped fields are required in every hit; preset fields are optional', async () => {
    reply = () => ({ body: { hits: { hits: [{ _id: 'a', _score: 1, _source: {} }] } } });
    try {
      const preset = createExternalRetriever('engine', http({ preset: 'opensearch', url: `${openSearch.url}/demo/_search` }), { secrets: secrets() });
      assert.deepEqual(await preset.search('x', 3), [{ rank: 1, score: 1, id: 'a' }]);
      const mapped = createExternalRetriever('engine', http({ preset: 'opensearch', url: `${openSearch.url}/demo/_search`, text: '_source.body' }), { secrets: secrets() });
      await assert.rejects(mapped.search('x', 3), (e: unknown) => e instanceof RetrieverError && e.where === 'response: hits.hits[0]._source.body' && /missing \(the "text" mapping/.test(e.message));
    } finally {
      reply = () => undefined;
    }
  });

  it('sends secrets named in headers and never needs them in settings; an unset secret is named', async () => {
    const seen: string[] = [];
    const s = await startJsonServer((req) => {
      seen.push(String(req.headers.authorization));
      return { body: { results: [] } };
    });
    try {
      const settings = http({ preset: 'plain', url: `${s.url}/q`, headers: { Authorization: 'Bearer ${secret:RL_SEARCH_TOKEN}' } });
      await createExternalRetriever('engine', settings, { secrets: secrets({ RL_SEARCH_TOKEN: 't0ken' }) }).search('x', 3);
      assert.deepEqual(seen, ['Bearer t0ken']);
      await assert.rejects(createExternalRetriever('engine', settings, { secrets: secrets() }).search('x', 3), /retriever "engine", query "x": headers\.Authorization: secret RL_SEARCH_TOKEN is not set \(test secret RL_SEARCH_TOKEN\)/);
      assert.equal(seen.length, 1, 'no request is sent without the secret');
    } finally {
      await s.close();
    }
  });

  it('bounded concurrency with progress, and an AbortSignal stops sending queries', async () => {
    const s = await startJsonServer(() => ({ delayMs: 40, body: { results: [{ id: 'x', score: 1 }] } }));
    try {
      const r = createExternalRetriever('engine', http({ preset: 'plain', url: `${s.url}/q`, concurrency: 3 }), { secrets: secrets() });
      const queries = Array.from({ length: 12 }, (_, i) => ({ id: `q${i}`, text: `query ${i}` }));
      const progress: number[] = [];
      const out = await runQueries(r, queries, { k: 1, onProgress: (d) => progress.push(d) });
      assert.equal(out.size, 12);
      assert.deepEqual([...out.keys()], queries.map((q) => q.id), 'results in query order');
      assert.equal(s.maxInFlight, 3);
      assert.deepEqual(progress, Array.from({ length: 12 }, (_, i) => i + 1));
      const before = s.requests.length;
      const c = new AbortController();
      const run = runQueries(r, queries, { k: 1, signal: c.signal, onProgress: (d) => d === 3 && c.abort(new Error('cancelled by test')) });
      await assert.rejects(run, /cancelled by test/);
      await new Promise((ok) => setTimeout(ok, 100));
      assert.ok(s.requests.length - before <= 6, `sent ${s.requests.length - before} of 12 after cancelling at 3`);
    } finally {
      await s.close();
    }
  });

  it('qdrant preset: ${vector} from an OpenAI-compatible embeddings server backed by the fixture model; ranks as the local dense index with that model', { skip: skipUnlessShared('minilm-shape-random', sharedModelDir('minilm-shape-random')) }, async () => {
    const model = await TransformersEmbedder.load({ model: sharedModelDir('minilm-shape-random')!, batchSize: 16 });
    const embeddings = await startEmbeddingsServer(model);
    // A few documents keep the random-weight model's CPU time small; the protocol and the ranking are what is tested.
    const corpus = { ...target.corpus, documents: target.corpus.documents.slice(0, 4) };
    const { index: dense } = await WorkspaceIndex.build(corpus, { chunker: sizedChunkerConfig('markdown'), embedder: model });
    const chunks = [...dense.allChunks()];
    const points = (await model.embed(chunks.map((c) => embeddingInput(dense.getDocument(c.docId)!, c)))).map((v, i) => ({ id: chunks[i].id, v, payload: { path: dense.getDocument(chunks[i].docId)!.path, text: chunks[i].text } }));
    // The Qdrant Query API: POST /collections/{name}/points/query {query: [...], limit, with_payload} → {result: {points: [...]}, status, time}.
    const qdrant = await startJsonServer((req) => {
      if (req.url !== '/collections/demo/points/query') return { status: 404, body: { status: { error: 'Not found: Collection `x` doesn\'t exist!' }, time: 0 } };
      const b = JSON.parse(req.body) as { query: number[]; limit: number; with_payload: boolean };
      const scored = points.map((p) => ({ id: p.id, version: 0, score: p.v.reduce((s, x, i) => s + x * b.query[i], 0), payload: b.with_payload ? p.payload : undefined })).sort((a, z) => z.score - a.score);
      return { body: { result: { points: scored.slice(0, b.limit) }, status: 'ok', time: 0.001 } };
    });
    try {
      const settings: WorkspaceSettings = {
        embeddingEndpoints: { mini: { type: 'openai', url: `${embeddings.url}/v1`, model: 'minilm-shape-random', batchSize: 8 } },
        retrievers: { qd: { type: 'http', preset: 'qdrant', url: `${qdrant.url}/collections/demo/points/query`, embeddingModel: 'mini' } },
      };
      const r = createExternalRetriever('qd', settings, { secrets: secrets() });
      assert.equal(r.capabilities.needsQueryVector, true);
      const hits = await r.search('service account credentials', 10);
      const local = (await dense.search({ query: 'service account credentials', k: 10, retrievers: ['dense'] })).results.dense!;
      assert.deepEqual(hits.map((h) => h.id), local.map((h) => h.chunkId));
      for (let i = 0; i < 10; i++) assert.ok(Math.abs(hits[i].score - local[i].score) < 1e-4);
      const sent = JSON.parse(qdrant.requests[0].body) as { query: number[]; limit: number; with_payload: boolean };
      assert.equal(sent.query.length, model.info.dims);
      assert.equal(sent.limit, 10);
    } finally {
      await qdrant.close();
      await embeddings.close();
      await model.dispose();
    }
  });
});
