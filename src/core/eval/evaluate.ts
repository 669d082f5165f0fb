import type { RetrievalIndex } from '../retrieve/searchable-index';
import { LocalRetriever, type LocalHit } from '../retrieve/local-retriever';
import { runQueries } from '../retrieve/retriever';
import { resolveSearchConfig } from '../retrieve/search';
import type { FusionConfig, QueryVectorTransform, RerankConfig, RetrieverName, SearchHit } from '../retrieve/types';
import { chunkQrels, documentQrels, documentRun } from './chunk-relevance';
import type { EvalQuery, Qrels } from './evalset-types';
import { computeMetrics, type MetricsResult } from './metrics';
import { gitCommit, type RunManifest } from './run-manifest';
import { rankedRun } from './trec-io';

export interface EvaluateOptions {
  retriever: RetrieverName;
  level: 'doc' | 'chunk';
  /** Ranking depth per query (default 100, enough for recall_100). */
  depth?: number;
  fusion?: Partial<FusionConfig>;
  rerank?: Partial<RerankConfig>;
  cutoffs?: number[];
  /** Which labeled queries count (default eval: the train split is for training data only). */
  split?: 'eval' | 'train' | 'all';
  /** For the manifest's git commit. */
  workspaceRoot?: string;
  /** A query adapter for the dense leg (dense, hybrid, rerank over either); recorded in the manifest. */
  queryTransform?: QueryVectorTransform;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluationResult {
  metrics: MetricsResult;
  /** qid → ranked ids (document ids or chunk ids, per level). */
  ranking: Map<string, string[]>;
  /** qid → the chunk hits behind the ranking. */
  hits: Map<string, SearchHit[]>;
  qrels: Qrels;
  manifest: RunManifest;
}

/**
 * Runs every judged query through one retriever and scores it, at document level (each document scores its best
 * chunk) or chunk level (chunk relevance derived from span labels). Each query's own metadata filter applies.
 * Only queries with judgments count.
 */
export async function evaluate(index: RetrievalIndex, queries: EvalQuery[], options: EvaluateOptions): Promise<EvaluationResult> {
  const depth = options.depth ?? 100;
  const split = options.split ?? 'eval';
  const judged = queries.filter((q) => q.judgments.length && (split === 'all' || q.split === split));
  const qrels = options.level === 'doc' ? documentQrels(judged) : chunkQrels(judged, (d) => index.chunksOf(d));
  const chunksPerDoc = Math.max(1, index.chunkMap.size / Math.max(1, index.docs.size));
  const k = options.level === 'doc' ? Math.ceil(depth * Math.min(8, Math.max(1, chunksPerDoc))) : depth;
  const ranking = new Map<string, string[]>();
  const hits = new Map<string, SearchHit[]>();
  // The index's retriever behind the one Retriever contract, one query at a time; a retriever that cannot run
  // (e.g. no embedding model) fails the evaluation as before.
  const retriever = new LocalRetriever(index, options.retriever, { fusion: options.fusion, rerank: options.rerank, queryTransform: options.queryTransform });
  const outcomes = await runQueries(retriever, judged, { k, concurrency: 1, failFast: true, explain: false, signal: options.signal, onProgress: options.onProgress });
  for (const q of judged) {
    const list = ((outcomes.get(q.id)?.hits ?? []) as LocalHit[]).map((h) => h.searchHit);
    hits.set(q.id, list);
    const ids = options.level === 'doc' ? documentRun(list).map((h) => h.docId).slice(0, depth) : list.map((h) => h.chunkId).slice(0, depth);
    ranking.set(q.id, ids);
  }
  const metrics = computeMetrics(qrels, rankedRun(ranking), { cutoffs: options.cutoffs });
  const m = index.manifest;
  const used = resolveSearchConfig(index.searchDefaults, options);
  const manifest: RunManifest = {
    tool: 'retrieval-lens 0.1.0',
    retriever: options.retriever,
    level: options.level,
    k: depth,
    chunker: m.chunker,
    chunkerKey: m.chunkerKey,
    keyword: m.keyword,
    fusion: options.retriever === 'hybrid' || (options.retriever === 'rerank' && used.rerank.base === 'hybrid') ? used.fusion : undefined,
    rerank: options.retriever === 'rerank' ? { ...used.rerank, model: index.crossEncoder?.info ?? null } : undefined,
    model: options.retriever === 'keyword' ? null : m.model,
    ...(options.queryTransform && options.retriever !== 'keyword' ? { queryAdapter: options.queryTransform.id } : {}),
    corpusHash: m.corpusHash,
    documents: index.docs.size,
    chunks: index.chunkMap.size,
    queries: qrels.size,
    gitCommit: options.workspaceRoot ? gitCommit(options.workspaceRoot) : null,
    createdAt: new Date().toISOString(),
  };
  return { metrics, ranking, hits, qrels, manifest };
}
