import { evaluate } from '../eval/evaluate';
import type { EvalQuery } from '../eval/evalset-types';
import { levelSupport, type Level } from '../eval/label-level';
import { compareRuns, type Comparison } from '../eval/significance';
import type { RetrievalIndex } from '../retrieve/searchable-index';

export interface ModelResult {
  label: string;
  model: string;
  /** Chunk level for span labels, document level when the eval split's judgments are whole documents. */
  level: Level;
  ndcg_cut_10: number;
  recall_k: number;
  recip_rank: number;
  /** Against the first model: paired randomization test and bootstrap CI on per-query nDCG@10. */
  versusFirst?: Comparison;
}

/**
 * Evaluates two or more indexes (same corpus and chunker, different embedding models) on the same eval split with
 * the dense retriever, each compared with the first for significance. The level is the one the labels support (chunk
 * when any eval query has span labels, else document), unless given.
 */
export async function compareModels(indexes: Array<{ label: string; index: RetrievalIndex }>, queries: EvalQuery[], k = 10, level: Level = levelSupport(queries, 'eval').levels[0] ?? 'doc'): Promise<ModelResult[]> {
  const out: ModelResult[] = [];
  let first: Record<string, Record<string, number>> | undefined;
  for (const { label, index } of indexes) {
    const r = await evaluate(index, queries, { retriever: 'dense', level, cutoffs: [k, 10], split: 'eval' });
    const result: ModelResult = { label, model: index.manifest.model?.id ?? 'none', level, ndcg_cut_10: r.metrics.all.ndcg_cut_10, recall_k: r.metrics.all[`recall_${k}`], recip_rank: r.metrics.all.recip_rank };
    if (first) result.versusFirst = compareRuns(first, r.metrics.perQuery, 'ndcg_cut_10');
    else first = r.metrics.perQuery;
    out.push(result);
  }
  return out;
}

export interface ShadowDiffEntry {
  queryId: string;
  query: string;
  changed: boolean;
  /** Chunks in B's top k but not A's, and the reverse. */
  entered: string[];
  left: string[];
  /** Chunks in both top-k lists whose rank moved: rank in A → rank in B. */
  moved: Array<{ chunkId: string; from: number; to: number }>;
}

/**
 * A shadow diff between two indexes over the same queries: which queries' top k changed, which chunks entered or
 * left, and how ranks shifted — what users would notice if B replaced A. Chunk ids match when both indexes use the
 * same chunker; otherwise compare at document level by passing `byDocument`.
 */
export async function shadowDiff(a: RetrievalIndex, b: RetrievalIndex, queries: EvalQuery[], options: { k?: number; retriever?: 'keyword' | 'dense' | 'hybrid'; byDocument?: boolean } = {}): Promise<ShadowDiffEntry[]> {
  const k = options.k ?? 10;
  const retriever = options.retriever ?? 'dense';
  const top = async (ix: RetrievalIndex, q: EvalQuery) => {
    const r = await ix.search({ query: q.text, k: options.byDocument ? k * 4 : k, retrievers: [retriever], filter: q.filter, explain: false });
    const ids = (r.results[retriever] ?? []).map((h) => (options.byDocument ? h.docId : h.chunkId));
    return [...new Set(ids)].slice(0, k);
  };
  const out: ShadowDiffEntry[] = [];
  for (const q of queries) {
    const ta = await top(a, q);
    const tb = await top(b, q);
    const entered = tb.filter((id) => !ta.includes(id));
    const left = ta.filter((id) => !tb.includes(id));
    const moved = ta.filter((id) => tb.includes(id) && ta.indexOf(id) !== tb.indexOf(id)).map((id) => ({ chunkId: id, from: ta.indexOf(id) + 1, to: tb.indexOf(id) + 1 }));
    out.push({ queryId: q.id, query: q.text, changed: entered.length > 0 || moved.length > 0, entered, left, moved });
  }
  return out;
}
