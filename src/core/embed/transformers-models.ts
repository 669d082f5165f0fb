import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CrossEncoder, EmbedOptions, Embedder, ModelInfo } from './embedder';
import { cutToChars, meanPoolNormalize, normalizeInPlace, yieldAndCheck } from './vector-math';
import { inInputOrder, lengthFirstOrder } from './batch-order';

export { transformersFiles } from './model-download';

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
  env: { localModelPath: string; allowRemoteModels: boolean; allowLocalModels: boolean; cacheDir: string; remoteHost: string; remotePathTemplate: string };
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
   * The folder holding the hub model `model` (downloaded and verified by model-download.ts): loaded from there,
   * with no request, while the model keeps its hub id in the index manifest.
   */
  localDir?: string;
  /** Hub host and path layout for transformers.js's own fetches (default: huggingface.co's). */
  remoteHost?: string;
  remotePathTemplate?: string;
  /** Sentence vector from the token vectors: their mean (MiniLM, default) or the first ([CLS]) token's (BGE). */
  pooling?: 'mean' | 'cls';
  /** Text put before every query (not passages), e.g. BGE's retrieval instruction. */
  queryPrefix?: string;
  /**
   * onnxruntime intra-op threads for this model (default: onnxruntime's own, one per core). An embedder pool of N
   * processes gives each cores/N, so the processes together do not oversubscribe the machine.
   */
  threads?: number;
  onDownload?: (file: string, loadedBytes: number, totalBytes: number) => void;
}

/** BGE v1.5 English models: [CLS] pooling and the retrieval instruction on queries (per BAAI's model card). */
const KNOWN: Array<{ match: RegExp; pooling: 'mean' | 'cls'; queryPrefix?: string }> = [
  { match: /(^|\/)bge-(small|base|large)-en(-v1\.5)?$/i, pooling: 'cls', queryPrefix: 'Represent this sentence for searching relevant passages: ' },
];

/**
 * Pooling and query prefix: the options, else the model folder's sentence-transformers `1_Pooling/config.json`,
 * else what is known of the hub id, else mean pooling and no prefix.
 */
export function poolingFor(o: Pick<TransformersOptions, 'model' | 'localDir' | 'pooling' | 'queryPrefix'>): { pooling: 'mean' | 'cls'; queryPrefix: string } {
  const known = KNOWN.find((k) => k.match.test(o.model));
  let pooling = o.pooling;
  const dir = o.localDir ?? (path.isAbsolute(o.model) ? o.model : undefined);
  if (!pooling && dir) {
    try {
      const c = JSON.parse(fs.readFileSync(path.join(dir, '1_Pooling', 'config.json'), 'utf8')) as { pooling_mode_cls_token?: boolean; pooling_mode_mean_tokens?: boolean };
      if (c.pooling_mode_cls_token) pooling = 'cls';
      else if (c.pooling_mode_mean_tokens) pooling = 'mean';
    } catch {
      // no sentence-transformers pooling config: fall through
    }
  }
  return { pooling: pooling ?? known?.pooling ?? 'mean', queryPrefix: o.queryPrefix ?? known?.queryPrefix ?? '' };
}

function hf(): HfModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@huggingface/transformers') as HfModule;
}

/** Resolves where the model comes from and configures transformers.js's env accordingly. */
function locate(o: TransformersOptions): { id: string; revision: string } {
  const T = hf();
  if (o.localDir) {
    if (!fs.existsSync(path.join(o.localDir, 'config.json'))) throw new Error(`${o.localDir}: the downloaded model ${o.model} has no config.json`);
    T.env.localModelPath = path.dirname(o.localDir) + path.sep;
    T.env.allowLocalModels = true;
    T.env.allowRemoteModels = false;
    return { id: path.basename(o.localDir), revision: o.revision ?? 'main' };
  }
  if (path.isAbsolute(o.model)) {
    if (!fs.existsSync(path.join(o.model, 'config.json'))) throw new Error(`${o.model}: not a transformers.js model folder (no config.json)`);
    T.env.localModelPath = path.dirname(o.model) + path.sep;
    T.env.allowLocalModels = true;
    T.env.allowRemoteModels = false;
    return { id: path.basename(o.model), revision: `local:${fs.statSync(path.join(o.model, 'config.json')).mtime.toISOString()}` };
  }
  T.env.allowRemoteModels = o.allowRemote ?? false;
  if (o.remoteHost) T.env.remoteHost = o.remoteHost.replace(/\/?$/, '/');
  if (o.remotePathTemplate) T.env.remotePathTemplate = o.remotePathTemplate;
  if (o.cacheDir) T.env.cacheDir = o.cacheDir;
  return { id: o.model, revision: o.revision ?? 'main' };
}

