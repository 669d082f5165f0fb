import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ChunkerConfig } from '../../../../src/core/chunking/chunk';
import { CHUNKER_DEFAULTS, createChunker } from '../../../../src/core/chunking/chunker-registry';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';
import { chunkDocuments } from '../../../../src/core/index/chunk-pipeline';
import { repoRoot } from '../../../helpers/shared';

describe('chunking in a worker thread', () => {
  it('gives every chunker the same chunks, in document order, as chunking on the main thread', async () => {
    const corpus = await loadFolderCorpus(path.join(repoRoot, 'demo'));
    // Six copies, so the documents span several batches.
    const docs = Array.from({ length: 6 }, (_, k) => corpus.documents.map((d) => ({ ...d, id: `${k}/${d.id}` }))).flat();
    const configs: ChunkerConfig[] = [...Object.values(CHUNKER_DEFAULTS), { kind: 'recursive', size: 300, overlap: 50 }];
    for (const config of configs) {
      const chunker = createChunker(config);
      const got: string[] = [];
      let n = 0;
      for await (const { doc, chunks } of chunkDocuments(docs, config, undefined, undefined, 0)) {
        assert.equal(doc, docs[n++], 'document order and identity');
        assert.deepEqual(chunks, chunker.chunk(doc), `${config.kind}: ${doc.id}`);
        got.push(...chunks.map((c) => c.id));
      }
      assert.equal(n, docs.length);
      assert.ok(got.length >= docs.length, config.kind);
    }
  });

  it('stops the worker when the build is cancelled, and reports a chunker error', async () => {
    const corpus = await loadFolderCorpus(path.join(repoRoot, 'demo'));
    const ac = new AbortController();
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const { doc } of chunkDocuments(corpus.documents, CHUNKER_DEFAULTS.markdown, undefined, ac.signal, 0)) {
          seen.push(doc.id);
          ac.abort();
        }
      })(),
      (e: unknown) => e instanceof Error && e.name === 'AbortError',
    );
    assert.equal(seen.length, 1);
    await assert.rejects(
      (async () => {
        for await (const _ of chunkDocuments(corpus.documents, { kind: 'recursive', size: 10, overlap: 20 }, undefined, undefined, 0)) void _;
      })(),
      /overlap/,
    );
  });
});
