import type { SourceDocument } from '../corpus/document';

/** Every chunk knows exactly where it came from: `doc.text.slice(start, end) === text`. */
export interface Chunk {
  /** Stable id derived from document id, chunker config key and offsets. */
  id: string;
  docId: string;
  /** [start, end) character offsets (UTF-16 code units, as JS strings) into SourceDocument.text. */
  start: number;
  end: number;
  text: string;
  /** Ordinal of the chunk within its document under this chunker. */
  ordinal: number;
  /** Chunker config key (see chunkerKey) that produced it. */
  chunker: string;
  /** Heading path of the section the chunk starts in, e.g. ["Auth guide", "Tokens"]; kept apart from offsets. */
  headingPath: string[];
  /** Token count under the chunker's token counter. */
  tokens: number;
}

export type ChunkerConfig =
  | { kind: 'fixed-chars'; size: number; overlap: number }
  | { kind: 'fixed-tokens'; size: number; overlap: number }
  | { kind: 'recursive'; size: number; overlap: number }
  | { kind: 'markdown'; maxSize: number; minSize?: number }
  /** maxChars: the most characters a window holds (default SENTENCE_WINDOW_MAX_CHARS, 4,000). */
  | { kind: 'sentence-window'; sentences: number; overlap: number; maxChars?: number }
  | { kind: 'code'; maxSize: number }
  /**
   * One chunk per document body (document-level retrieval, e.g. BEIR). Its size is the document's, by design: the
   * corpus loader's file cap (DEFAULT_MAX_FILE_BYTES, 2 MiB) bounds it, the keyword index takes the whole text, and
   * each embedder cuts its input to its own window (see the embedders' MAX_INPUT_CHARS constants).
   */
  | { kind: 'whole-document' };

export type ChunkerKind = ChunkerConfig['kind'];

/** Counts tokens; the embedding model's tokenizer when available, else an approximation (see README). */
export interface TokenCounter {
  name: string;
  count(text: string): number;
}

export interface Chunker {
  /** Config key, e.g. `recursive:size=800,overlap=100`; the same config always gives the same key. */
  readonly key: string;
  readonly config: ChunkerConfig;
  chunk(doc: SourceDocument): Chunk[];
}

export type ChunkLintKind =
  | 'splits-sentence'
  | 'splits-code-block'
  | 'splits-table'
  | 'tiny'
  | 'huge'
  | 'heading-without-body'
  | 'near-duplicate'
  /** A sentence or line longer than the chunker's maximum was split at the maximum. */
  | 'cut-at-maximum';

export interface ChunkLint {
  chunkId: string;
  kind: ChunkLintKind;
  message: string;
  /** Related chunk (near-duplicate of). */
  relatedChunkId?: string;
}
