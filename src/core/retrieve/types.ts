import type { KeywordTermContribution } from '../store/keyword-types';

/**
 * The retrieval vocabulary the retrievers here share: retriever names, filters, fusion and rerank settings, hits
 * and their explanations, search requests and responses. Types owned elsewhere live with their owner: the keyword
 * store's settings in store/keyword-types.ts, an index's manifest in searchable-index.ts, build statistics in
 * index/index-build.ts.
 */

export type RetrieverName = 'keyword' | 'dense' | 'hybrid' | 'rerank';
export const RETRIEVERS: readonly RetrieverName[] = ['keyword', 'dense', 'hybrid', 'rerank'];

/**
 * The local retrievers an index can answer, in RETRIEVERS order: dense and hybrid need an embedding model, rerank a
 * cross-encoder. `rerank: false` leaves rerank out even when a cross-encoder is there (the runs a baseline, a
 * judging pool or a diagnosis take by default: reranking is asked for, never assumed).
 */
export function availableRetrievers(has: { dense: boolean; rerank: boolean }): RetrieverName[] {
  return RETRIEVERS.filter((r) => r === 'keyword' || (r === 'rerank' ? has.rerank : has.dense));
}

/** Applied before ranking: a chunk is a candidate only when its document passes every given field. */
export interface MetadataFilter {
  /** Include only documents whose path matches one of these globs (picomatch, POSIX paths). */
  pathGlobs?: string[];
  excludeGlobs?: string[];
  languages?: string[];
  /** Front-matter field equals the value (or one of the values; arrays in front matter match by membership). */
  frontMatter?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  /** Case-insensitive substring that must occur in the chunk's heading path joined by " > ". */
  headingPath?: string;
  /** Document mtime at or after this ISO date/time. */
  modifiedAfter?: string;
}

export interface FusionConfig {
  method: 'rrf' | 'weighted';
  /** RRF constant: contribution = 1 / (rrfK + rank). */
  rrfK: number;
  /** Weighted fusion: fused = denseWeight * norm(dense) + (1 - denseWeight) * norm(keyword). */
  denseWeight: number;
  normalization: 'min-max' | 'z-score';
  /** How many candidates each leg contributes before fusion. */
  depth: number;
}

export interface RerankConfig {
  /** The retriever whose top candidates are reranked. */
  base: Exclude<RetrieverName, 'rerank'>;
  candidates: number;
}

export type ScoreExplanation =
  | { kind: 'keyword'; bm25: number; terms: KeywordTermContribution[] }
  | { kind: 'dense'; cosine: number }
  | {
      kind: 'hybrid';
      method: FusionConfig['method'];
      keyword: FusionLegExplanation;
      dense: FusionLegExplanation;
      fused: number;
    }
  | { kind: 'rerank'; crossEncoderScore: number; base: RerankConfig['base']; baseRank: number; baseScore: number; shift: number };

export interface FusionLegExplanation {
  /** 1-based rank in the leg, null when the leg did not return the chunk within its depth. */
  rank: number | null;
  score: number | null;
  /** Score after normalisation (weighted fusion only). */
  normalized?: number;
  /** What this leg added to the fused score. */
  contribution: number;
}

export interface SearchHit {
  chunkId: string;
  docId: string;
  /** 1-based. */
  rank: number;
  score: number;
  explanation: ScoreExplanation;
}

/** Where a chunk ranks in one retriever's full ranking (null: not retrievable, e.g. no query term matches). */
export interface RankPosition {
  rank: number | null;
  score: number | null;
}

export interface SearchRequest {
  query: string;
  /** Results returned per retriever. */
  k: number;
  retrievers: RetrieverName[];
  filter?: MetadataFilter;
  fusion?: Partial<FusionConfig>;
  rerank?: Partial<RerankConfig>;
  /** Report each of these chunks' full-ranking position in every requested retriever (for "missed" analysis). */
  locate?: string[];
  /** Compute per-term keyword contributions for the returned hits (default true; evaluation runs turn it off). */
  explain?: boolean;
  signal?: AbortSignal;
  /** Applied to the query vector before the dense leg (and so hybrid's dense leg) scores it; the corpus is untouched. */
  queryTransform?: QueryVectorTransform;
}

/** A map of query vectors (a trained query adapter): `apply` returns a unit vector of the same dims. */
export interface QueryVectorTransform {
  readonly id: string;
  readonly dims: number;
  apply(vector: Float32Array): Float32Array;
}

export interface SearchResponse {
  query: string;
  /** The fusion and rerank settings this search ran with (request over index defaults over engine defaults). */
  config: { fusion: FusionConfig; rerank: RerankConfig };
  results: Partial<Record<RetrieverName, SearchHit[]>>;
  /** chunkId -> retriever -> position; only for request.locate. */
  positions: Record<string, Partial<Record<RetrieverName, RankPosition>>>;
  /** Chunks the filter removed before ranking, and the candidate count that remained. */
  filter: { removedChunks: number; remainingChunks: number; removedChunkIds?: string[] };
  timingsMs: Partial<Record<RetrieverName | 'embedQuery' | 'filter', number>>;
  /** Retrievers that were requested but could not run (e.g. no embedding model), with the reason. */
  errors: Partial<Record<RetrieverName, string>>;
}
