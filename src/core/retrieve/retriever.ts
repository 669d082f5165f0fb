import { filterParts } from './engine-filters';
import type { MetadataFilter, RankPosition, ScoreExplanation } from './types';

/**
 * The one contract everything that ranks answers: the local keyword, dense, hybrid and reranked retrievers over a
 * WorkspaceIndex, and external engines (an HTTP search service, Postgres with pgvector). Evaluation, diagnosis and
 * views take a Retriever and never ask which kind they hold; what differs is stated in `capabilities`.
 *
 * What a consumer needs beyond the top k is stated here too, answered cheaply by local retrievers and as far as they
 * can by engines: where a labeled chunk sits however deep (`locate`; an engine is read to a deeper k, up to
 * `capabilities.maxK`), a score explanation (`capabilities.explains`, hits' `explanation`), the query vector
 * (`queryVector`) and the chunk text (`capabilities.returnsText`, hits' `text`).
 */
export interface Retriever {
  /** The name users know it by: `keyword`, `hybrid`, or the key in `retrievalLens.retrievers`. */
  readonly name: string;
  readonly kind: 'local' | 'http' | 'pgvector' | 'recorded';
  readonly capabilities: RetrieverCapabilities;
  /** The `k` best hits for the query, best first (rank 1). Throws RetrieverError when the engine cannot answer. */
  search(query: string, k: number, options?: RetrieverSearchOptions): Promise<RetrievedHit[]>;
  /**
   * Parts of `filter` it does not apply although `capabilities.filters` is true (a field the engine mapping does not
   * name, a glob its query language cannot express), each with why. Absent or empty: the whole filter is applied.
   */
  filterGaps?(filter: MetadataFilter): string[];
  /**
   * Where these chunks of the local index sit in the whole ranking, however deep (rank null: not ranked at all).
   * Local retrievers answer it from the index; an engine leaves it out and is read to a deeper k instead.
   */
  locate?(query: string, chunkIds: readonly string[], options?: RetrieverSearchOptions): Promise<Map<string, RankPosition>>;
  /** The vector it ranks the query with (after any query adapter), for retrievers that embed queries locally. */
  queryVector?(query: string, signal?: AbortSignal): Promise<Float32Array>;
  /** Closes connections (pg pools); a no-op for local and HTTP retrievers. */
  dispose?(): Promise<void>;
}

/** What of a query's filter a retriever leaves unapplied: nothing, some parts (with why), or all of it. */
export function unappliedFilter(retriever: Retriever, filter: MetadataFilter | undefined): string[] {
  const parts = filterParts(filter);
  if (!parts.length || !filter) return [];
  if (!retriever.capabilities.filters) return [`the whole filter (${parts.join(', ')}): ${retriever.name} takes no filters`];
  return retriever.filterGaps?.(filter) ?? [];
}

export interface RetrieverCapabilities {
  /** The retriever applies a MetadataFilter before ranking; when false a query's filter is not applied. */
  filters: boolean;
  /** Hits carry the chunk text (needed to place a hit in a document when the engine returns no offsets). */
  returnsText: boolean;
  /** The query is embedded first (a dense leg, `${vector}` in a request template, `$1` in pgvector SQL). */
  needsQueryVector: boolean;
  /** Queries it is sensible to send at once (1 for local retrievers, which share one process). */
  concurrency: number;
  /** Hits carry how the score was arrived at (`explanation`) when asked (`explain`); local keyword, hybrid, rerank. */
  explains?: boolean;
  /** The deepest k it answers (an engine's page limit, a recording's length); absent: no stated limit. */
  maxK?: number;
}

export interface RetrieverSearchOptions {
  filter?: MetadataFilter;
  signal?: AbortSignal;
  /** Per-term keyword contributions (local keyword and hybrid; default true). */
  explain?: boolean;
}

