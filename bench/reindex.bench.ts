import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UseLiteEmbedder } from '../src/core/embed/use-lite-embedder';
import { WorkspaceIndex } from '../src/core/index/workspace-index';
import { report, scifactDocs } from './bench-lib';

/**
 * Re-indexing an unchanged corpus (load the saved index, compare content hashes, embed nothing) against a cold
 * build (chunk, keyword index, embed every chunk with USE-lite, save), on 300 SciFact abstracts. Target >= 50x.
 */
async function main(): Promise<void> {
  const docs = (await scifactDocs()).slice(0, 300);
  const corpus = { root: '/bench', documents: docs, skipped: [] };
  const embedder = await UseLiteEmbedder.load();
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-reindex-'));
  const options = { chunker: { kind: 'recursive' as const, size: 800, overlap: 100 }, embedder, storageDir };
  let t = performance.now();
  const cold = await WorkspaceIndex.openOrBuild(corpus, options);
  const coldMs = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    const w = await WorkspaceIndex.openOrBuild(corpus, options);
    warm.push(performance.now() - t);
    if (w.stats.chunksEmbedded !== 0 || w.rebuilt) throw new Error('warm re-index did work it should not');
  }
  const warmMs = Math.min(...warm);
  report(`Re-index, ${docs.length} SciFact documents, ${cold.index.chunkMap.size} chunks, USE-lite`, [
    { run: 'cold build (embeds every chunk)', ms: coldMs.toFixed(0) },
    { run: 'warm re-index of the unchanged corpus (best of 5)', ms: warmMs.toFixed(1) },
  ]);
  console.log(`ratio cold/warm = ${(coldMs / warmMs).toFixed(0)}x (target >= 50x)`);
  fs.rmSync(storageDir, { recursive: true, force: true });
}

void main();
