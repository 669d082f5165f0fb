import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { WorkerCrossEncoder, WorkerEmbedder } from '../../../../src/core/embed/worker-models';
import { sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

// Its own file, so its own process: nothing else has loaded onnxruntime-node here.
describe('model processes', () => {
  const embedDir = sharedModelDir('minilm-shape-random');
  const ceDir = sharedModelDir('cross-encoder-shape-random');
  it('switch and restart transformers.js models, two at a time', { skip: skipUnlessShared('the model fixtures', embedDir && ceDir) }, async () => {
    // Worker threads failed here: a second load of onnxruntime-node after the first ones exited ("Module did not
    // self-register"), and heap corruption at exit.
    for (let round = 0; round < 2; round++) {
      const embedder = await WorkerEmbedder.start({ model: embedDir as string });
      const reranker = await WorkerCrossEncoder.start({ model: ceDir as string });
      try {
        const [[v], scores] = await Promise.all([embedder.embed(['switch the model and back']), reranker.score('q', ['a passage', 'another'])]);
        assert.equal(v.length, 384);
        assert.equal(scores.length, 2);
      } finally {
        await embedder.dispose();
        await reranker.dispose();
      }
    }
  });

  it('a model process that crashes fails its requests with the reason and leaves the caller running', async () => {
    const previous = process.env.RETRIEVAL_LENS_EMBED_WORKER;
    process.env.RETRIEVAL_LENS_EMBED_WORKER = path.join(__dirname, 'fixtures', 'crashing-model-process.ts');
    try {
      const w = await WorkerEmbedder.start({ model: 'crashing' });
      assert.equal(w.alive, true);
      await assert.rejects(w.embed(['anything']), /^Error: crashing: the model process was ended by SIGSEGV: free\(\): invalid pointer$/);
      assert.equal(w.alive, false, 'the editor starts a new one on the next build');
      await assert.rejects(w.embed(['again']), /the model process has exited/);
      await w.dispose();
    } finally {
      if (previous === undefined) delete process.env.RETRIEVAL_LENS_EMBED_WORKER;
      else process.env.RETRIEVAL_LENS_EMBED_WORKER = previous;
    }
  });
});