/** One ranked result; engines fill what they know, the rest is placed later (see hit-placement.ts). */
export interface RetrievedHit {
  /** 1-based. */
  rank: number;
  score: number;
  /** The engine's id for what it returned (a chunk id, a document id, a row id). */
  id: string;
  /** The workspace document id when the retriever knows it (local retrievers always do). */
  docId?: string;
  /** A path the engine stores with the hit (mapped onto a workspace document by the configured rule). */
  path?: string;
  /** The chunk id in the local index (local retrievers only). */
  chunkId?: string;
  text?: string;
  /** [start, end) in the document text when the engine stores offsets. */
  start?: number;
  end?: number;
  /** How a local retriever arrived at the score. */
  explanation?: ScoreExplanation;
}

/**
 * A retriever that could not answer one query: names the retriever, the query and where in the response (or
 * request) the problem is, so one message says what to fix.
 */
export class RetrieverError extends Error {
  constructor(
    readonly retriever: string,
    readonly query: string,
    /** e.g. `HTTP 503`, `response: hits.hits[2]._id`, `timeout after 10000 ms`. */
    readonly where: string,
    readonly problem: string,
  ) {
    super(`retriever "${retriever}", query "${query.length > 80 ? `${query.slice(0, 77)}...` : query}": ${where}: ${problem}`);
    this.name = 'RetrieverError';
  }
}

/** A source of query vectors for retrievers that need one (the index's embedder, or an embeddings endpoint). */
export type QueryEmbedder = (query: string, signal?: AbortSignal) => Promise<Float32Array>;

export interface QueryOutcome {
  hits: RetrievedHit[];
  error?: string;
  ms: number;
}

/**
 * Runs queries through a retriever with at most `concurrency` in flight, reporting progress as each finishes.
 * A query that fails is recorded with its message and the rest still run, unless `failFast`. Aborting the
 * signal stops sending new queries and rejects with the abort reason.
 */
export async function runQueries(
  retriever: Retriever,
  queries: Array<{ id: string; text: string; filter?: MetadataFilter }>,
  options: { k: number; concurrency?: number; signal?: AbortSignal; failFast?: boolean; explain?: boolean; onProgress?: (done: number, total: number) => void },
): Promise<Map<string, QueryOutcome>> {
  const out = new Map<string, QueryOutcome>();
  const limit = Math.max(1, Math.min(options.concurrency ?? retriever.capabilities.concurrency, queries.length || 1));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < queries.length) {
      options.signal?.throwIfAborted();
      const q = queries[next++];
      const t = performance.now();
      try {
        const hits = await retriever.search(q.text, options.k, { filter: q.filter, signal: options.signal, explain: options.explain });
        out.set(q.id, { hits, ms: performance.now() - t });
      } catch (e) {
        if (options.failFast || options.signal?.aborted) throw e;
        out.set(q.id, { hits: [], error: e instanceof Error ? e.message : String(e), ms: performance.now() - t });
      }
      options.onProgress?.(++done, queries.length);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  // Results in query order regardless of which finished first.
  return new Map(queries.filter((q) => out.has(q.id)).map((q) => [q.id, out.get(q.id) as QueryOutcome]));
}

/** A query the retriever could not answer (its error), listed instead of being scored as if it returned nothing. */
export interface FailedQuery {
  qid: string;
  query: string;
  error: string;
}

/** Splits outcomes into the queries answered (in query order, with their hits) and those that failed. */
export function answeredQueries<Q extends { id: string; text: string }>(queries: Q[], outcomes: Map<string, QueryOutcome>): { answered: Array<{ query: Q; hits: RetrievedHit[] }>; failures: FailedQuery[] } {
  const answered: Array<{ query: Q; hits: RetrievedHit[] }> = [];
  const failures: FailedQuery[] = [];
  for (const q of queries) {
    const o = outcomes.get(q.id);
    if (!o) continue;
    if (o.error !== undefined) failures.push({ qid: q.id, query: q.text, error: o.error });
    else answered.push({ query: q, hits: o.hits });
  }
  return { answered, failures };
}
