import type { EvalQuery } from '../eval/evalset-types';
import type { RetrieverEvaluationResult } from '../eval/evaluate-retriever';
import { evaluateRetriever } from '../eval/evaluate-retriever';
import type { Level } from '../eval/label-level';
import { compareRuns } from '../eval/significance';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import { LocalRetriever } from '../retrieve/local-retriever';
import type { RetrieverName } from '../retrieve/types';
import { diagnoseExternalMisses, EXTERNAL_MISS_CATEGORIES } from './external-misses';
import type { ExternalReadinessLine } from './readiness-report';

/** How every external line of a report is scored: the report's level, its K, the eval split. */
export function externalScoring(level: Level, k: number): { level: Level; cutoffs: number[]; split: 'eval' } {
  return { level, cutoffs: [k, 10], split: 'eval' };
}

/**
 * One configured retriever's line in the readiness report (CLI and editor alike): its run on the eval split, paired
 * per query with the report's baseline scored the same way, and its misses as far as can be told from outside.
 */
export async function externalReadinessLine(
  line: { name: string; destination: string; result: RetrieverEvaluationResult },
  index: RetrievalIndex,
  queries: EvalQuery[],
  scoring: { baseline: RetrieverName; level: Level; k: number },
): Promise<ExternalReadinessLine> {
  const { k, level } = scoring;
  const local = await evaluateRetriever(new LocalRetriever(index, scoring.baseline), index.documents(), queries, externalScoring(level, k));
  const r = line.result;
  const paired = Object.fromEntries(Object.entries(local.metrics.perQuery).filter(([q]) => q in r.metrics.perQuery));
  const c = compareRuns(paired, r.metrics.perQuery, 'ndcg_cut_10');
  const misses = await diagnoseExternalMisses(r, queries, { k, keyword: new LocalRetriever(index, 'keyword') });
  return {
    name: line.name,
    level,
    destination: line.destination,
    ndcg_cut_10: r.metrics.all.ndcg_cut_10,
    recall_k: r.metrics.all[`recall_${k}`],
    baselineNdcg: c.meanA,
    gain: c.meanDiff,
    pValue: c.pValue,
    queries: r.metrics.all.num_q,
    failedQueries: r.failures.length,
    misses: Object.fromEntries(EXTERNAL_MISS_CATEGORIES.map((cat) => [cat, misses.filter((m) => m.category === cat).length])),
  };
}
