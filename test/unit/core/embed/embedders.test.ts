import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EmbeddingCache, embedWithCache } from '../../../../src/core/embed/embedding-cache';
import { TransformersCrossEncoder, TransformersEmbedder } from '../../../../src/core/embed/transformers-models';
import { UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { dot } from '../../../../src/core/embed/vector-math';
import { WorkerCrossEncoder, WorkerEmbedder } from '../../../../src/core/embed/worker-models';
import { sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

describe('Universal Sentence Encoder lite (offline, real vectors)', () => {
  let use: UseLiteEmbedder;
  before(async () => {
    use = await UseLiteEmbedder.load({ batchSize: 2 });
  });

  it('gives unit 512-dim vectors that put paraphrases together', async () => {
    const [cat, kitten, revenue] = await use.embed(['the cat sat on the mat', 'a kitten sat on a rug', 'quarterly revenue grew']);
    assert.equal(cat.length, 512);
    for (const v of [cat, kitten, revenue]) assert.ok(Math.abs(norm(v) - 1) < 1e-5);
    assert.ok(dot(cat, kitten) > dot(cat, revenue) + 0.2, `${dot(cat, kitten)} vs ${dot(cat, revenue)}`);
    assert.ok(use.countTokens('the cat sat') >= 3);
  });

  it('keeps input order across batches and handles empty text', async () => {
    const texts = ['alpha', 'bravo', 'charlie', '', 'echo'];
    const batched = await use.embed(texts);
    for (const [i, t] of texts.entries()) assert.ok(dot(batched[i], (await use.embed([t]))[0]) > 0.9999);
  });

  it('runs in its own process with the same vectors, progress and cancellation', async () => {
    const w = await WorkerEmbedder.start({ model: 'use-lite', batchSize: 4 });
    try {
      const [a] = await w.embed(['the cat sat on the mat']);
      const [b] = await use.embed(['the cat sat on the mat']);
      assert.ok(dot(a, b) > 0.9999);
      const progress: number[] = [];
      await w.embed(Array.from({ length: 10 }, (_, i) => `text ${i}`), { onProgress: (d) => progress.push(d) });
      assert.deepEqual(progress, [4, 8, 10]);
      const ac = new AbortController();
      const run = w.embed(Array.from({ length: 400 }, (_, i) => `sentence number ${i}`), { signal: ac.signal, onProgress: (d) => d >= 8 && ac.abort() });
      await assert.rejects(run, (e: Error) => e.name === 'AbortError');
      assert.equal((await w.embed(['still alive'])).length, 1, 'the model process keeps serving after a cancel');
    } finally {
      await w.dispose();
    }
  });
});

describe('content-hash embedding cache', () => {
  it('embeds each new text once, persists atomically and survives a corrupt file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cache-'));
    let calls = 0;
    const fake = { info: { id: 'count', provider: 'use-lite' as const, revision: '1', dtype: 'fp32', dims: 2, maxTokens: 0 }, countTokens: () => 1, dispose: async () => undefined, embed: async (t: string[]) => { calls += t.length; return t.map((s) => new Float32Array([s.length, 1])); } };
    const cache = EmbeddingCache.open(fake.info, dir);
    const r1 = await embedWithCache(fake, cache, ['a', 'bb', 'a']);
    assert.deepEqual([r1.hits, r1.misses, calls], [1, 2, 2]);
    cache.save();
    const reopened = EmbeddingCache.open(fake.info, dir);
    const r2 = await embedWithCache(fake, reopened, ['a', 'bb', 'ccc']);
    assert.deepEqual([r2.hits, r2.misses, calls], [2, 1, 3]);
    assert.deepEqual(Array.from(r2.vectors[1]), [2, 1]);
    const blob = fs.readdirSync(dir).find((f) => f.endsWith('.f32')) as string;
    fs.writeFileSync(path.join(dir, blob), 'garbage');
    const broken = EmbeddingCache.open(fake.info, dir);
    assert.equal(broken.size, 0);
    assert.match(broken.warnings[0], /was unreadable and is rebuilt/);
  });
});

describe('transformers.js models (random-weight fixtures: mechanics, not quality)', () => {
  const embedDir = sharedModelDir('minilm-shape-random');
  const ceDir = sharedModelDir('cross-encoder-shape-random');
  let e: TransformersEmbedder | undefined;
  before(async () => {
    if (embedDir) e = await TransformersEmbedder.load({ model: embedDir, batchSize: 3 });
  });
  after(async () => e?.dispose());

  it('loads a local folder, mean-pools and normalises to 384 dims', { skip: skipUnlessShared('minilm-shape-random', embedDir) }, async () => {
    assert.ok(e);
    assert.equal(e.info.dims, 384);
    assert.equal(e.info.maxTokens, 512);
    assert.equal(e.info.dtype, 'q8');
    const v = await e.embed(['hello world', 'a second text']);
    for (const x of v) assert.ok(Math.abs(norm(x) - 1) < 1e-4);
  });

  it('truncates long input explicitly and batches without changing vectors', { skip: skipUnlessShared('minilm-shape-random', embedDir) }, async () => {
    assert.ok(e);
    const long = 'retrieval '.repeat(2000);
    assert.ok(e.countTokens(long) > 2000);
    const [v] = await e.embed([long]);
    assert.equal(v.length, 384);
    const texts = ['one', 'two words', 'three little words', 'four words in total', 'five'];
    const batched = await e.embed(texts);
    // q8 weights use dynamic int8 quantization of activations, whose scale is taken over the whole padded batch,
    // so batching moves vectors very slightly; order and content must not change.
    for (const [i, t] of texts.entries()) {
      const [single] = await e.embed([t]);
      assert.ok(dot(single, batched[i]) > 0.999, `${t}: cosine ${dot(single, batched[i])}`);
      for (const [j] of texts.entries()) if (j !== i) assert.ok(dot(single, batched[i]) > dot(single, batched[j]), `${t} matches its own slot`);
    }
  });

  it('scores (query, passage) pairs with a cross-encoder: one score each, order-preserving, batch-invariant', { skip: skipUnlessShared('cross-encoder-shape-random', ceDir) }, async () => {
    const ce = await TransformersCrossEncoder.load({ model: ceDir as string, batchSize: 2 });
    try {
      const passages = ['first passage', 'the second passage is longer', 'third', 'fourth one here', 'fifth'];
      const s = await ce.score('query text', passages);
      assert.equal(s.length, 5);
      // Dynamic int8 quantization depends slightly on batch composition (see above): compare within 5e-3.
      const reversed = (await ce.score('query text', [...passages].reverse())).reverse();
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(reversed[i] - s[i]) < 5e-3, `passage ${i}: ${reversed[i]} vs ${s[i]}`);
      const one = await TransformersCrossEncoder.load({ model: ceDir as string, batchSize: 2 });
      assert.deepEqual(await one.score('query text', passages), s, 'same batches, same scores');
      await one.dispose();
      const w = await WorkerCrossEncoder.start({ model: ceDir as string });
      try {
        const ws = await w.score('query text', passages);
        for (let i = 0; i < 5; i++) assert.ok(Math.abs(ws[i] - s[i]) < 5e-3);
      } finally {
        await w.dispose();
      }
    } finally {
      await ce.dispose();
    }
  });
});
