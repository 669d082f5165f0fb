import type { RetrievalIndex } from '../retrieve/searchable-index';
import { describeFusion } from '../retrieve/fusion-label';
import { resolveSearchConfig } from '../retrieve/search';
import type { FusionConfig, RetrieverName } from '../retrieve/types';
import { evaluate, type EvaluateOptions, type EvaluationResult } from './evaluate';
import type { EvalQuery } from './evalset-types';
import { measureNames } from './metrics';
import { compareRuns, type Comparison } from './significance';

export interface SweepPoint {
  label: string;
  retriever: RetrieverName;
  /** The dense weight this point stands for: 0 is keyword alone, 1 dense alone, null for RRF. */
  denseWeight: number | null;
  fusion: FusionConfig | undefined;
  result: EvaluationResult;
}

/** Hybrid's trade-off on one eval set: the measure along the dense weight, RRF, and the configured setting. */
export interface FusionSweep {
  measure: string;
  /** keyword (weight 0), weighted fusion at each weight, dense (weight 1), in that order. */
  curve: SweepPoint[];
  rrf: SweepPoint;
  configured: SweepPoint;
  bestSingle: SweepPoint;
  /** Per-query paired comparison of the configured hybrid (B) against the best single retriever (A). */
  configuredVsBestSingle: Comparison;
}

export const SWEEP_WEIGHTS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];

/**
 * Evaluates keyword, dense, weighted fusion across dense weights (with the configured normalisation), RRF (with
 * the configured k) and the configured hybrid on the same queries, so the hybrid setting can be judged against
 * the best single retriever instead of assumed better. Each point is an ordinary `evaluate` run; the index
 * caches query vectors, so each query is embedded once.
 */
export async function sweepFusion(
  index: RetrievalIndex,
  queries: EvalQuery[],
  options: Omit<EvaluateOptions, 'retriever' | 'fusion' | 'rerank'> & {
    weights?: number[];
    measure?: string;
    onPoint?: (label: string) => void;
    /** Runs the caller already made with these options and the index's settings: reused instead of repeated. */
    known?: Partial<Record<'keyword' | 'dense' | 'hybrid', EvaluationResult>>;
  },
): Promise<FusionSweep> {
  const measure = options.measure ?? 'ndcg_cut_10';
  const known = measureNames(options.cutoffs);
  if (!known.includes(measure)) throw new RangeError(`unknown measure "${measure}" (known: ${known.join(', ')})`);
  const configured = resolveSearchConfig(index.searchDefaults).fusion;
  const point = async (label: string, retriever: RetrieverName, denseWeight: number | null, fusion?: Partial<FusionConfig>): Promise<SweepPoint> => {
    options.onPoint?.(label);
    const reusable = fusion === undefined && (retriever === 'keyword' || retriever === 'dense' || retriever === 'hybrid') ? options.known?.[retriever] : undefined;
    const result = reusable ?? (await evaluate(index, queries, { ...options, retriever, fusion }));
    return { label, retriever, denseWeight, fusion: result.manifest.fusion, result };
  };
  const keyword = await point('keyword', 'keyword', 0);
  const dense = await point('dense', 'dense', 1);
  const weighted: SweepPoint[] = [];
  for (const w of [...new Set(options.weights ?? SWEEP_WEIGHTS)].filter((x) => x > 0 && x < 1).sort((a, b) => a - b)) {
    weighted.push(await point(`weighted ${configured.normalization} ${w}`, 'hybrid', w, { method: 'weighted', denseWeight: w }));
  }
  const rrf = await point(`RRF k=${configured.rrfK}`, 'hybrid', null, { method: 'rrf' });
  const configuredPoint = await point(`configured: ${describeFusion(configured)}`, 'hybrid', configured.method === 'weighted' ? configured.denseWeight : null);
  const bestSingle = dense.result.metrics.all[measure] > keyword.result.metrics.all[measure] ? dense : keyword;
  return {
    measure,
    curve: [keyword, ...weighted, dense],
    rrf,
    configured: configuredPoint,
    bestSingle,
    configuredVsBestSingle: compareRuns(bestSingle.result.metrics.perQuery, configuredPoint.result.metrics.perQuery, measure),
  };
}

/** One sentence on whether the configured hybrid holds up against the best single retriever. */
export function sweepVerdict(s: FusionSweep): string {
  const c = s.configuredVsBestSingle;
  const best = s.bestSingle.label;
  const fmt = (x: number) => x.toFixed(3);
  const sig = c.pValue < 0.05 ? `significant, p = ${c.pValue.toFixed(3)}` : `not significant on ${c.queries} queries, p = ${c.pValue.toFixed(3)}`;
  const top = [...s.curve, s.rrf].reduce((a, b) => (b.result.metrics.all[s.measure] > a.result.metrics.all[s.measure] ? b : a));
  const topValue = top.result.metrics.all[s.measure];
  const topNote =
    topValue <= c.meanB ? ''
    : top === s.bestSingle ? ` No fused setting in this sweep beats ${best} on these queries.`
    : ` The best point of this sweep is ${top.label} (${fmt(topValue)}); choose a setting on the train split or on more queries, not on these alone.`;
  const hybrid = `The configured hybrid (${s.configured.fusion ? describeFusion(s.configured.fusion) : 'hybrid'}) scores ${fmt(c.meanB)} ${s.measure}`;
  if (c.meanDiff >= 0) return `${hybrid}, at least ${best} (${fmt(c.meanA)}): Δ +${fmt(c.meanDiff)} (${sig}).${topNote}`;
  return `${hybrid}, below ${best} (${fmt(c.meanA)}): Δ ${fmt(c.meanDiff)} (${sig}); worse on ${c.losses.length} queries, better on ${c.wins.length}.${topNote}`;
}
