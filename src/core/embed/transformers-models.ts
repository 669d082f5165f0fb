import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CrossEncoder, EmbedOptions, Embedder, ModelInfo } from './embedder';
import { meanPoolNormalize, yieldAndCheck } from './vector-math';

/* The parts of @huggingface/transformers 3.8 used here (kept external to the bundles; loaded at run time). */
interface HfTensor {
  dims: number[];
  data: Float32Array | BigInt64Array;
}
interface HfTokenizer {
  (texts: string[], options: Record<string, unknown>): Record<string, HfTensor>;
  encode(text: string): number[];
  model_max_length: number;
}
interface HfModel {
  (inputs: Record<string, HfTensor>): Promise<Record<string, HfTensor>>;
  config: { max_position_embeddings?: number };
  dispose(): Promise<void>;
}
interface HfModule {
  env: { localModelPath: string; allowRemoteModels: boolean; allowLocalModels: boolean; cacheDir: string };
  AutoTokenizer: { from_pretrained(id: string, o?: Record<string, unknown>): Promise<HfTokenizer> };
  AutoModel: { from_pretrained(id: string, o?: Record<string, unknown>): Promise<HfModel> };
  AutoModelForSequenceClassification: { from_pretrained(id: string, o?: Record<string, unknown>): Promise<HfModel> };
}

export interface TransformersOptions {
  /** A hub id (e.g. Xenova/all-MiniLM-L6-v2) or an absolute path to a local transformers.js model folder. */
  model: string;
  dtype?: 'q8' | 'fp32';
  /** Where hub downloads are cached (the extension's global storage). */
  cacheDir?: string;
  /** Hub downloads allowed; false keeps everything local. */
  allowRemote?: boolean;
  batchSize?: number;
  /** Cap on input tokens (default: the model's own limit, at most its position embeddings). */
  maxTokens?: number;
  revision?: string;
  /**
   * onnxruntime intra-op threads for this model (default: onnxruntime's own, one per core). An embedder pool of N
   * processes gives each cores/N, so the processes together do not oversubscribe the machine.
   */
  threads?: number;
  onDownload?: (file: string, loadedBytes: number, totalBytes: number) => void;
}

function hf(): HfModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@huggingface/transformers') as HfModule;
}

/** Resolves where the model comes from and configures transformers.js's env accordingly. */
function locate(o: TransformersOptions): { id: string; revision: string } {
  const T = hf();
  if (path.isAbsolute(o.model)) {
    if (!fs.existsSync(path.join(o.model, 'config.json'))) throw new Error(`${o.model}: not a transformers.js model folder (no config.json)`);
    T.env.localModelPath = path.dirname(o.model) + path.sep;
    T.env.allowLocalModels = true;
    T.env.allowRemoteModels = false;
    return { id: path.basename(o.model), revision: `local:${fs.statSync(path.join(o.model, 'config.json')).mtime.toISOString()}` };
  }
  T.env.allowRemoteModels = o.allowRemote ?? false;
  if (o.cacheDir) T.env.cacheDir = o.cacheDir;
  return { id: o.model, revision: o.revision ?? 'main' };
}

function loadOptions(o: TransformersOptions, revision: string): Record<string, unknown> {
  const local = path.isAbsolute(o.model);
  return {
    dtype: o.dtype ?? 'q8',
    revision: local ? undefined : revision,
    ...(o.threads ? { session_options: { intraOpNumThreads: o.threads, interOpNumThreads: 1 } } : {}),
    // transformers.js reports progress for local files too; only hub downloads are worth reporting.
    progress_callback: local
      ? undefined
      : (p: { status?: string; file?: string; loaded?: number; total?: number }) => {
          if (p.status === 'progress' && p.file) o.onDownload?.(p.file, p.loaded ?? 0, p.total ?? 0);
        },
  };
}

