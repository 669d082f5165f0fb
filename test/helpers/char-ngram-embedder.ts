import * as crypto from 'node:crypto';
import type { Embedder, ModelInfo } from '../../src/core/embed/embedder';

/**
 * A second, genuinely different embedding model for tests that need one: character-trigram feature hashing
 * (a classic lexical-similarity embedding), 256 dims, L2-normalised. It is robust to typos where word-level models
 * and BM25 are not, which is what the model-choice test relies on.
 */
export class CharTrigramEmbedder implements Embedder {
  readonly info: ModelInfo = { id: 'char-trigram-hash', provider: 'transformers', revision: 'test', dtype: 'fp32', dims: 256, maxTokens: 0 };

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => {
      const v = new Float32Array(256);
      const s = ` ${t.toLowerCase().replace(/[^a-z0-9]+/g, ' ')} `;
      for (let i = 0; i + 3 <= s.length; i++) v[crypto.createHash('md5').update(s.slice(i, i + 3)).digest().readUInt8(0)] += 1;
      const n = Math.hypot(...v) || 1;
      return v.map((x) => x / n);
    });
  }

  countTokens(text: string): number {
    return text.length;
  }

  async dispose(): Promise<void> {}
}
