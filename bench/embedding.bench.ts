import * as path from 'node:path';
import { TransformersEmbedder } from '../src/core/embed/transformers-models';
import { UseLiteEmbedder } from '../src/core/embed/use-lite-embedder';
import { meanPoolNormalize } from '../src/core/embed/vector-math';
import { report, scifactChunks } from './bench-lib';
import { sharedModelDir } from '../test/helpers/shared';

/**
 * Embedding throughput of our pipeline (tokenise + run + mean-pool + normalise, through transformers.js) against a
 * raw onnxruntime-node InferenceSession on the same model file and the same batches of 32 (~200-character SciFact
 * chunks), whose inputs are tokenised before the clock starts, pooled and normalised by the same function.
 * Interleaved rounds: the ratio of the best round of each, and the median of the per-round ratios. Target >= 0.95.
 * USE-lite throughput is printed for reference. Uses the random-weight MiniLM-shaped fixture from ../shared.
 */
async function main(): Promise<void> {
  const dir = sharedModelDir('minilm-shape-random');
  if (!dir) {
    console.log('embedding: SKIPPED — the minilm-shape-random fixture was not found (set RETRIEVAL_LENS_SHARED)');
    return;
  }
  const texts = (await scifactChunks(32 * 8)).map((x) => x.chunk.text);
  const batches = Array.from({ length: 8 }, (_, i) => texts.slice(i * 32, (i + 1) * 32));
  const ours = await TransformersEmbedder.load({ model: dir, batchSize: 32 });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const T = require('@huggingface/transformers');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node');
  const tokenizer = await T.AutoTokenizer.from_pretrained(path.basename(dir));
  const session = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model_quantized.onnx'));
  const feeds = batches.map((b) => {
    const enc = tokenizer(b, { padding: true, truncation: true, max_length: 512 });
    const toOrt = (t: { data: BigInt64Array; dims: number[] }) => new ort.Tensor('int64', t.data, t.dims);
    return { input_ids: toOrt(enc.input_ids), attention_mask: toOrt(enc.attention_mask), token_type_ids: toOrt(enc.token_type_ids) };
  });
  // The baseline pools with the same function as the pipeline, reading the output tensor's data once per batch
  // (an ORT tensor's `data` is a getter: reading it per element made the baseline 2.5x slower than its session).
  const raw = async () => {
    for (const f of feeds) {
      const h = (await session.run(f)).last_hidden_state;
      meanPoolNormalize(h.data as Float32Array, h.dims as number[], f.attention_mask.data as BigInt64Array);
    }
  };
  const pipeline = async () => {
    for (const b of batches) await ours.embed(b);
  };
  await raw();
  await pipeline();
  const rawMs: number[] = [];
  const ourMs: number[] = [];
  for (let round = 0; round < 9; round++) {
    let t = performance.now();
    await raw();
    rawMs.push(performance.now() - t);
    t = performance.now();
    await pipeline();
    ourMs.push(performance.now() - t);
  }
  // Where the difference goes: tokenising the same batches alone.
  const tokMs: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (const b of batches) tokenizer(b, { padding: true, truncation: true, max_length: 512 });
    tokMs.push(performance.now() - t0);
  }
  const rawTps = texts.length / (Math.min(...rawMs) / 1000);
  const ourTps = texts.length / (Math.min(...ourMs) / 1000);
  const use = await UseLiteEmbedder.load({ batchSize: 32 });
  await use.embed(batches[0]);
  const t = performance.now();
  await use.embed(texts.slice(0, 64));
  const useTps = 64 / ((performance.now() - t) / 1000);
  report(`Embedding throughput, batches of 32 × ~200-character chunks (${texts.length} texts)`, [
    { path: 'raw onnxruntime-node session (pre-tokenised) + the same pooling', 'texts/s': rawTps.toFixed(0) },
    { path: 'TransformersEmbedder (tokenise + run + pool + normalise)', 'texts/s': ourTps.toFixed(0) },
    { path: 'USE-lite (TF.js wasm), reference', 'texts/s': useTps.toFixed(0) },
  ]);
  console.log(`tokenising the same ${texts.length} texts alone: ${Math.min(...tokMs).toFixed(0)} ms of the pipeline's ${Math.min(...ourMs).toFixed(0)} ms (raw session: ${Math.min(...rawMs).toFixed(0)} ms)`);
  const perRound = rawMs.map((r, i) => r / ourMs[i]).sort((a, b) => a - b);
  console.log(`ratio pipeline/raw = ${(ourTps / rawTps).toFixed(2)} best rounds, ${perRound[perRound.length >> 1].toFixed(2)} median of ${perRound.length} interleaved rounds (target >= 0.95)`);
  await ours.dispose();
  await session.release?.();
}

void main();
