import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { approximateTokenCounter } from '../../../../src/core/chunking/approximate-token-counter';
import type { TokenCounter } from '../../../../src/core/chunking/chunk';
import { createChunker } from '../../../../src/core/chunking/chunker-registry';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { scifactDir, sharedModelDir } from '../../../helpers/shared';
import { checkChunks } from './chunk-invariants';

const modelDir = sharedModelDir('minilm-shape-random');
const skip = !scifactDir() ? 'SciFact not found: set RETRIEVAL_LENS_SHARED' : !modelDir ? 'minilm-shape-random not found: set RETRIEVAL_LENS_SHARED' : false;

/** The real all-MiniLM-L6-v2 WordPiece tokenizer shipped with the random-weight fixture, loaded offline. */
async function wordPieceCounter(): Promise<TokenCounter> {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(modelDir as string) + path.sep;
  const tokenizer = await AutoTokenizer.from_pretrained(path.basename(modelDir as string));
  return { name: 'all-MiniLM-L6-v2', count: (t: string) => tokenizer.encode(t, { add_special_tokens: false }).length };
}

async function sample(): Promise<SourceDocument[]> {
  const docs = (await loadBeirCorpus(scifactDir() as string)).documents;
  return docs.filter((_, i) => i % 17 === 0);
}

describe('approximateTokenCounter', () => {
  it('counts words by length and punctuation one each', () => {
    assert.equal(approximateTokenCounter.count(''), 0);
    assert.equal(approximateTokenCounter.count('a cat sat.'), 4);
    assert.equal(approximateTokenCounter.count('internationalization'), 4); // 20 letters → ceil(20 / 6)
    assert.equal(approximateTokenCounter.count('p < 0.05'), 5);
  });

  it('stays within the documented error of a real WordPiece tokenizer on SciFact abstracts', { skip }, async () => {
    const real = await wordPieceCounter();
    let approx = 0;
    let exact = 0;
    const ratios: number[] = [];
    for (const d of await sample()) {
      const a = approximateTokenCounter.count(d.text);
      const r = real.count(d.text);
      approx += a;
      exact += r;
      if (r >= 20) ratios.push(a / r);
    }
    ratios.sort((x, y) => x - y);
    const q = (p: number) => ratios[Math.floor(p * (ratios.length - 1))];
    // Documented in approximate-token-counter.ts: total +8%, median +8%, 90% of documents within −6% … +26%.
    assert.ok(approx / exact > 1.0 && approx / exact < 1.15, `total ratio ${(approx / exact).toFixed(3)}`);
    assert.ok(q(0.5) > 1.0 && q(0.5) < 1.15, `median ratio ${q(0.5).toFixed(3)}`);
    assert.ok(q(0.05) > 0.9 && q(0.95) < 1.3, `5th-95th percentile ${q(0.05).toFixed(3)} … ${q(0.95).toFixed(3)}`);
  });

  it('fixed-tokens with the real tokenizer: every window within size and overlap by that tokenizer, offsets exact', { skip }, async () => {
    const real = await wordPieceCounter();
    const config = { kind: 'fixed-tokens' as const, size: 64, overlap: 16 };
    const chunker = createChunker(config, real);
    let windows = 0;
    for (const doc of (await sample()).slice(0, 120)) {
      const chunks = chunker.chunk(doc);
      checkChunks(doc, chunks, config, real);
      for (const c of chunks) assert.ok(real.count(c.text) <= 64, `${doc.id}: ${real.count(c.text)} WordPiece tokens`);
      windows += chunks.length;
    }
    assert.ok(windows > 120);
  });
});
