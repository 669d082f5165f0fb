import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { environmentSecrets } from '../../../src/core/io/secret-source';
import { TRUST_WORKSPACE_ENV } from '../../../src/core/settings/workspace-trust';
import { CharTrigramEmbedder } from '../../helpers/char-ngram-embedder';
import { startEmbeddingsServer, startJsonServer, type TestServer } from '../../helpers/protocol-servers';

/**
 * A cloned repository's .vscode/settings.json must not steer the CLI: the endpoints, retrievers, model folders and
 * rerankers it names are not contacted or loaded, and the secrets it names are not read, unless the user trusts the
 * workspace (--trust-workspace or RETRIEVAL_LENS_TRUST_WORKSPACE=1). Real local HTTP servers record every request.
 */

const SECRET_NAME = 'RL_TRUST_TEST_SECRET';
const SECRET_VALUE = 'value-of-a-secret-the-repository-named';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err, errText: () => err.join('\n') };
}

/** A small workspace: three markdown files, an eval set with one labeled query, and the given settings. */
function workspace(settings: Record<string, unknown>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-trust-'));
  fs.mkdirSync(path.join(root, 'docs'));
  const docs: Record<string, string> = {
    'docs/retention.md': '# Retention\n\nEvents are kept for thirty days, then deleted from every region.\n',
    'docs/paging.md': '# Paging\n\nFor a full outage page the on-call incident commander first.\n',
    'docs/errors.md': '# Error codes\n\nQS-4091 means the partition was fenced by a newer leader.\n',
  };
  for (const [p, t] of Object.entries(docs)) fs.writeFileSync(path.join(root, p), t);
  fs.mkdirSync(path.join(root, '.vscode'));
  fs.writeFileSync(path.join(root, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.mkdirSync(path.join(root, '.retrieval-lens'));
  const exact = 'Events are kept for thirty days';
  const text = docs['docs/retention.md'];
  const start = text.indexOf(exact);
  const [prefix, suffix] = [text.slice(Math.max(0, start - 32), start), text.slice(start + exact.length, start + exact.length + 32)];
  fs.writeFileSync(
    path.join(root, '.retrieval-lens', 'evalset.jsonl'),
    `${JSON.stringify({ id: 'q1', text: 'how long are events kept', split: 'eval', judgments: [{ grade: 3, target: { type: 'span', docId: 'docs/retention.md', start, end: start + exact.length, exact, prefix, suffix } }] })}\n`,
  );
  return root;
}

/** Records which secrets the CLI asked for (the environment is where the CLI reads them). */
function watchSecrets(): { asked: string[]; restore: () => void } {
  const asked: string[] = [];
  const original = environmentSecrets.get;
  environmentSecrets.get = async (name) => {
    asked.push(name);
    return original(name);
  };
  return { asked, restore: () => void (environmentSecrets.get = original) };
}

describe('the CLI honours workspace trust', () => {
  let embeddings: TestServer;
  let engine: TestServer;
  const saved = { hf: process.env.HF_ENDPOINT, trust: process.env[TRUST_WORKSPACE_ENV], secret: process.env[SECRET_NAME] };

  before(async () => {
    embeddings = await startEmbeddingsServer(new CharTrigramEmbedder());
    engine = await startJsonServer(() => ({ body: { results: [{ id: 'docs/retention.md', score: 1, text: 'Events are kept for thirty days' }] } }));
    process.env[SECRET_NAME] = SECRET_VALUE;
    // The default model is a hub download: a closed local port makes the hub unreachable at once, so an untrusted run
    // falls back to the built-in USE-lite the way an offline machine does.
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9/';
    delete process.env[TRUST_WORKSPACE_ENV];
  });

  after(async () => {
    await embeddings.close();
    await engine.close();
    for (const [k, v] of [['HF_ENDPOINT', saved.hf], [TRUST_WORKSPACE_ENV, saved.trust], [SECRET_NAME, saved.secret]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const endpointSettings = () => ({
    'retrievalLens.embeddingEndpoints': { theirs: { url: `${embeddings.url}/v1`, model: 'their-model', apiKeySecret: SECRET_NAME } },
    'retrievalLens.embeddingModel': 'theirs',
  });

  it('an embeddings endpoint named by the workspace: no request and no secret read without trust; with --trust-workspace every chunk goes there with the key', async () => {
    const root = workspace(endpointSettings());
    const secrets = watchSecrets();
    try {
      const before = embeddings.requests.length;
      const r = io();
      const code = await runCli(['search', root, 'how long are events kept', '--retriever', 'dense', '--embed-processes', '1', '--k', '3'], r.io);
      assert.equal(code, 0, r.errText());
      assert.equal(embeddings.requests.length, before, 'the endpoint was contacted without trust');
      assert.deepEqual(secrets.asked, [], 'a secret the workspace named was read');
      const line = r.err.filter((l) => l.startsWith('workspace settings not applied'));
      assert.equal(line.length, 1, r.errText());
      assert.match(line[0], /retrievalLens\.embeddingModel, retrievalLens\.embeddingEndpoints/);
      assert.match(line[0], /--trust-workspace/);
      assert.match(r.errText(), /embedding with the built-in USE-lite instead/);

      const t = io();
      const trusted = await runCli(['search', root, 'how long are events kept', '--retriever', 'dense', '--k', '3', '--trust-workspace', '--index-dir', path.join(root, 'idx-trusted')], t.io);
      assert.equal(trusted, 0, t.errText());
      const made = embeddings.requests.slice(before);
      assert.ok(made.length >= 2, `trusted: the index and the query go to the endpoint (${made.length} requests)`);
      assert.ok(made.every((q) => q.headers.authorization === `Bearer ${SECRET_VALUE}`));
      assert.deepEqual([...new Set(secrets.asked)], [SECRET_NAME]);
      assert.ok(!t.err.some((l) => l.startsWith('workspace settings not applied')));
    } finally {
      secrets.restore();
    }
  });

  it(`${TRUST_WORKSPACE_ENV}=1 trusts the workspace as the flag does (CI on the team's own repository)`, async () => {
    const root = workspace(endpointSettings());
    const before = embeddings.requests.length;
    process.env[TRUST_WORKSPACE_ENV] = '1';
    try {
      const r = io();
      assert.equal(await runCli(['search', root, 'thirty days', '--retriever', 'dense', '--k', '2'], r.io), 0, r.errText());
      assert.ok(embeddings.requests.length > before);
    } finally {
      delete process.env[TRUST_WORKSPACE_ENV];
    }
  });

  it('an external retriever named by the workspace is not contacted (and its header secret not read) without trust; with trust it is', async () => {
    const root = workspace({ 'retrievalLens.retrievers': { prod: { type: 'http', preset: 'plain', url: `${engine.url}/retrieve`, headers: { Authorization: `Bearer \${secret:${SECRET_NAME}}` } } } });
    const secrets = watchSecrets();
    try {
      const before = engine.requests.length;
      const r = io();
      assert.equal(await runCli(['search', root, 'how long are events kept', '--retriever', 'prod'], r.io), 2);
      assert.equal(engine.requests.length, before);
      assert.deepEqual(secrets.asked, []);
      assert.match(r.errText(), /workspace settings not applied.*retrievalLens\.retrievers/);

      const e = io();
      assert.equal(await runCli(['eval', root, '--retriever', 'prod', '--metrics-out', path.join(root, 'm.json')], e.io), 2, 'eval refuses it too');
      assert.equal(engine.requests.length, before);

      const t = io();
      assert.equal(await runCli(['search', root, 'how long are events kept', '--retriever', 'prod', '--trust-workspace'], t.io), 0, t.errText());
      assert.equal(engine.requests.length, before + 1);
      assert.equal(engine.requests.at(-1)?.headers.authorization, `Bearer ${SECRET_VALUE}`);
    } finally {
      secrets.restore();
    }
  });

  it('a model folder and a reranker named by the workspace are not loaded without trust; with trust they are (and a broken one fails to load)', async () => {
    const root = workspace({ 'retrievalLens.embeddingModel': './models/theirs', 'retrievalLens.rerankerModel': './models/their-reranker' });
    for (const m of ['theirs', 'their-reranker']) {
      fs.mkdirSync(path.join(root, 'models', m), { recursive: true });
      fs.writeFileSync(path.join(root, 'models', m, 'config.json'), '{"model_type": "not-a-model"}');
    }
    const r = io();
    assert.equal(await runCli(['search', root, 'thirty days', '--retriever', 'dense', '--k', '2', '--embed-processes', '1'], r.io), 0, r.errText());
    assert.match(r.errText(), /workspace settings not applied.*retrievalLens\.embeddingModel, retrievalLens\.rerankerModel/);
    const rr = io();
    assert.equal(await runCli(['search', root, 'thirty days', '--retriever', 'rerank'], rr.io), 2);
    assert.match(rr.errText(), /--retriever rerank needs --reranker/);

    const t = io();
    assert.equal(await runCli(['search', root, 'thirty days', '--retriever', 'dense', '--trust-workspace', '--embed-processes', '1'], t.io), 2);
    assert.match(t.errText(), /cannot load the embedding model/);
    const tr = io();
    assert.equal(await runCli(['search', root, 'thirty days', '--retriever', 'rerank', '--model', 'use-lite', '--embed-processes', '1', '--trust-workspace'], tr.io), 2);
    assert.match(tr.errText(), /cannot load the reranker/);
  });

  it('the run manifest records which settings applied; --settings FILE is the user\'s own and applies whole', async () => {
    const root = workspace({ ...endpointSettings(), 'retrievalLens.chunker': 'markdown' });
    const r = io();
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--metrics-out', path.join(root, 'm.json')], r.io), 0, r.errText());
    const m = JSON.parse(fs.readFileSync(path.join(root, 'm.json'), 'utf8')) as { manifest: { settings: unknown; chunker: { kind: string } } };
    assert.deepEqual(m.manifest.settings, { source: 'workspace', file: path.join('.vscode', 'settings.json'), restrictedApplied: false, ignored: ['retrievalLens.embeddingModel', 'retrievalLens.embeddingEndpoints'] });
    assert.equal(m.manifest.chunker.kind, 'markdown', 'settings that steer nothing outside apply untrusted');

    const own = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-own-')), 'team.json');
    fs.writeFileSync(own, JSON.stringify(endpointSettings()));
    const before = embeddings.requests.length;
    const f = io();
    assert.equal(await runCli(['eval', root, '--retriever', 'dense', '--settings', own, '--metrics-out', path.join(root, 'f.json')], f.io), 0, f.errText());
    assert.ok(embeddings.requests.length > before, 'the user\'s own settings file is applied');
    const mf = JSON.parse(fs.readFileSync(path.join(root, 'f.json'), 'utf8')) as { manifest: { settings: { source: string; restrictedApplied: boolean; file: string }; model: { id: string } } };
    assert.equal(mf.manifest.settings.source, 'file');
    assert.equal(mf.manifest.settings.restrictedApplied, true);
    assert.equal(mf.manifest.settings.file, own);
    assert.ok(!JSON.stringify(mf).includes(SECRET_VALUE), 'no secret in the manifest');
  });

  it('values that ask for nothing (the built-in model, empty maps) apply untrusted and print no line', async () => {
    const root = workspace({ 'retrievalLens.embeddingModel': 'use-lite', 'retrievalLens.retrievers': {}, 'retrievalLens.rerankerModel': '' });
    const r = io();
    assert.equal(await runCli(['eval', root, '--retriever', 'dense', '--embed-processes', '1', '--metrics-out', path.join(root, 'm.json')], r.io), 0, r.errText());
    assert.ok(!r.err.some((l) => l.startsWith('workspace settings not applied')), r.errText());
    assert.ok(!/could not be downloaded/.test(r.errText()), 'the workspace chose USE-lite: no download was tried');
    const m = JSON.parse(fs.readFileSync(path.join(root, 'm.json'), 'utf8')) as { manifest: { model: { id: string }; settings: { ignored: string[] } } };
    assert.equal(m.manifest.model.id, 'use-lite');
    assert.deepEqual(m.manifest.settings.ignored, []);
  });
});
