import type { MetadataFilter } from '../retrieve/types';

export type Grade = 0 | 1 | 2 | 3;
export type Split = 'train' | 'eval';

/**
 * A W3C-style text-quote selector plus a position hint. Labels anchor to text, not to chunks, so they survive
 * re-chunking; chunk-level relevance is derived by overlap.
 */
export interface SpanTarget {
  type: 'span';
  docId: string;
  /** [start, end) in SourceDocument.text at labeling time (a hint; the quote is the truth). */
  start: number;
  end: number;
  exact: string;
  /** Up to 32 characters before and after, for disambiguation and fuzzy re-anchoring. */
  prefix: string;
  suffix: string;
}

export interface DocumentTarget {
  type: 'document';
  docId: string;
}

export interface Judgment {
  grade: Grade;
  target: SpanTarget | DocumentTarget;
  /** Set when the quote could no longer be found in the current file; never silently dropped. */
  stale?: boolean;
  note?: string;
  createdAt?: string;
}

export interface EvalQuery {
  id: string;
  text: string;
  split: Split;
  filter?: MetadataFilter;
  judgments: Judgment[];
  /** Where the query came from: "log" (sampled from a query log), "trace" (from production traces), "import" (created by a judgment import), "synthetic" (written by a chat model from its positive chunk: generate-queries; train split by default); absent: typed by hand. */
  source?: QuerySource;
  /** The production traces it was asked in (source "trace"): their trace ids, as the tracing tool wrote them. */
  traces?: string[];
  /** How many lines of the query log it accounts for (near-duplicates included); kept, weights nothing. */
  frequency?: number;
}

export type QuerySource = 'log' | 'trace' | 'import' | 'synthetic';

/** Qrels: query id -> document (or chunk) id -> grade. */
export type Qrels = Map<string, Map<string, number>>;

/** A ranked run: query id -> entries; order is decided by score (see trec_eval ordering in metrics). */
export type Run = Map<string, Array<{ docId: string; score: number }>>;
