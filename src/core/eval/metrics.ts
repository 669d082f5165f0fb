import type { Qrels, Run } from './evalset-types';

export interface MetricsResult {
  /** Mean over every query in the qrels (trec_eval -c): a query with no results scores 0 and still counts. */
  all: Record<string, number>;
  perQuery: Record<string, Record<string, number>>;
}

export const DEFAULT_CUTOFFS = [1, 5, 10, 100];

/**
 * trec_eval-exact measures (as `trec_eval -c -m all_trec` computes them):
 * - each query's results are ordered by score descending, ties broken by docno descending (byte-wise strcmp);
 * - relevant means grade >= 1; recall and map divide by all relevant documents in the qrels;
 * - P_k divides by k even when fewer documents were retrieved;
 * - ndcg_cut_k: gain = the raw grade, discount 1/log2(rank + 1), normalised by the ideal ordering of every judged
 *   grade in the qrels, cut at k;
 * - recip_rank: 1 / rank of the first relevant document; success_k: 1 if one is in the top k;
 * - queries in the run without qrels are ignored; queries in the qrels without results score 0 (the -c flag);
 *   a query whose judgments are all 0 has no relevant documents and scores 0 on every measure;
 * - the same docno twice in one query's results is an error (trec_eval rejects such runs).
 */
export function computeMetrics(qrels: Qrels, run: Run, options: { cutoffs?: number[] } = {}): MetricsResult {
  const cutoffs = [...new Set(options.cutoffs ?? DEFAULT_CUTOFFS)].sort((a, b) => a - b);
  const perQuery: Record<string, Record<string, number>> = {};
  for (const [qid, judged] of qrels) {
    perQuery[qid] = queryMeasures(qid, judged, run.get(qid) ?? [], cutoffs);
  }
  const all: Record<string, number> = {};
  const qids = Object.keys(perQuery);
  const names = measureNames(cutoffs);
  for (const name of names) {
    all[name] = qids.length ? qids.reduce((s, q) => s + perQuery[q][name], 0) / qids.length : 0;
  }
  all.num_q = qids.length;
  return { all, perQuery };
}

export function measureNames(cutoffs: number[] = DEFAULT_CUTOFFS): string[] {
  return [
    'map',
    'recip_rank',
    ...cutoffs.map((k) => `P_${k}`),
    ...cutoffs.map((k) => `recall_${k}`),
    ...cutoffs.map((k) => `ndcg_cut_${k}`),
    ...cutoffs.map((k) => `success_${k}`),
  ];
}

/** trec_eval's order: score descending, then docno descending by bytes. */
export function trecOrder<T extends { docId: string; score: number }>(results: T[]): T[] {
  return [...results].sort((a, b) => b.score - a.score || compareBytes(b.docId, a.docId));
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function queryMeasures(qid: string, judged: Map<string, number>, results: Array<{ docId: string; score: number }>, cutoffs: number[]): Record<string, number> {
  const seen = new Set<string>();
  for (const r of results) {
    if (seen.has(r.docId)) throw new Error(`query ${qid}: document ${r.docId} appears twice in the results`);
    seen.add(r.docId);
  }
  const ranked = trecOrder(results).map((r) => judged.get(r.docId) ?? 0);
  const numRel = [...judged.values()].filter((g) => g >= 1).length;
  const m: Record<string, number> = {};
  let relSoFar = 0;
  let apSum = 0;
  let firstRel = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (ranked[i] >= 1) {
      relSoFar++;
      apSum += relSoFar / (i + 1);
      if (!firstRel) firstRel = i + 1;
    }
  }
  m.map = numRel ? apSum / numRel : 0;
  m.recip_rank = firstRel ? 1 / firstRel : 0;
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  for (const k of cutoffs) {
    const top = ranked.slice(0, k);
    const relInTop = top.filter((g) => g >= 1).length;
    m[`P_${k}`] = relInTop / k;
    m[`recall_${k}`] = numRel ? relInTop / numRel : 0;
    m[`success_${k}`] = relInTop > 0 ? 1 : 0;
    const dcg = top.reduce((s, g, i) => s + (g > 0 ? g / Math.log2(i + 2) : 0), 0);
    const idcg = ideal.slice(0, k).reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
    m[`ndcg_cut_${k}`] = idcg > 0 ? dcg / idcg : 0;
  }
  return m;
}
