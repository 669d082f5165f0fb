/**
 * The keyword store's settings and what it reports per matched term: types only, so the retrieval vocabulary
 * (retrieve/types.ts) and the webview protocol built on it can name them without loading the store.
 */
export interface KeywordConfig {
  stemming: boolean;
  stopWords: boolean;
  /** BM25 parameters as MiniSearch names them. */
  k1: number;
  b: number;
  /** Boost for the title/heading field relative to text. */
  titleBoost: number;
}

export interface KeywordTermContribution {
  queryTerm: string;
  /** The indexed term that matched (differs with prefix/fuzzy/stemming). */
  matchedTerm: string;
  field: string;
  contribution: number;
}
