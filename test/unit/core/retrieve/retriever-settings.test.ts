import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../../../src/core/io/input-error';
import { getPath, validateRetrievers } from '../../../../src/core/retrieve/retriever-config';
import { checkSetting, readWorkspaceSettings } from '../../../../src/core/settings/workspace-settings';

function settingsFile(text: string): { root: string; file: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-retr-'));
  fs.mkdirSync(path.join(root, '.vscode'));
  const file = path.join(root, '.vscode', 'settings.json');
  fs.writeFileSync(file, text);
  return { root, file };
}

const rejects = (text: string, line: number, message: RegExp) => {
  const { root } = settingsFile(text);
  assert.throws(() => readWorkspaceSettings(root), (e: unknown) => e instanceof InputError && e.line === line && message.test(e.message), `expected line ${line}: ${message}`);
};

describe('retrievalLens.retrievers and retrievalLens.embeddingEndpoints settings', () => {
  it('reads a valid map of http and pgvector retrievers and embedding endpoints', () => {
    const { root } = settingsFile(`{
  // comments allowed
  "retrievalLens.embeddingEndpoints": { "oai": { "url": "https://api.openai.com/v1", "model": "text-embedding-3-small", "apiKeySecret": "OPENAI_API_KEY" } },
  "retrievalLens.retrievers": {
    "prod-os": { "type": "http", "preset": "opensearch", "url": "https://search.internal:9200/docs/_search", "headers": { "Authorization": "Basic \${secret:OS_AUTH}" } },
    "pg": { "type": "pgvector", "connection": "postgres://rag@db:5432/rag", "passwordSecret": "PGPASSWORD", "sql": "SELECT id, text FROM chunks ORDER BY embedding <=> $1::vector LIMIT 100", "embeddingModel": "oai" },
  },
}`);
    const s = readWorkspaceSettings(root);
    assert.deepEqual(Object.keys(s.retrievers ?? {}), ['prod-os', 'pg']);
    assert.equal(s.embeddingEndpoints?.oai.model, 'text-embedding-3-small');
    assert.equal(s.embeddingEndpoints?.oai.type, 'openai');
  });

  it('names the line and the field of each problem', () => {
    rejects('{\n "retrievalLens.retrievers": {\n  "a": {\n   "type": "http",\n   "url": "ftp://x"\n  }\n }\n}', 5, /retrievalLens\.retrievers\.a\.url must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"/);
    rejects('{\n "retrievalLens.retrievers": {\n  "a": { "type": "solr", "url": "http://x" }\n }\n}', 3, /retrievalLens\.retrievers\.a\.type must be "http" or "pgvector", got "solr"/);
    rejects('{\n "retrievalLens.retrievers": {\n  "a": {\n   "type": "http", "url": "http://x",\n   "headers": {\n    "Authorization": "Bearer sk-live-123"\n   }\n  }\n }\n}', 6, /retrievalLens\.retrievers\.a\.headers\.Authorization holds a credential: write it as \$\{secret:NAME\}/);
    rejects('{\n "retrievalLens.retrievers": {\n  "pg": {\n   "type": "pgvector",\n   "connection": "postgres://u:hunter2@db/rag",\n   "sql": "SELECT 1 WHERE $1 IS NOT NULL", "embeddingModel": "local"\n  }\n }\n}', 5, /retrievalLens\.retrievers\.pg\.connection holds a password: remove it and name the environment variable or secret with "passwordSecret"/);
    rejects('{\n "retrievalLens.retrievers": {\n  "pg": { "type": "pgvector", "connection": "postgres://u@db/rag",\n   "sql": "SELECT id FROM chunks", "embeddingModel": "local" }\n }\n}', 4, /retrievalLens\.retrievers\.pg\.sql must use \$1 \(the query vector\)/);
    rejects('{\n "retrievalLens.retrievers": {\n  "q": { "type": "http", "preset": "qdrant", "url": "http://q:6333/collections/c/points/query" }\n }\n}', 3, /retrievalLens\.retrievers\.q the request uses \$\{vector\}: name the query-vector model with "embeddingModel"/);
    rejects('{\n "retrievalLens.retrievers": {\n  "q": { "type": "http", "preset": "qdrant", "url": "http://q", "embeddingModel": "nope" }\n }\n}', 3, /embeddingModel must be "local" \(the index's embedding model\) or a key of retrievalLens\.embeddingEndpoints, got "nope"/);
    rejects('{\n "retrievalLens.retrievers": {\n  "x": { "type": "http", "url": "http://x" }\n }\n}', 3, /retrievalLens\.retrievers\.x needs "results" and "id"/);
    rejects('{\n "retrievalLens.retrievers": {\n  "hybrid": { "type": "http", "url": "http://x", "preset": "plain" }\n }\n}', 3, /"hybrid" is a built-in retriever/);
    rejects('{\n "retrievalLens.retrievers": {\n  "x": { "type": "http", "url": "http://x", "preset": "plain",\n   "documentId": { "pattern": "(" } }\n }\n}', 4, /documentId\.pattern is not a valid regular expression/);
    rejects('{\n "retrievalLens.embeddingEndpoints": {\n  "e": { "url": "http://x/v1", "model": "m",\n   "apiKey": "sk-1" }\n }\n}', 4, /retrievalLens\.embeddingEndpoints\.e\.apiKey a key never goes in settings/);
    rejects('{\n "retrievalLens.retrievers": [1]\n}', 2, /retrievalLens\.retrievers must be an object mapping a retriever name/);
    assert.match(checkSetting('retrievers', { a: { type: 'http' } }) ?? '', /retrievalLens\.retrievers\.a needs "url"/);
  });

  it('--settings FILE: reads that file; a missing one is named', () => {
    const { root, file } = settingsFile('{ "retrievalLens.topK": 5 }');
    const other = path.join(root, 'team.json');
    fs.writeFileSync(other, '{ "retrievalLens.topK": 7 }');
    assert.equal(readWorkspaceSettings(root).topK, 5);
    assert.equal(readWorkspaceSettings(root, other).topK, 7);
    assert.equal(readWorkspaceSettings(root, file).topK, 5);
    assert.throws(() => readWorkspaceSettings(root, path.join(root, 'missing.json')), /missing\.json: settings file not found/);
  });

  it('dotted response paths', () => {
    const v = { hits: { hits: [{ _id: 'a', _source: { t: 'x' } }] }, result: { points: [] } };
    assert.deepEqual(getPath(v, 'hits.hits[0]._source.t'), { found: true, value: 'x' });
    assert.deepEqual(getPath(v, 'hits.hits.0._id'), { found: true, value: 'a' });
    assert.deepEqual(getPath(v, 'hits.total'), { found: false, value: undefined });
    assert.deepEqual(getPath([1, 2], ''), { found: true, value: [1, 2] });
    assert.equal(validateRetrievers({ ok: { type: 'http', url: 'http://x', results: '', id: 'id' } }).problems.length, 0);
  });
});