function loadOptions(o: TransformersOptions, revision: string): Record<string, unknown> {
  const local = path.isAbsolute(o.model) || !!o.localDir;
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

/** Characters per model token kept before tokenizing (see transformersInputChars). */
export const CHARS_PER_TOKEN_KEPT = 8;

/**
 * The characters of an input kept before tokenizing: maxTokens × 8 (4,096 for a 512-token model). The tokenizer
 * truncates to maxTokens anyway (truncation: true), but tokenizing a 1 MB string costs seconds before the truncation;
 * English runs about 4-5 characters per WordPiece/BPE token, so the first maxTokens tokens of ordinary text lie well
 * within the cut and their vectors are the same bits as without it.
 */
export function transformersInputChars(maxTokens: number): number {
  return maxTokens * CHARS_PER_TOKEN_KEPT;
}

/** A sentence-embedding model through transformers.js: tokenise with explicit truncation, mean-pool, L2-normalise. */
export class TransformersEmbedder implements Embedder {
  private constructor(
    readonly info: ModelInfo,
    private readonly tokenizer: HfTokenizer,
    private readonly model: HfModel,
    private readonly batchSize: number,
    private readonly pooling: { pooling: 'mean' | 'cls'; queryPrefix: string },
  ) {}

  static async load(o: TransformersOptions): Promise<TransformersEmbedder> {
    const { tokenizer, model, revision, maxTokens } = await loadParts(o, 'AutoModel');
    const pooling = poolingFor(o);
    const probe = await runEmbed(tokenizer, model, ['probe'], maxTokens, pooling.pooling);
    return new TransformersEmbedder(
      { id: o.model, provider: 'transformers', revision, dtype: o.dtype ?? 'q8', dims: probe[0].length, maxTokens },
      tokenizer,
      model,
      o.batchSize ?? 32,
      pooling,
    );
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    // More than one batch: embedded longest first, so each batch pads less (see lengthFirstOrder; the pool cuts
    // its batches the same way, and a single batch, which is what the pool sends, is embedded as given).
    const order = texts.length > this.batchSize ? lengthFirstOrder(texts) : undefined;
    const ordered = order ? order.map((i) => texts[i]) : texts;
    const out: Float32Array[] = [];
    const prefix = options.kind === 'query' ? this.pooling.queryPrefix : '';
    for (let i = 0; i < ordered.length; i += this.batchSize) {
      await yieldAndCheck(options.signal);
      const cut = transformersInputChars(this.info.maxTokens);
      const batch = ordered.slice(i, i + this.batchSize).map((t) => cutToChars(prefix + t, cut));
      out.push(...(await runEmbed(this.tokenizer, this.model, batch, this.info.maxTokens, this.pooling.pooling)));
      options.onProgress?.(Math.min(texts.length, i + this.batchSize), texts.length);
    }
    return order ? inInputOrder(order, out) : out;
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

async function runEmbed(tokenizer: HfTokenizer, model: HfModel, texts: string[], maxTokens: number, pooling: 'mean' | 'cls' = 'mean'): Promise<Float32Array[]> {
  const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: maxTokens });
  const output = await model(inputs);
  const hidden = output.last_hidden_state ?? output.token_embeddings;
  if (!hidden) throw new Error(`model returned no last_hidden_state (outputs: ${Object.keys(output).join(', ')})`);
  if (!(hidden.data instanceof Float32Array)) throw new Error(`model returned ${hidden.data.constructor.name} hidden states; only float32 outputs are supported`);
  if (pooling === 'cls') return clsPoolNormalize(hidden.data, hidden.dims);
  return meanPoolNormalize(hidden.data, hidden.dims, inputs.attention_mask.data);
}

/** The first token's ([CLS]) vector of each sequence, L2-normalised: `hidden` is [batch, tokens, dims]. */
export function clsPoolNormalize(hidden: Float32Array, dims: readonly number[]): Float32Array[] {
  const [batch, tokens, width] = dims;
  const out: Float32Array[] = [];
  for (let i = 0; i < batch; i++) out.push(normalizeInPlace(hidden.slice(i * tokens * width, i * tokens * width + width)));
  return out;
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
      const cut = transformersInputChars(this.info.maxTokens);
      const batch = passages.slice(i, i + this.batchSize).map((p) => cutToChars(p, cut));
      const q = cutToChars(query, cut);
      const inputs = this.tokenizer(batch.map(() => q), { text_pair: batch, padding: true, truncation: true, max_length: this.info.maxTokens });
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
