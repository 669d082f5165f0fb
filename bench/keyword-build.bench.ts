import MiniSearch from 'minisearch';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex } from '../src/core/store/keyword-index';
import { report, scifactChunks } from './bench-lib';

/**
 * Keyword index build over ~100k ~200-character SciFact chunks: our KeywordIndex (stemming, stop words, title
 * field) against bare MiniSearch addAll with default options on the same chunks, interleaved, best of 3.
 * Target: ratio (bare time / ours) >= 0.8.
 */
async function main(): Promise<void> {
  const items = await scifactChunks(100_000);
  const docs = items.map(({ chunk, doc }) => ({ id: chunk.id, title: doc.title, text: chunk.text }));
  const ours: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < 3; round++) {
    global.gc?.();
    let t = performance.now();
    new KeywordIndex(DEFAULT_KEYWORD_CONFIG).add(items.map(({ chunk, doc }) => ({ chunk, title: doc.title })));
    ours.push(performance.now() - t);
    global.gc?.();
    t = performance.now();
    new MiniSearch({ fields: ['title', 'text'] }).addAll(docs);
    bare.push(performance.now() - t);
  }
  const o = Math.min(...ours);
  const b = Math.min(...bare);
  report(`Keyword build, ${items.length} chunks`, [
    { build: 'bare MiniSearch addAll (default tokenizer, no stemming)', 'ms (best of 3)': b.toFixed(0) },
    { build: 'KeywordIndex (Porter stemming, stop words, title field)', 'ms (best of 3)': o.toFixed(0) },
  ]);
  console.log(`ratio bare/ours = ${(b / o).toFixed(2)} (target >= 0.8)`);
}

void main();
