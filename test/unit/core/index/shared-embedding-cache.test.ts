import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChunkerConfig } from '../../../../src/core/chunking/chunk';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';
import type { Embedder } from '../../../../src/core/embed/embedder';
import { UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { indexFolderName } from '../../../../src/core/index/index-folder';
import { embeddingInput, WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import { repoRoot } from '../../../helpers/shared';

/**
 * A diagnosis builds what-if indexes with other chunkers, each in a folder of its own, beside the baseline index
 * (as the CLI's diagnose and the editor's readiness report open them), all with the workspace as their embedding
 * cache group. A chunk text the baseline already embedded with the same model is not embedded again; a variant
 * whose chunks equal the baseline's embeds nothing.
 */
describe('what-if indexes share the embeddings of the same model', () => {
  let use: Embedder;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-shared-cache-'));
  before(async () => {
    use = await UseLiteEmbedder.load();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** USE-lite, counting the passage texts it is asked to embed. */
  function counting(): Embedder & { texts: number } {
    const e = { ...use, info: use.info, texts: 0, embed: (texts: string[], o?: Parameters<Embedder['embed']>[1]) => {
      if (o?.kind !== 'query') e.texts += texts.length;
      return use.embed(texts, o);
    } };
    return e;
  }

  it("embeds only texts no open index of the group and model has; vectors are the baseline index's own", async () => {
    const corpus = await loadFolderCorpus(path.join(repoRoot, 'demo'));
    const indexes = path.join(tmp, 'index');
    const open = (chunker: ChunkerConfig, embedder: Embedder, embeddingCacheGroup: string | undefined = corpus.root) =>
      WorkspaceIndex.openOrBuild(corpus, { chunker, embedder, embeddingCacheGroup, storageDir: path.join(indexes, indexFolderName(chunker, {}, embedder.info.id)) });
    const inputs = (ix: WorkspaceIndex) => new Set([...ix.allChunks()].map((c) => embeddingInput(ix.getDocument(c.docId) as SourceDocument, c)));
    const e = counting();
    const baseline = await open({ kind: 'markdown', maxSize: 1500, minSize: 0 }, e);
    assert.equal(e.texts, inputs(baseline.index).size, 'the baseline embeds each distinct text once');

    // markdown with a larger maximum: most sections are the same chunks; only the others are embedded.
    e.texts = 0;
    const bigger = await open({ kind: 'markdown', maxSize: 4000, minSize: 0 }, e);
    const known = inputs(baseline.index);
    const fresh = [...inputs(bigger.index)].filter((t) => !known.has(t));
    assert.ok(fresh.length < inputs(bigger.index).size, 'some chunk texts are shared');
    assert.equal(e.texts, fresh.length, 'only the texts the baseline lacks are embedded');
    assert.equal(bigger.stats.chunksEmbedded, fresh.length);
    for (const c of bigger.index.allChunks()) {
      const same = baseline.index.chunkMap.get(c.id);
      if (same && same.text === c.text) assert.deepEqual(bigger.index.vectors?.get(c.id), baseline.index.vectors?.get(c.id));
    }

    // The same chunks under another key (a variant equal to the baseline) cost no embedding at all.
    e.texts = 0;
    const same = await open({ kind: 'markdown', maxSize: 1500, minSize: 1 }, e);
    assert.deepEqual([...same.index.allChunks()].map((c) => c.text), [...baseline.index.allChunks()].map((c) => c.text));
    assert.equal(e.texts, 0);
    assert.equal(same.stats.chunksEmbedded, 0);
    assert.equal(same.stats.embeddingCacheHits, same.index.chunkMap.size);

    // Without the group nothing is shared: an index of its own embeds every text (as two independent builds must).
    e.texts = 0;
    const alone = await WorkspaceIndex.build(corpus, { chunker: { kind: 'markdown', maxSize: 1500, minSize: 0 }, embedder: e });
    assert.equal(e.texts, inputs(alone.index).size);
    assert.equal(alone.stats.chunksEmbedded, alone.index.chunkMap.size);

    // Saved: each folder reopens with its own vectors and cache, embedding nothing.
    e.texts = 0;
    const reopened = await open({ kind: 'markdown', maxSize: 4000, minSize: 0 }, e);
    assert.equal(reopened.rebuilt, undefined);
    assert.equal(e.texts, 0);
    assert.deepEqual(
      (await reopened.index.search({ query: 'rotate an API key', k: 5, retrievers: ['dense'] })).results.dense,
      (await bigger.index.search({ query: 'rotate an API key', k: 5, retrievers: ['dense'] })).results.dense,
    );
  });
});
