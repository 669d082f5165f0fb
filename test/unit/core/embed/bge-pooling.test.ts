import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { clsPoolNormalize, poolingFor, TransformersEmbedder } from '../../../../src/core/embed/transformers-models';
import { dot } from '../../../../src/core/embed/vector-math';
import { sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

const fixture = sharedModelDir('minilm-shape-random');

describe('BGE-style models: [CLS] pooling and a query instruction', () => {
  it('knows BGE v1.5 pools the first token and prefixes queries; MiniLM pools the mean', () => {
    assert.deepEqual(poolingFor({ model: 'Xenova/bge-small-en-v1.5' }), { pooling: 'cls', queryPrefix: 'Represent this sentence for searching relevant passages: ' });
    assert.deepEqual(poolingFor({ model: 'Xenova/all-MiniLM-L6-v2' }), { pooling: 'mean', queryPrefix: '' });
    assert.equal(poolingFor({ model: 'Xenova/bge-small-en-v1.5', pooling: 'mean' }).pooling, 'mean', 'an explicit option wins');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-pool-'));
    fs.mkdirSync(path.join(dir, '1_Pooling'));
    fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }));
    assert.equal(poolingFor({ model: 'someone/unknown', localDir: dir }).pooling, 'cls', "the folder's sentence-transformers pooling config is read");
  });

  it('takes each sequence\'s first token vector, normalised', () => {
    // batch 2, tokens 2, width 2
    const out = clsPoolNormalize(new Float32Array([3, 4, 9, 9, 0, 2, 9, 9]), [2, 2, 2]);
    const near = (v: Float32Array, want: number[]) => assert.ok(want.every((w, i) => Math.abs(v[i] - w) < 1e-6), `${[...v]} vs ${want}`);
    assert.equal(out.length, 2);
    near(out[0], [0.6, 0.8]);
    near(out[1], [0, 1]);
  });

  it('embeds with [CLS] pooling and prefixes queries only (the MiniLM-shaped fixture)', { skip: skipUnlessShared('the MiniLM-shaped fixture model', fixture) }, async () => {
    const cls = await TransformersEmbedder.load({ model: fixture as string, pooling: 'cls', queryPrefix: 'Represent this sentence for searching relevant passages: ' });
    const mean = await TransformersEmbedder.load({ model: fixture as string });
    try {
      const text = 'how are events kept';
      const [c] = await cls.embed([text]);
      const [m] = await mean.embed([text]);
      assert.ok(Math.abs(dot(c, c) - 1) < 1e-5);
      assert.ok(dot(c, m) < 0.9999, 'a different pooling gives a different vector');
      const [q] = await cls.embed([text], { kind: 'query' });
      const [p] = await cls.embed(['Represent this sentence for searching relevant passages: ' + text]);
      assert.ok(dot(q, p) > 0.99999, 'a query is the prefixed text');
      assert.ok(dot(q, c) < 0.9999, 'and differs from the passage');
    } finally {
      await cls.dispose();
      await mean.dispose();
    }
  });
});
