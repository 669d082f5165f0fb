import type { EvalQuery } from '../eval/evalset-types';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import type { Retriever } from '../retrieve/retriever';
import type { RetrieverEvaluationResult } from '../eval/evaluate-retriever';
import { evaluateRetriever } from '../eval/evaluate-retriever';
import type { Level } from '../eval/label-level';
import { compareRuns } from '../eval/significance';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import { LocalRetriever } from '../retrieve/local-retriever';
import type { RetrieverName } from '../retrieve/types';
import { diagnoseEvaluation, missCounts } from './diagnose-misses';
import type { ExternalReadinessLine } from './readiness-report';

/** How every external line of a report is scored: the report's level, its K, the eval split. */
export function externalScoring(level: Level, k: number): { level: Level; cutoffs: number[]; split: 'eval' } {
  return { level, cutoffs: [k, 10], split: 'eval' };
}

/**
 * One configured retriever's line in the readiness report (CLI and editor alike): its run on the eval split, paired
 * per query with the report's baseline scored the same way, and its misses by the one diagnosis (diagnose-misses.ts)
 * over the hits the run placed, with what cannot be told for it named.
 */
export async function externalReadinessLine(
  line: { name: string; destination: string; result: RetrieverEvaluationResult; retriever: Retriever; documentId?: DocumentIdRule },
  index: RetrievalIndex,
  queries: EvalQuery[],
  scoring: { baseline: RetrieverName; level: Level; k: number; root?: string },
): Promise<ExternalReadinessLine> {
  const { k, level } = scoring;
  const local = await evaluateRetriever(new LocalRetriever(index, scoring.baseline), index.documents(), queries, externalScoring(level, k));
  const r = line.result;
  const paired = Object.fromEntries(Object.entries(local.metrics.perQuery).filter(([q]) => q in r.metrics.perQuery));
  const c = compareRuns(paired, r.metrics.perQuery, 'ndcg_cut_10');
  const d = await diagnoseEvaluation({ index, root: scoring.root, queries, variants: [] }, { retriever: line.retriever, documentId: line.documentId, result: r }, { k, candidates: Math.max(30, k), split: 'eval' });
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
    misses: missCounts(d.misses),
    uncomputed: d.uncomputed.map((u) => `${u.category}: ${u.why}`),
  };
}
