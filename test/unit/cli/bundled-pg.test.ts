import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { Pool } from 'pg';
import { CharTrigramEmbedder } from '../../helpers/char-ngram-embedder';
import { startPgvectorServer } from '../../helpers/pgvector-server';
import { startEmbeddingsServer } from '../../helpers/protocol-servers';
import { demoDir, repoRoot } from '../../helpers/shared';

const cli = path.join(repoRoot, 'dist', 'cli.js');

describe('the bundled CLI (dist/cli.js) reaches Postgres with the bundled pg client', () => {
  it('search --retriever over pgvector, query vectors from an OpenAI-compatible endpoint', { skip: fs.existsSync(cli) ? false : 'dist/cli.js not built: run npm run build' }, async () => {
    const bundle = fs.readFileSync(cli, 'utf8');
    assert.ok(!/node_modules\/pg-native/.test(bundle), 'pg-native is not bundled');
    const db = await startPgvectorServer();
    const model = new CharTrigramEmbedder();
    const embeddings = await startEmbeddingsServer(model);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bundle-'));
    try {
      const pool = new Pool({ connectionString: db.url, max: 1 });
      await pool.query(`CREATE TABLE docs (id text, path text, text text, embedding vector(${model.info.dims}))`);
      for (const f of ['docs/guides/authentication.md', 'docs/guides/retries.md', 'docs/guides/batching.md']) {
        const text = fs.readFileSync(path.join(demoDir, f), 'utf8').slice(0, 400);
        const [v] = await model.embed([text]);
        await pool.query('INSERT INTO docs VALUES ($1, $2, $3, $4::vector)', [f, f, text, `[${Array.from(v).join(',')}]`]);
      }
      await pool.end();
      const settings = path.join(tmp, 'settings.json');
      fs.writeFileSync(settings, JSON.stringify({
        'retrievalLens.embeddingEndpoints': { tri: { url: `${embeddings.url}/v1`, model: 'char-trigram' } },
        'retrievalLens.retrievers': { pg: { type: 'pgvector', connection: db.url, sql: 'SELECT id, path, text, 1 - (embedding <=> $1::vector) AS score FROM docs ORDER BY embedding <=> $1::vector LIMIT 10', embeddingModel: 'tri' } },
      }));
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, 'search', demoDir, 'retry with exponential backoff', '--settings', settings, '--retriever', 'pg', '--k', '3']);
      assert.match(stderr, /pg: 3 hits; placed exact 3/);
      const lines = stdout.trimEnd().split('\n').filter((l) => /^ {2}\d/.test(l));
      assert.equal(lines.length, 3, stdout);
      assert.match(lines[0], /^ {2}1 {2}0\.\d{4} {2}docs\/guides\/retries\.md {2}docs\/guides\/retries\.md:0-\d+ {2}\[exact\]/);
    } finally {
      await embeddings.close();
      await db.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
