import type { Chunk, ChunkerConfig } from '../chunking/chunk';
import type { SourceDocument } from '../corpus/document';
import type { CrossEncoder, Embedder, ModelInfo } from '../embed/embedder';
import type { KeywordIndex } from '../store/keyword-index';
import type { KeywordConfig } from '../store/keyword-types';
import type { VectorIndex } from '../store/vector-index';
import type { FusionConfig, RerankConfig, SearchRequest, SearchResponse } from './types';

/** What an index was built with; saved beside it and copied into every run's manifest. */
export interface IndexManifest {
  formatVersion: number;
  chunker: ChunkerConfig;
  chunkerKey: string;
  keyword: KeywordConfig;
  model: ModelInfo | null;
  /** sha256 over the sorted (docId, contentHash) pairs. */
  corpusHash: string;
  documents: Record<string, { contentHash: string; mtimeMs: number; chunkIds: string[] }>;
  chunkCount: number;
  createdAt: string;
  updatedAt: string;
}

/** Search settings a caller may leave out: the index's configured ones, else the engine defaults. */
export interface SearchDefaults {
  fusion?: Partial<FusionConfig>;
  rerank?: Partial<RerankConfig>;
}

/**
 * What the retrievers read from an index: its chunks and documents, the keyword postings, the vectors and the
 * models. The stores (src/core/store/) keep the postings and vectors; the retrievers here score over them, so
 * retrieve/ depends on this interface and never on the index class.
 */
export interface SearchableIndex {
  readonly searchDefaults: SearchDefaults;
  readonly keyword: KeywordIndex;
  readonly vectors: VectorIndex | null;
  readonly embedder: Embedder | null;
  readonly crossEncoder: CrossEncoder | null;
  readonly chunkMap: ReadonlyMap<string, Chunk>;
  getChunk(id: string): Chunk | undefined;
  getDocument(docId: string): SourceDocument | undefined;
  allChunks(): Iterable<Chunk>;
  embedQuery(query: string, signal?: AbortSignal): Promise<Float32Array>;
}

/**
 * The read side every consumer (CLI, extension, eval, diagnose, adapt) codes against: chunks and documents, what
 * the retrievers score over (SearchableIndex), and search. WorkspaceIndex implements it and alone writes.
 */
export interface RetrievalIndex extends SearchableIndex {
  readonly manifest: IndexManifest;
  readonly docs: ReadonlyMap<string, SourceDocument>;
  chunksOf(docId: string): Chunk[];
  documents(): Iterable<SourceDocument>;
  search(request: SearchRequest): Promise<SearchResponse>;
  /** Bytes the saved index takes on disk (the re-embedding cost line). */
  diskBytes(): number;
}
