import * as path from 'node:path';
import { missCounts, type FailureCategory } from '../../../core/diagnose/diagnose-misses';
import { diagnosisSettings, MissDiagnoses } from '../../diagnosis/miss-diagnoses';
import { evaluate, type EvaluationResult } from '../../../core/eval/evaluate';
import type { EvalQuery } from '../../../core/eval/evalset-types';
import { describeLevel, LEVEL_NAME, levelSupport, unscorableReason, type Level } from '../../../core/eval/label-level';
import { sweepFusion, type FusionSweep } from '../../../core/eval/fusion-sweep';
import { RUNS_DIR, saveRun } from '../../../core/eval/run-manifest';
import type { WorkspaceIndex } from '../../../core/index/workspace-index';
import type { RetrieverName } from '../../../core/retrieve/types';
import type { QueryAdapter } from '../../../core/adapt/query-adapter';
import type { SavedLearningCurve } from '../../../core/adapt/adapter-store';
import type { ConfiguredRetrieversBaseline } from '../../retrievers/configured-retrievers';

/** One evaluated configuration; `adapter` is the query adapter's id for "dense + adapter" and "hybrid + adapter". */
export interface BaselineRun {
  retriever: RetrieverName;
  result: EvaluationResult;
  adapter?: string;
}

/** How a run is named in the view: the retriever, or "dense + adapter". */
export const runName = (r: BaselineRun) => (r.adapter ? `${r.retriever} + adapter` : r.retriever);

export interface BaselineResult {
  k: number;
  queries: number;
  /** The level the runs are scored at: the one the labels support (chunk for spans, document for documents). */
  level: Level;
  /** Why nothing could be scored, instead of a page of 0.000. */
  unscored?: string;
  runs: BaselineRun[];
  /** A mixed eval set (spans and whole-document judgments) is scored at document level too. */
  docLevel?: { queries: number; heading: string; runs: BaselineRun[] };
  /** Query text by id, shown beside each per-query win and loss (as text). */
  queryTexts?: Record<string, string>;
  /** The query adapter the adapted runs used, or why there are none. */
  adapter?: { id?: string; note: string; trained?: string; learningCurve?: SavedLearningCurve };
  heading: string;
  categories: Record<FailureCategory, number>;
  /** How many of these misses the readiness report's what-if indexes refine (said under the categories). */
  whatIfNote?: string;
  /** Each miss's query and category (the one diagnosis), so the view names which queries each category holds. */
  missed?: Array<{ queryId: string; category: FailureCategory; docId: string; start: number; end: number }>;
  baselineRetriever: RetrieverName;
  /** Hybrid's trade-off along the dense weight, when hybrid was evaluated. */
  sweep?: FusionSweep;
  /** Retrievers from retrievalLens.retrievers, each a line beside the local one (or why it was not contacted). */
  configured?: ConfiguredRetrieversBaseline;
}

/**
 * Evaluates the eval split with each retriever at the level the labels support (chunk level for span labels,
 * document level for whole-document judgments, both for a mixed set) and diagnoses the baseline's misses.
 */
export async function runBaseline(
  index: WorkspaceIndex,
  queries: EvalQuery[],
  retrievers: RetrieverName[],
  k: number,
  root: string | undefined,
  globs: { include?: string[]; exclude?: string[] },
  adapter?: QueryAdapter,
  diagnoses: MissDiagnoses = new MissDiagnoses(),
): Promise<BaselineResult> {
  const support = levelSupport(queries, 'eval');
  const level: Level = support.levels[0] ?? 'chunk';
  const unscored = support.levels.length ? undefined : unscorableReason(level, support);
  const runAll = async (at: Level) => {
    const out: BaselineResult['runs'] = [];
    if (unscored) return out;
    const plans: Array<{ retriever: RetrieverName; adapter?: QueryAdapter }> = retrievers.map((retriever) => ({ retriever }));
    // With a query adapter, dense and hybrid run again with it, beside the plain ones; the manifests name it.
    if (adapter) for (const retriever of ['dense', 'hybrid'] as const) if (retrievers.includes(retriever)) plans.push({ retriever, adapter });
    for (const { retriever, adapter: a } of plans) {
      const result = await evaluate(index, queries, { retriever, level: at, cutoffs: [k, 10], split: 'eval', workspaceRoot: root, queryTransform: a });
      if (root) saveRun(path.join(root, RUNS_DIR), { all: result.metrics.all, perQuery: result.metrics.perQuery, manifest: result.manifest });
      out.push({ retriever, result, ...(a ? { adapter: a.id } : {}) });
    }
    return out;
  };
  const runs = await runAll(level);
  const docRuns = support.levels.includes('doc') && level !== 'doc' ? await runAll('doc') : undefined;
  const docLevel = docRuns && { queries: docRuns[0]?.result.metrics.all.num_q ?? 0, heading: describeLevel('doc', support), runs: docRuns };
  const baselineRetriever: RetrieverName = retrievers.includes('dense') ? 'dense' : retrievers[0];
  // The one diagnosis the inspector, the Problems entries and the report read too (same question, same answer).
  const settings = diagnosisSettings({ topK: k, ...globs }, root, !!index.embedder, baselineRetriever === 'rerank' ? 'hybrid' : baselineRetriever);
  const { misses } = await diagnoses.diagnose(index, queries.filter((q) => q.split === 'eval'), settings);
  const categories = missCounts(misses);
  const whatIfs = misses.filter((m) => m.reportWhatIf).length;
  const sweep = !unscored && retrievers.includes('hybrid') && index.embedder ? await sweepFusion(index, queries, { level, cutoffs: [k, 10], split: 'eval', known: Object.fromEntries(runs.filter((r) => !r.adapter).map((r) => [r.retriever, r.result])) }) : undefined;
  const queryTexts = Object.fromEntries(queries.map((q) => [q.id, q.text]));
  return { k, queries: runs[0]?.result.metrics.all.num_q ?? 0, level, unscored, heading: support.levels.length ? describeLevel(level, support) : LEVEL_NAME[level], runs, docLevel, categories, baselineRetriever, sweep, queryTexts, missed: misses.map((m) => ({ queryId: m.queryId, category: m.category, docId: m.docId, start: m.start, end: m.end })), ...(whatIfs ? { whatIfNote: `${whatIfs === 1 ? '1 of these misses is' : `${whatIfs} of these misses are`} recovered by the readiness report's what-if indexes (another chunker or model); the report names them beside these categories` } : {}) };
}
