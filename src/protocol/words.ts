/**
 * Words a newcomer reads, one table for every app: the metrics as people say them (the trec_eval id stays in the CLI
 * and in JSON), with a one-line explanation for the hover, and the terms the views use (Hole@K, confuser, PC1/PC2).
 */

interface MetricWords {
  /** How people say it, e.g. "nDCG@10". */
  name: string;
  /** One line for the hover. */
  explain: string;
}

/** The metric's display name and explanation from its trec_eval id (ndcg_cut_10, P_10, recip_rank, map, recall_100…). */
export function metricWords(trecId: string): MetricWords {
  let m: RegExpExecArray | null;
  if ((m = /^ndcg_cut_(\d+)$/.exec(trecId))) return { name: `nDCG@${m[1]}`, explain: `How well the top ${m[1]} is ordered: graded labels near the top count most (1 = every relevant result first, best grade first).` };
  if (trecId === 'ndcg') return { name: 'nDCG', explain: 'How well the whole ranking is ordered: graded labels near the top count most (1 = perfect order).' };
  if ((m = /^P_(\d+)$/.exec(trecId))) return { name: `P@${m[1]}`, explain: `Precision at ${m[1]}: the share of the top ${m[1]} results that are labeled relevant.` };
  if ((m = /^recall_(\d+)$/.exec(trecId))) return { name: `Recall@${m[1]}`, explain: `The share of the labeled relevant results found in the top ${m[1]}.` };
  if (trecId === 'recip_rank') return { name: 'MRR', explain: 'Mean reciprocal rank: 1 / the rank of the first relevant result, averaged over queries (1 = always first).' };
  if (trecId === 'map') return { name: 'MAP', explain: 'Mean average precision: precision at each relevant result, averaged; rewards finding all of them early.' };
  if ((m = /^hole_(\d+)$/.exec(trecId))) return { name: `Hole@${m[1]}`, explain: HOLE_EXPLAIN(Number(m[1])) };
  return { name: trecId, explain: trecId };
}

/** "nDCG@10" for "ndcg_cut_10"; an unknown id is shown as it is. */
export const metricName = (trecId: string): string => metricWords(trecId).name;

export const HOLE_EXPLAIN = (k: number | string): string => `Hole@${k}: the share of a retriever's top ${k} that nobody has judged yet; its scores are uncertain by that much. Judge to shrink it.`;
export const CONFUSER_EXPLAIN = 'A confuser is a chunk not labeled relevant that the model puts closer to the query than a relevant one: it takes the relevant chunk\'s place in the ranking.';
export const PCA_EXPLAIN = 'PC1 and PC2 are the two directions in which these vectors differ most (principal components); distances in the picture are approximate, the cosines in the table exact.';

/** "1 miss", "2 misses": a count with the noun in the right number (plural given when not noun + "s"). */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}

/** A comparison that names both sides: "dense 0.00 → keyword 1.00". */
export function comparison(fromName: string, from: string, toName: string, to: string): string {
  return `${fromName} ${from} → ${toName} ${to}`;
}

/** The hover line of a table column named as people say a metric ("nDCG@10", "Recall@100", "p", "Δ"), if it has one. */
export function explainColumn(name: string): string | undefined {
  let m: RegExpExecArray | null;
  if ((m = /nDCG@(\d+)/.exec(name))) return metricWords(`ndcg_cut_${m[1]}`).explain + (name.startsWith('Δ') ? ' Δ: the difference from the baseline.' : '');
  if ((m = /^Recall@(\d+)$/.exec(name))) return metricWords(`recall_${m[1]}`).explain;
  if (name === 'p') return 'p-value of a paired randomization test: how often a difference this large would appear by chance (below 0.05: unlikely).';
  if (name === '95% CI') return '95% confidence interval of the difference, by bootstrap over the eval queries.';
  return undefined;
}
