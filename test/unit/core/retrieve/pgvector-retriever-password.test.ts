import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { RetrieverError } from '../../../../src/core/retrieve/retriever';
import { validateRetrievers, type PgvectorRetrieverConfig } from '../../../../src/core/retrieve/retriever-config';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { loadDocs, PLAIN_SQL_SIMILARITY, postgresServerSkipReason, startPostgresServer, type PostgresServer } from '../../../helpers/postgres-server';

const skip = postgresServerSkipReason();

describe('pgvector retriever: passwordSecret reaches a real PostgreSQL server with SCRAM password authentication', { skip }, () => {
  let server: PostgresServer;
  let vectors: Map<string, Float32Array>;
  const model = new CharTrigramEmbedder();
  const local = async (q: string) => (await model.embed([q]))[0];
  const saved = { PGPASSWORD: process.env.PGPASSWORD, RAG_DB_PASSWORD: process.env.RAG_DB_PASSWORD };

  before(async () => {
    // Nothing but passwordSecret may supply the password here.
    delete process.env.PGPASSWORD;
    server = await startPostgresServer();
    vectors = await loadDocs(server, model);
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server?.stop();
  });

  const url = (query = '') => `postgres://${server.role}@127.0.0.1:${server.port}/${server.database}${query}`;
  const retriever = (config: Partial<PgvectorRetrieverConfig>) =>
    createExternalRetriever('pg', { retrievers: { pg: { type: 'pgvector', connection: url(), passwordSecret: 'RAG_DB_PASSWORD', sql: PLAIN_SQL_SIMILARITY, embeddingModel: 'local', ...config } as PgvectorRetrieverConfig } }, { secrets: environmentSecrets, localQueryEmbedder: local });
  const failure = async (r: ReturnType<typeof retriever>, query: string): Promise<RetrieverError> => {
    try {
      await r.search(query, 5);
    } catch (e) {
      assert.ok(e instanceof RetrieverError, String(e));
      return e;
    } finally {
      await r.dispose();
    }
    assert.fail('the search succeeded');
  };

  it('the right password: the hits are the rows the SQL returns, ranked by the dot product computed here', async () => {
    process.env.RAG_DB_PASSWORD = server.password;
    const r = retriever({});
    try {
      const query = 'rotate an API token without downtime';
      const hits = await r.search(query, 5);
      const qv = await local(query);
      // The same SQL with the same $1, run by the superuser.
      const rows = await server.admin(PLAIN_SQL_SIMILARITY, [`[${Array.from(qv).join(',')}]`]);
      assert.deepEqual(hits, rows.slice(0, 5).map((row, i) => ({ rank: i + 1, id: row.id, score: Number(row.score), text: row.text, path: row.path })));
      const dot = (id: string) => vectors.get(id)!.reduce((s, x, i) => s + x * qv[i], 0);
      for (const h of hits) assert.ok(Math.abs(h.score - dot(h.id)) < 1e-9, `${h.id}: ${h.score} vs ${dot(h.id)}`);
      const expected = [...vectors.keys()].sort((a, b) => dot(b) - dot(a) || (a < b ? -1 : 1)).slice(0, 5);
      assert.deepEqual(hits.map((h) => h.id), expected);
      assert.equal(r.endpoint, `127.0.0.1:${server.port}/rag`);
    } finally {
      await r.dispose();
    }
  });

  it('options in the connection string (application_name, sslmode, host and port as parameters) are applied and the password still comes from passwordSecret', async () => {
    process.env.RAG_DB_PASSWORD = server.password;
    // A wrong password in PGPASSWORD: the secret is what counts.
    process.env.PGPASSWORD = 'not-the-password';
    const conn = `postgres://${server.role}@db.invalid/${server.database}?host=127.0.0.1&port=${server.port}&application_name=rl-password-test&sslmode=disable`;
    assert.deepEqual(validateRetrievers({ pg: { type: 'pgvector', connection: conn, passwordSecret: 'RAG_DB_PASSWORD', sql: PLAIN_SQL_SIMILARITY, embeddingModel: 'local' } }).problems, []);
    const r = retriever({ connection: conn });
    try {
      const hits = await r.search('retry with exponential backoff', 3);
      assert.equal(hits.length, 3);
      assert.equal(r.endpoint, `127.0.0.1:${server.port}/rag`);
      // The pool keeps its connection open for a few seconds: the server shows who it is.
      const seen = await server.admin("SELECT usename, application_name, ssl FROM pg_stat_activity LEFT JOIN pg_stat_ssl USING (pid) WHERE application_name = 'rl-password-test'");
      assert.deepEqual(seen, [{ usename: 'rag_reader', application_name: 'rl-password-test', ssl: false }]);
    } finally {
      delete process.env.PGPASSWORD;
      await r.dispose();
    }
  });

  it('a wrong password: one error naming the retriever, the database and where the password came from, never the password', async () => {
    process.env.RAG_DB_PASSWORD = 'wrong-Password-42';
    const e = await failure(retriever({}), 'token refresh');
    assert.match(e.message, new RegExp(`^retriever "pg", query "token refresh": postgres 127\\.0\\.0\\.1:${server.port}/rag: cannot connect: password authentication failed for user "rag_reader" \\[28P01\\] \\(password from environment variable RAG_DB_PASSWORD\\)$`));
    assert.ok(!e.message.includes('wrong-Password-42'));
    assert.ok(!e.message.includes(server.password));
  });

  it('the variable not set, or empty: an error naming the variable and the setting, and no connection is attempted', async () => {
    // A listener in place of the database counts the connections that reach it.
    let connections = 0;
    const listener = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    try {
      delete process.env.RAG_DB_PASSWORD_UNSET;
      const unset = await failure(retriever({ connection: `postgres://rag_reader@127.0.0.1:${port}/rag`, passwordSecret: 'RAG_DB_PASSWORD_UNSET' }), 'q');
      assert.equal(unset.message, 'retriever "pg", query "q": passwordSecret: secret RAG_DB_PASSWORD_UNSET is not set (environment variable RAG_DB_PASSWORD_UNSET)');
      process.env.RAG_DB_PASSWORD_UNSET = '';
      const empty = await failure(retriever({ connection: `postgres://rag_reader@127.0.0.1:${port}/rag`, passwordSecret: 'RAG_DB_PASSWORD_UNSET' }), 'q');
      assert.equal(empty.message, 'retriever "pg", query "q": passwordSecret: secret RAG_DB_PASSWORD_UNSET is empty (environment variable RAG_DB_PASSWORD_UNSET)');
      assert.equal(connections, 0);
    } finally {
      delete process.env.RAG_DB_PASSWORD_UNSET;
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('a password in the connection string is refused by the settings check in every form, and by the retriever itself', async () => {
    const refused = [
      'postgres://rag_reader:hunter2@127.0.0.1:5432/rag',
      'postgresql://rag_reader:hunter2@127.0.0.1/rag',
      'postgres://rag_reader@127.0.0.1/rag?password=hunter2',
      'postgres://rag_reader@127.0.0.1/rag?sslmode=disable&Password=hunter2',
      'postgres://rag_reader@127.0.0.1/rag?%70assword=hunter2',
    ];
    for (const connection of refused) {
      const { problems, retrievers } = validateRetrievers({ pg: { type: 'pgvector', connection, passwordSecret: 'RAG_DB_PASSWORD', sql: PLAIN_SQL_SIMILARITY, embeddingModel: 'local' } });
      assert.deepEqual(problems, [{ path: ['pg', 'connection'], problem: 'holds a password: remove it and name the environment variable or secret with "passwordSecret"' }], connection);
      assert.deepEqual(retrievers, {});
    }
    // Keyword/value strings are not taken at all (only the URL form is).
    const keyword = validateRetrievers({ pg: { type: 'pgvector', connection: 'host=127.0.0.1 dbname=rag user=rag_reader password=hunter2', sql: PLAIN_SQL_SIMILARITY, embeddingModel: 'local' } }).problems;
    assert.deepEqual(keyword, [{ path: ['pg', 'connection'], problem: 'must be a postgres://user@host:port/database URL' }]);
    assert.ok(!JSON.stringify(keyword).includes('hunter2'));

    // Made without the settings check, with the right password in the string: refused before connecting.
    process.env.RAG_DB_PASSWORD = server.password;
    for (const connection of [`postgres://rag_reader:${server.password}@127.0.0.1:${server.port}/rag`, `${url()}?password=${server.password}`]) {
      for (const passwordSecret of ['RAG_DB_PASSWORD', undefined]) {
        const e = await failure(retriever({ connection, passwordSecret }), 'q');
        assert.equal(e.message, 'retriever "pg", query "q": connection: holds a password: remove it and name the environment variable or secret with "passwordSecret"');
      }
    }
  });
});
