import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { OpenAIEmbedder, embeddingsUrl } from '../../../../src/core/embed/openai-embedder';
import { TransformersEmbedder } from '../../../../src/core/embed/transformers-models';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import type { SecretSource } from '../../../../src/core/io/secret-source';
import { startEmbeddingsServer, startJsonServer } from '../../../helpers/protocol-servers';
import { demoDir, sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

const noSecrets: SecretSource = { get: async () => undefined, describe: (n) => `environment variable ${n}` };
const dir = sharedModelDir('minilm-shape-random');

describe('OpenAI-compatible embeddings endpoint', { skip: skipUnlessShared('minilm-shape-random', dir) }, () => {
  let model: TransformersEmbedder;
  before(async () => {
    model = await TransformersEmbedder.load({ model: dir as string, batchSize: 16 });
  });
  after(async () => model?.dispose());

  it('returns the served model\'s vectors in input order, in batches with bounded concurrency, and adds up the reported tokens', async () => {
    const s = await startEmbeddingsServer(model);
    try {
      const e = await OpenAIEmbedder.create('mini', { type: 'openai', url: `${s.url}/v1`, model: 'minilm', batchSize: 4, concurrency: 2 }, noSecrets);
      assert.equal(e.info.dims, model.info.dims, 'dimension learned from one request');
      assert.equal(e.info.provider, 'openai-compatible');
      const texts = Array.from({ length: 10 }, (_, i) => `passage number ${i} about token rotation ${'x'.repeat(i)}`);
      const progress: number[] = [];
      const before = s.requests.length;
      const got = await e.embed(texts, { onProgress: (d) => progress.push(d) });
      // The fixture's weights are int8 with activations quantized per batch, so its vectors depend slightly on which
      // inputs share a batch: compare with the same batches of 4 the endpoint was sent.
      const want: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += 4) want.push(...(await model.embed(texts.slice(i, i + 4))));
      assert.equal(s.requests.length - before, 3, '10 inputs in batches of 4');
      assert.ok(s.maxInFlight <= 2);
      assert.deepEqual(JSON.parse(s.requests.at(-1)!.body).model, 'minilm');
      for (let i = 0; i < texts.length; i++) {
        assert.equal(got[i].length, want[i].length);
        for (let j = 0; j < want[i].length; j++) assert.ok(Math.abs(got[i][j] - want[i][j]) < 1e-6);
      }
      assert.equal(progress.at(-1), 10);
      const served = texts.reduce((n, t) => n + model.countTokens(t), 0) + model.countTokens('dimension probe');
      assert.equal(e.tokensUsed, served);
    } finally {
      await s.close();
    }
  });

  it('retries 429 and 503 with backoff (Retry-After honoured) and then succeeds; gives up with a message after maxRetries; 401 is not retried', async () => {
    const s = await startEmbeddingsServer(model, { failures: [{ status: 429, retryAfter: '0' }, { status: 503 }] });
    try {
      const e = await OpenAIEmbedder.create('mini', { type: 'openai', url: `${s.url}/v1/embeddings`, model: 'm', dims: model.info.dims }, noSecrets, { baseDelayMs: 10 });
      const [v] = await e.embed(['hello']);
      assert.equal(v.length, model.info.dims);
      assert.equal(e.retries, 2);
      assert.equal(s.requests.length, 3);
    } finally {
      await s.close();
    }
    const busy = await startEmbeddingsServer(model, { failures: Array.from({ length: 10 }, () => ({ status: 429, retryAfter: '0' })) });
    try {
      const e = await OpenAIEmbedder.create('mini', { type: 'openai', url: `${busy.url}/v1`, model: 'm', dims: 8, maxRetries: 2 }, noSecrets, { baseDelayMs: 1 });
      await assert.rejects(e.embed(['x']), /embedding endpoint "mini" \(127\.0\.0\.1:\d+\/v1\/embeddings\): HTTP 429: .*Rate limit reached.* \(after 3 attempts\)/);
    } finally {
      await busy.close();
    }
    const keyed = await startEmbeddingsServer(model, { apiKey: 'sk-test' });
    try {
      await assert.rejects(OpenAIEmbedder.create('mini', { type: 'openai', url: `${keyed.url}/v1`, model: 'm', apiKeySecret: 'RL_TEST_UNSET_KEY' }, noSecrets), /secret RL_TEST_UNSET_KEY is not set \(environment variable RL_TEST_UNSET_KEY\)/);
      const wrong: SecretSource = { get: async () => 'sk-wrong', describe: () => '' };
      await assert.rejects(OpenAIEmbedder.create('mini', { type: 'openai', url: `${keyed.url}/v1`, model: 'm', apiKeySecret: 'K' }, wrong), /HTTP 401: .*Incorrect API key provided/);
      assert.equal(keyed.requests.length, 1, '401 is not retried');
      const right: SecretSource = { get: async () => 'sk-test', describe: () => '' };
      const e = await OpenAIEmbedder.create('mini', { type: 'openai', url: `${keyed.url}/v1`, model: 'm', apiKeySecret: 'K' }, right);
      assert.equal((await e.embed(['a']))[0].length, model.info.dims);
    } finally {
      await keyed.close();
    }
  });

  it('reports a malformed response and a wrong number of embeddings', async () => {
    let n = 0;
    const s = await startJsonServer(() => (n++ === 0 ? { body: '{"data": [' } : { body: { data: [{ index: 0, embedding: [1, 0] }] } }));
    try {
      const e = await OpenAIEmbedder.create('bad', { type: 'openai', url: `${s.url}/v1`, model: 'm', dims: 2, maxRetries: 0 }, noSecrets);
      await assert.rejects(e.embed(['a']), /embedding endpoint "bad" .*: response: malformed JSON/);
      await assert.rejects(e.embed(['a', 'b']), /response: data must be an array of 2 embeddings, got 1/);
    } finally {
      await s.close();
    }
  });

  it('builds the local index: dense search over the endpoint equals the same model run in process', async () => {
    const s = await startEmbeddingsServer(model);
    try {
      const target = await loadEvalTarget(demoDir);
      const corpus = { ...target.corpus, documents: target.corpus.documents.slice(0, 4) };
      // Batches of 16, as the in-process model batches, so both see the same inputs together (see above).
      const remote = await OpenAIEmbedder.create('mini', { type: 'openai', url: `${s.url}/v1`, model: 'minilm', batchSize: 16 }, noSecrets);
      const a = (await WorkspaceIndex.build(corpus, { chunker: sizedChunkerConfig('markdown'), embedder: remote })).index;
      const b = (await WorkspaceIndex.build(corpus, { chunker: sizedChunkerConfig('markdown'), embedder: model })).index;
      const q = { query: 'token lifetime', k: 8, retrievers: ['dense' as const] };
      const ra = (await a.search(q)).results.dense!;
      const rb = (await b.search(q)).results.dense!;
      assert.deepEqual(ra.map((h) => h.chunkId), rb.map((h) => h.chunkId));
      assert.ok(remote.tokensUsed > 0, 'the re-embedding cost line has a token count');
    } finally {
      await s.close();
    }
  });

  it('accepts a base URL or the full /embeddings URL, keeping a query string (Azure api-version)', () => {
    assert.equal(embeddingsUrl('http://h:1/v1'), 'http://h:1/v1/embeddings');
    assert.equal(embeddingsUrl('http://h:1/v1/embeddings/'), 'http://h:1/v1/embeddings');
    assert.equal(embeddingsUrl('https://x.openai.azure.com/openai/deployments/e3?api-version=2024-02-01'), 'https://x.openai.azure.com/openai/deployments/e3/embeddings?api-version=2024-02-01');
  });
});