/** Tokenizer and model for one model spec, with the input limit: the model's own, capped by its position embeddings. */
async function loadParts(o: TransformersOptions, head: 'AutoModel' | 'AutoModelForSequenceClassification') {
  const { id, revision } = locate(o);
  const T = hf();
  const opts = loadOptions(o, revision);
  const [tokenizer, model] = await Promise.all([T.AutoTokenizer.from_pretrained(id, opts), T[head].from_pretrained(id, opts)]);
  const maxTokens = Math.min(o.maxTokens ?? Infinity, tokenizer.model_max_length || 512, model.config.max_position_embeddings ?? 512);
  return { tokenizer, model, revision, maxTokens };
}

/** A sentence-embedding model through transformers.js: tokenise with explicit truncation, mean-pool, L2-normalise. */
export class TransformersEmbedder implements Embedder {
  private constructor(
    readonly info: ModelInfo,
    private readonly tokenizer: HfTokenizer,
    private readonly model: HfModel,
    private readonly batchSize: number,
  ) {}

  static async load(o: TransformersOptions): Promise<TransformersEmbedder> {
    const { tokenizer, model, revision, maxTokens } = await loadParts(o, 'AutoModel');
    const probe = await runEmbed(tokenizer, model, ['probe'], maxTokens);
    return new TransformersEmbedder(
      { id: o.model, provider: 'transformers', revision, dtype: o.dtype ?? 'q8', dims: probe[0].length, maxTokens },
      tokenizer,
      model,
      o.batchSize ?? 32,
    );
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      await yieldAndCheck(options.signal);
      out.push(...(await runEmbed(this.tokenizer, this.model, texts.slice(i, i + this.batchSize), this.info.maxTokens)));
      options.onProgress?.(Math.min(texts.length, i + this.batchSize), texts.length);
    }
    return out;
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

async function runEmbed(tokenizer: HfTokenizer, model: HfModel, texts: string[], maxTokens: number): Promise<Float32Array[]> {
  const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: maxTokens });
  const output = await model(inputs);
  const hidden = output.last_hidden_state ?? output.token_embeddings;
  if (!hidden) throw new Error(`model returned no last_hidden_state (outputs: ${Object.keys(output).join(', ')})`);
  if (!(hidden.data instanceof Float32Array)) throw new Error(`model returned ${hidden.data.constructor.name} hidden states; only float32 outputs are supported`);
  return meanPoolNormalize(hidden.data, hidden.dims, inputs.attention_mask.data);
}

/** A cross-encoder (e.g. ms-marco-MiniLM-L-6-v2) scoring (query, passage) pairs: the first logit per pair. */
export class TransformersCrossEncoder implements CrossEncoder {
  private constructor(
    readonly info: ModelInfo,
    private readonly tokenizer: HfTokenizer,
    private readonly model: HfModel,
    private readonly batchSize: number,
  ) {}

  static async load(o: TransformersOptions): Promise<TransformersCrossEncoder> {
    const { tokenizer, model, revision, maxTokens } = await loadParts(o, 'AutoModelForSequenceClassification');
    return new TransformersCrossEncoder(
      { id: o.model, provider: 'transformers', revision, dtype: o.dtype ?? 'q8', dims: 1, maxTokens },
      tokenizer,
      model,
      o.batchSize ?? 16,
    );
  }

  async score(query: string, passages: string[], options: EmbedOptions = {}): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < passages.length; i += this.batchSize) {
      await yieldAndCheck(options.signal);
      const batch = passages.slice(i, i + this.batchSize);
      const inputs = this.tokenizer(batch.map(() => query), { text_pair: batch, padding: true, truncation: true, max_length: this.info.maxTokens });
      const { logits } = await this.model(inputs);
      const width = logits.dims[1] ?? 1;
      for (let r = 0; r < batch.length; r++) out.push(Number(logits.data[r * width]));
      options.onProgress?.(Math.min(passages.length, i + this.batchSize), passages.length);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
