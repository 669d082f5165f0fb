import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadEvalTarget } from '../../../src/core/eval/eval-target';
import { CharTrigramEmbedder } from '../../helpers/char-ngram-embedder';
import { loadDocs, PLAIN_SQL_SIMILARITY, postgresServerSkipReason, startPostgresServer, type PostgresServer } from '../../helpers/postgres-server';
import { startEmbeddingsServer } from '../../helpers/protocol-servers';
import { demoDir, repoRoot } from '../../helpers/shared';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const skip = fs.existsSync(cli) ? postgresServerSkipReason() : 'dist/cli.js not built: run node esbuild.mjs';

describe('retrieval-lens eval --retriever over pgvector with passwordSecret, against a real PostgreSQL server with SCRAM password authentication', { skip }, () => {
  let server: PostgresServer;
  let embeddings: Awaited<ReturnType<typeof startEmbeddingsServer>>;
  let tmp: string;
  let workspace: string;
  let settings: string;
  const model = new CharTrigramEmbedder();

  before(async () => {
    server = await startPostgresServer();
    await loadDocs(server, model);
    embeddings = await startEmbeddingsServer(model);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-pg-password-'));
    // A copy of the demo (eval saves its runs in the workspace), without its own editor settings: the retriever comes
    // from the team file given with --settings, outside the workspace.
    workspace = path.join(tmp, 'workspace');
    fs.cpSync(demoDir, workspace, { recursive: true, filter: (src) => !src.includes(`${path.sep}.vscode`) && !src.includes(`${path.sep}runs`) && !src.includes(`${path.sep}index`) });
    settings = path.join(tmp, 'team.json');
    fs.writeFileSync(settings, JSON.stringify({
      'retrievalLens.embeddingEndpoints': { tri: { url: `${embeddings.url}/v1`, model: 'char-trigram' } },
      'retrievalLens.retrievers': { pg: { type: 'pgvector', connection: `postgres://${server.role}@127.0.0.1:${server.port}/${server.database}`, passwordSecret: 'RAG_DB_PASSWORD', sql: PLAIN_SQL_SIMILARITY, embeddingModel: 'tri' } },
    }, null, 2));
  });
  after(async () => {
    await embeddings?.close();
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const run = async (password: string | undefined, extra: string[] = []) => {
    const env: NodeJS.ProcessEnv = { ...process.env, RAG_DB_PASSWORD: password };
    if (password === undefined) delete env.RAG_DB_PASSWORD;
    // The password comes from RAG_DB_PASSWORD only.
    delete env.PGPASSWORD;
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, 'eval', workspace, '--settings', settings, '--retriever', 'pg', ...extra], { env });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };

  it('RAG_DB_PASSWORD in the environment: every query reaches the server, and each ranking is what the SQL returns', async () => {
    const runFile = path.join(tmp, 'pg.trec');
    const r = await run(server.password, ['--run-out', runFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^pg \\(pgvector 127\\.0\\.0\\.1:${server.port}/rag; doc level, 21 queries\\)\\n`));
    assert.doesNotMatch(r.stderr, /error|failed/);
    const ranking = new Map<string, string[]>();
    for (const line of fs.readFileSync(runFile, 'utf8').trim().split('\n')) {
      const [qid, , doc] = line.split(' ');
      ranking.set(qid, [...(ranking.get(qid) ?? []), doc]);
    }
    // The 21 queries of the eval split, each ranked as the same SQL ranks it for the superuser.
    const text = new Map((await loadEvalTarget(workspace)).queries.map((q) => [q.id, q.text]));
    assert.equal(ranking.size, 21);
    for (const [qid, docs] of ranking) {
      const [v] = await model.embed([text.get(qid)!]);
      const rows = await server.admin(PLAIN_SQL_SIMILARITY, [`[${Array.from(v).join(',')}]`]);
      assert.deepEqual(docs, rows.map((row) => row.id), qid);
    }
  });

  it('a wrong password: every query fails with the database and the variable named, never the password; exit 2', async () => {
    const r = await run('Wrong-Horse-Battery-9');
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`error: pg: every query failed; the first: retriever "pg", query ".*": postgres 127\\.0\\.0\\.1:${server.port}/rag: cannot connect: password authentication failed for user "rag_reader" \\[28P01\\] \\(password from environment variable RAG_DB_PASSWORD\\)`));
    assert.ok(!r.stderr.includes('Wrong-Horse-Battery-9') && !r.stdout.includes('Wrong-Horse-Battery-9'));
  });

  it('RAG_DB_PASSWORD not set: the error names the variable and the setting', async () => {
    const r = await run(undefined);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error: pg: every query failed; the first: retriever "pg", query ".*": passwordSecret: secret RAG_DB_PASSWORD is not set \(environment variable RAG_DB_PASSWORD\)/);
  });
});
