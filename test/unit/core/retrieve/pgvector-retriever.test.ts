import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluateRetriever } from '../../../../src/core/eval/evaluate-retriever';
import { embeddingInput, WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import { runQueries, RetrieverError } from '../../../../src/core/retrieve/retriever';
import type { PgvectorRetrieverConfig } from '../../../../src/core/retrieve/retriever-config';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import type { WorkspaceSettings } from '../../../../src/core/settings/workspace-settings';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { startPgvectorServer } from '../../../helpers/pgvector-server';
import { demoDir } from '../../../helpers/shared';

const SQL = 'SELECT id, path, body AS text, start_offset, end_offset, 1 - (embedding <=> $1::vector) AS score FROM chunks ORDER BY embedding <=> $1::vector, id LIMIT 100';

describe('pgvector retriever against a real Postgres with pgvector (PGlite over the wire protocol)', () => {
  let server: Awaited<ReturnType<typeof startPgvectorServer>>;
  let target: EvalTarget;
  let index: WorkspaceIndex;
  const embedder = new CharTrigramEmbedder();
  const vectors = new Map<string, Float32Array>();

  before(async () => {
    server = await startPgvectorServer();
    target = await loadEvalTarget(demoDir);
    ({ index } = await WorkspaceIndex.build(target.corpus, { chunker: sizedChunkerConfig('markdown'), embedder }));
    // The demo's chunks and their vectors, loaded with pg like any application would.
    const pool = new Pool({ connectionString: server.url, max: 1 });
    await pool.query(`CREATE TABLE chunks (id text PRIMARY KEY, path text, body text, start_offset int, end_offset int, embedding vector(${embedder.info.dims}))`);
    const chunks = [...index.allChunks()];
    const embedded = await embedder.embed(chunks.map((c) => embeddingInput(index.getDocument(c.docId)!, c)));
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      vectors.set(c.id, embedded[i]);
      await pool.query('INSERT INTO chunks VALUES ($1, $2, $3, $4, $5, $6::vector)', [c.id, index.getDocument(c.docId)!.path, c.text, c.start, c.end, `[${Array.from(embedded[i]).join(',')}]`]);
    }
    await pool.end();
  });
  after(async () => server?.stop());

  const settings = (config: Partial<PgvectorRetrieverConfig>): WorkspaceSettings => ({
    retrievers: { pg: { type: 'pgvector', connection: server.url, sql: SQL, embeddingModel: 'local', startColumn: 'start_offset', endColumn: 'end_offset', ...config } as PgvectorRetrieverConfig },
  });
  const local = async (q: string) => (await embedder.embed([q]))[0];

  it('ranks exactly as cosine over the same vectors, computed here independently', async () => {
    const r = createExternalRetriever('pg', settings({}), { secrets: environmentSecrets, localQueryEmbedder: local });
    try {
      assert.deepEqual(r.capabilities, { filters: false, returnsText: true, needsQueryVector: true, concurrency: 4 });
      const query = 'how do I rotate an API token';
      const hits = await r.search(query, 10);
      const qv = await local(query);
      const expected = [...vectors].map(([id, v]) => ({ id, score: v.reduce((s, x, i) => s + x * qv[i], 0) })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, 10);
      assert.equal(hits.length, 10);
      for (let i = 0; i < 10; i++) {
        assert.ok(Math.abs(hits[i].score - expected[i].score) < 1e-5, `rank ${i + 1}: ${hits[i].score} vs ${expected[i].score}`);
        assert.equal(hits[i].rank, i + 1);
      }
      assert.deepEqual(hits.map((h) => h.id), expected.map((e) => e.id));
      const c = index.getChunk(hits[0].id)!;
      assert.equal(hits[0].text, c.text);
      assert.deepEqual([hits[0].start, hits[0].end], [c.start, c.end]);
    } finally {
      await r.dispose();
    }
  });

  it('scores the demo labels like the local dense retriever over the same vectors, placed by offsets or by text', async () => {
    // pgvector here applies no metadata filter, so the local run it is compared with leaves them out too.
    const unfiltered = target.queries.map(({ filter: _f, ...q }) => q);
    const dense = await evaluateRetriever(new LocalRetriever(index, 'dense'), target.corpus.documents, unfiltered, { level: 'chunk', depth: 100 });
    const byOffsets = createExternalRetriever('pg', settings({}), { secrets: environmentSecrets, localQueryEmbedder: local });
    const byText = createExternalRetriever('pg', settings({ startColumn: undefined, endColumn: undefined }), { secrets: environmentSecrets, localQueryEmbedder: local });
    try {
      const a = await evaluateRetriever(byOffsets, target.corpus.documents, target.queries, { level: 'chunk', depth: 100, concurrency: 3 });
      const b = await evaluateRetriever(byText, target.corpus.documents, target.queries, { level: 'chunk', depth: 100 });
      assert.ok(dense.metrics.all.num_q > 5, `demo has ${dense.metrics.all.num_q} labeled queries`);
      assert.equal(a.failures.length, 0, JSON.stringify(a.failures));
      assert.equal(a.filtersNotApplied, target.queries.filter((q) => q.filter && q.split === 'eval' && q.judgments.length).length);
      assert.equal(a.placement.offsets, [...a.placed.values()].flat().length);
      // Every chunk text occurs verbatim in its document, so each is placed exactly (first occurrence).
      assert.equal(b.placement.exact, [...b.placed.values()].flat().length);
      for (const m of ['ndcg_cut_10', 'recall_100', 'map', 'recip_rank']) {
        assert.ok(Math.abs(a.metrics.all[m] - dense.metrics.all[m]) < 1e-9, `${m}: pgvector ${a.metrics.all[m]} vs local dense ${dense.metrics.all[m]}`);
        assert.ok(Math.abs(b.metrics.all[m] - a.metrics.all[m]) < 0.02, `${m}: by text ${b.metrics.all[m]} vs by offsets ${a.metrics.all[m]}`);
      }
      assert.ok(a.metrics.all.recall_100 > 0);
      // Document level through the path column.
      const d = await evaluateRetriever(byOffsets, target.corpus.documents, target.queries, { level: 'doc', depth: 100 });
      const dd = await evaluateRetriever(new LocalRetriever(index, 'dense'), target.corpus.documents, unfiltered, { level: 'doc', depth: 100, k: 100 });
      assert.ok(Math.abs(d.metrics.all.ndcg_cut_10 - dd.metrics.all.ndcg_cut_10) < 1e-9);
    } finally {
      await byOffsets.dispose();
      await byText.dispose();
    }
  });

  it('passes the query text as $2 for hybrid SQL', async () => {
    const sql = "SELECT id, body AS text, path, 1 - (embedding <=> $1::vector) + CASE WHEN strpos(body, $2::text) > 0 THEN 1 ELSE 0 END AS score FROM chunks ORDER BY score DESC, id LIMIT 5";
    const r = createExternalRetriever('pg', settings({ sql, startColumn: undefined, endColumn: undefined }), { secrets: environmentSecrets, localQueryEmbedder: local });
    try {
      const hits = await r.search('QS-4012', 5);
      assert.ok(hits[0].text!.includes('QS-4012'), hits[0].text);
      assert.ok(hits[0].score > 1);
    } finally {
      await r.dispose();
    }
  });

  it('names the retriever, the query and the column or server when something is wrong; the other queries still run', async () => {
    const missing = createExternalRetriever('pg', settings({ idColumn: 'chunk_id' }), { secrets: environmentSecrets, localQueryEmbedder: local });
    await assert.rejects(missing.search('tokens', 3), (e: unknown) => e instanceof RetrieverError && /retriever "pg", query "tokens": row 1, column "chunk_id": not in the result \(columns: id, path, text, start_offset, end_offset, score\)/.test(e.message));
    await missing.dispose();
    const badSql = createExternalRetriever('pg', settings({ sql: 'SELECT id FROM no_such_table WHERE $1::vector IS NOT NULL' }), { secrets: environmentSecrets, localQueryEmbedder: local });
    await assert.rejects(badSql.search('tokens', 3), /retriever "pg", query "tokens": SQL \(42P01\): relation "no_such_table" does not exist/);
    await badSql.dispose();
    const noSecret = createExternalRetriever('pg', settings({ passwordSecret: 'RL_TEST_UNSET_PG_PASSWORD' }), { secrets: environmentSecrets, localQueryEmbedder: local });
    await assert.rejects(noSecret.search('tokens', 3), /passwordSecret: secret RL_TEST_UNSET_PG_PASSWORD is not set \(environment variable RL_TEST_UNSET_PG_PASSWORD\)/);
    // A server that is not there: each query fails with the address, and the evaluation reports them all.
    const down = createExternalRetriever('pg', settings({ connection: 'postgres://postgres@127.0.0.1:9/postgres', timeoutMs: 2000 }), { secrets: environmentSecrets, localQueryEmbedder: local });
    const outcomes = await runQueries(down, [{ id: 'a', text: 'one' }, { id: 'b', text: 'two' }], { k: 3 });
    await down.dispose();
    assert.equal(outcomes.size, 2);
    for (const o of outcomes.values()) assert.match(o.error ?? '', /retriever "pg", query "(one|two)": postgres 127\.0\.0\.1:9\/postgres: .*ECONNREFUSED/);
  });

  it('applies the metadata filter in SQL through $3 and then scores exactly like the local dense retriever with the filter', async () => {
    // The engine stores the front-matter field the demo's filtered queries use; the SQL reads the filter from $3.
    const pool = new Pool({ connectionString: server.url, max: 1 });
    await pool.query('ALTER TABLE chunks ADD COLUMN product text');
    for (const c of index.allChunks()) {
      const v = index.getDocument(c.docId)!.frontMatter.product;
      await pool.query('UPDATE chunks SET product = $1 WHERE id = $2', [v === undefined ? null : String(v), c.id]);
    }
    await pool.end();
    const sql = `SELECT id, path, body AS text, start_offset, end_offset, 1 - (embedding <=> $1::vector) AS score FROM chunks
      WHERE $2::text IS NOT NULL AND ($3::jsonb IS NULL OR NOT ($3::jsonb -> 'frontMatter' ? 'product') OR product = $3::jsonb -> 'frontMatter' ->> 'product')
      ORDER BY embedding <=> $1::vector, id LIMIT 100`;
    const filtered = target.queries.filter((q) => q.filter && q.split === 'eval' && q.judgments.length);
    assert.ok(filtered.length >= 2, 'the demo has eval queries with a front-matter filter');
    const r = createExternalRetriever('pg', settings({ sql }), { secrets: environmentSecrets, localQueryEmbedder: local });
    try {
      assert.equal(r.capabilities.filters, true);
      // The filter reaches the SQL: every hit of a filtered query is a product "cloud" document.
      const hits = await r.search(filtered[0].text, 20, { filter: filtered[0].filter });
      assert.ok(hits.length > 0);
      for (const h of hits) assert.equal(index.getDocument(index.getChunk(h.id)!.docId)!.frontMatter.product, filtered[0].filter!.frontMatter!.product, h.id);
      const unfilteredHits = await r.search(filtered[0].text, 20);
      assert.ok(unfilteredHits.some((h) => index.getDocument(index.getChunk(h.id)!.docId)!.frontMatter.product !== 'cloud'), 'without a filter ($3 null) other products come back');
      // And the whole evaluation, filters included, equals the local dense retriever applying the same filters.
      const pg = await evaluateRetriever(r, target.corpus.documents, target.queries, { level: 'chunk', depth: 100 });
      const dense = await evaluateRetriever(new LocalRetriever(index, 'dense'), target.corpus.documents, target.queries, { level: 'chunk', depth: 100 });
      assert.equal(pg.filtersNotApplied, 0);
      for (const m of ['ndcg_cut_10', 'recall_100', 'map', 'recip_rank']) assert.ok(Math.abs(pg.metrics.all[m] - dense.metrics.all[m]) < 1e-9, `${m}: pgvector ${pg.metrics.all[m]} vs local dense ${dense.metrics.all[m]}`);
      for (const q of filtered) assert.deepEqual(pg.ranking.get(q.id)?.slice(0, 10), dense.ranking.get(q.id)?.slice(0, 10), `filtered query ${q.id}`);
    } finally {
      await r.dispose();
    }
  });

  it('refuses $3 without $2 in the settings check, naming the line to fix', async () => {
    const { validateRetrievers } = await import('../../../../src/core/retrieve/retriever-config');
    const { problems } = validateRetrievers({ pg: { type: 'pgvector', connection: 'postgres://u@h/db', sql: 'SELECT id FROM t WHERE $3::jsonb IS NULL ORDER BY e <=> $1::vector', embeddingModel: 'local' } });
    assert.deepEqual(problems, [{ path: ['pg', 'sql'], problem: 'uses $3 (the filter) without $2 (the query text): Postgres needs every parameter typed, e.g. add "AND $2::text IS NOT NULL"' }]);
  });
});
