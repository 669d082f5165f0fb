/** What identifies the vectors an index holds; recorded with every index and run. */
export interface ModelInfo {
  /** `use-lite`, a hub id like `Xenova/all-MiniLM-L6-v2`, or an absolute local folder. */
  id: string;
  provider: 'use-lite' | 'transformers' | 'openai-compatible';
  revision: string;
  dtype: string;
  dims: number;
  /** Tokens the model sees per input; longer inputs are truncated. */
  maxTokens: number;
}

export interface EmbedOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Query inputs may use a different prefix/instruction than passages for some models. */
  kind?: 'query' | 'passage';
}

export interface Embedder {
  readonly info: ModelInfo;
  /** Unit-normalised vectors, one per input, in input order. */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** Token count under the model's own tokenizer. */
  countTokens(text: string): number;
  dispose(): Promise<void>;
}

/** A cross-encoder scores (query, passage) pairs jointly; higher is more relevant. */
export interface CrossEncoder {
  readonly info: ModelInfo;
  score(query: string, passages: string[], options?: EmbedOptions): Promise<number[]>;
  dispose(): Promise<void>;
}
