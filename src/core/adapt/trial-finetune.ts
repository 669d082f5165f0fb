import * as crypto from 'node:crypto';
import type { Chunk } from '../chunking/chunk';
import { DEFAULT_TRAINING_EXPORT, mineTrainingPairs, type TrainingExportOptions, type TrainingPair } from './training-export';
import { spanOverlapsChunk } from '../eval/chunk-relevance';
import { evaluate, type EvaluationResult } from '../eval/evaluate';
import type { EvalQuery } from '../eval/evalset-types';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { levelSupport, type Level } from '../eval/label-level';
import { compareRuns, seededRandom } from '../eval/significance';
import type { Retriever } from '../retrieve/retriever';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { FusionConfig } from '../retrieve/types';
import { QueryAdapter, type AdapterModel } from './query-adapter';
import type { AdapterTrainer } from './training-runner';
import { DEFAULT_ADAPTER_TRAINING, trainQueryAdapter, type AdapterTrainingOptions, type AdapterTrainingResult, type TrainingExample } from './train-adapter';
import { lastStep } from './pairs-needed';

/** The labels cannot support a trial (no train split, nothing to evaluate): the caller's input, not a bug. */
export class TrialInputError extends Error {}

export interface TrialOptions {
  level: 'doc' | 'chunk';
  /** Share of the train split's queries held out for early stopping (at least one query when there are two or more). */
  heldOutShare: number;
  /** Learning-curve points: shares of the training pairs (the fit part; the held-out slice stays the same). */
  curve: number[];
  training: Partial<AdapterTrainingOptions>;
  mining: Partial<TrainingExportOptions>;
  /** The retriever hard negatives are mined from when not the index's `mining.miner` (any Retriever: an engine, a recording). */
  miner?: { retriever: Retriever; documentId?: DocumentIdRule };
  /** Also score hybrid with and without the adapter on its dense leg. */
  hybrid: boolean;
  fusion?: Partial<FusionConfig>;
  seed: number;
  /** Ranking depth (for recall_100). */
  depth: number;
  onProgress?: (message: string) => void;
  /**
   * Who trains the adapters: in this thread by default (the CLI), in a worker thread in the editor
   * (trainInWorker, so the extension host's event loop stays free and Cancel stops training at once).
   */
  trainer?: AdapterTrainer;
  /** Cancels the trial: checked between its steps, and passed to the trainer's worker by the caller. */
  signal?: AbortSignal;
}

export const DEFAULT_TRIAL: TrialOptions = { level: 'doc', heldOutShare: 0.2, curve: [0.25, 0.5, 1], training: {}, mining: {}, hybrid: true, seed: 42, depth: 100 };

export const TRIAL_MEASURES = ['ndcg_cut_10', 'recall_10', 'recall_100', 'recip_rank'] as const;
type Measures = Record<(typeof TRIAL_MEASURES)[number], number>;

export interface PairedGain {
  baseline: Measures;
  adapted: Measures;
  /** nDCG@10 adapted − baseline (mean over eval queries), its 95% bootstrap CI and the paired randomization p. */
  delta: number;
  ci95: [number, number];
  p_value: number;
  /** Eval queries the comparison pairs, and the sample SD of their nDCG@10 differences (for a power estimate). */
  queries: number;
  sd_diff: number;
  wins: number;
  losses: number;
  ties: number;
  /** The same paired comparison for every reported measure (Recall@100 can move where nDCG@10 does not). */
  by_measure: Record<(typeof TRIAL_MEASURES)[number], { delta: number; ci95: [number, number]; p_value: number }>;
}

/** Its PairedGain fields: dense on the eval split, without (baseline) and with (adapted) the adapter. */
export interface TrialResult extends PairedGain {
  model: AdapterModel & { provider: string };
  level: 'doc' | 'chunk';
  seed: number;
  /** How the queries were split: from the eval set / qrels files, or assigned here (see assignTrainSplit). */
  split_source: string;
  train_queries: number;
  held_out_queries: number;
  eval_queries: number;
  /** Labeled relevant (grade ≥ 1) judgments of the train split: the pairs the labels offer. */
  labeled_pairs: number;
  /** Labeled pairs that could not be used: no chunk of the index holds the label (not indexed, stale), no vector. */
  unused_pairs: { no_positive_chunk: number; no_vector: number };
  /** Pairs the adapter was fitted on, and pairs held out for early stopping (labeled = train + held out + unused). */
  train_pairs: number;
  held_out_pairs: number;
  hard_negatives: number;
  /** sha256 of the sorted training pairs (query id, positive chunk id): what the adapter learned from. */
  training_hash: string;
  training: Omit<AdapterTrainingResult, 'adapter'> & { settings: AdapterTrainingOptions; mining: TrainingExportOptions; miningMs: number; distanceFromIdentity: number };
  hybrid: PairedGain | null;
  /**
   * A mixed eval set (span and document labels) is scored at both levels, as the rest of the report is: the same
   * adapter, measured at the other level too (null when the labels support one level only).
   */
  other_level: { level: Level; eval_queries: number; dense: PairedGain; hybrid: PairedGain | null } | null;
  /** Eval queries whose nDCG@10 the adapter lowered, worst first. */
  worsened: Array<{ qid: string; text: string; before: number; after: number }>;
  improved: Array<{ qid: string; text: string; before: number; after: number }>;
  /** The same comparison on the training pairs' own queries: a gain far above the eval gain is overfitting. */
  train_vs_eval: { train_baseline: number; train_adapted: number; train_delta: number; eval_delta: number; gap: number };
  /**
   * The learning curve. Without synthetic train queries: shares of the fit pairs, as always. With synthetic and real
   * ones: the curve WITH the synthetic queries (see `synthetic.basis`: share s of the real fit pairs plus every
   * synthetic fit pair; at 100% it is the adapter above).
   */
  learning_curve: LearningPoint[];
  learning_reading: string;
  /** The learning curve with and without synthetic (generate-queries) train queries: see SyntheticCurves. */
  synthetic: SyntheticCurves;
  /** Applying W: d × d multiply-adds per query and the measured time (median over the eval queries). */
  adapter_cost: { multiply_adds: number; us_per_query: number; weights_bytes: number };
}

/** One learning-curve point: an adapter trained on a subset of the fit pairs, measured on the whole eval split. */
export interface LearningPoint {
  share: number;
  pairs: number;
  /** Of `pairs`, those on synthetic (generate-queries) queries. */
  synthetic_pairs: number;
  queries: number;
  ndcg_cut_10: number;
  delta: number;
  ci95: [number, number];
  p_value: number;
  bestEpoch: number;
}

/**
 * How the trial used train queries written by generate-queries (`source: "synthetic"`), and the learning curve
 * with and without them.
 *
 * Basis (the choice, stated in `basis`): the x axis is the share s of the REAL fit pairs. At each s the real-only
 * curve fits the first real queries of one seeded order until s of the real pairs is reached; the curve with
 * synthetic queries fits exactly the same real pairs plus every synthetic fit pair. So the two points at one share
 * differ only by the synthetic pairs, and the comparison answers "does adding the synthetic queries help at equal
 * real pairs?". Both are measured against the same dense baseline run on the same eval queries. When both kinds are
 * present the early-stopping slice is drawn from the real train queries only, so no synthetic query steers the
 * real-only adapters (and the stopping watches the kind of query the adapter is for).
 */
export interface SyntheticCurves {
  /** none: no synthetic fit pair (one curve, as before); mixed: both curves; all: every fit pair is synthetic (no real-only curve). */
  kind: 'none' | 'mixed' | 'all';
  /** Synthetic train queries with fit pairs, their fit pairs, and the real fit pairs. */
  queries: number;
  fit_pairs: number;
  real_fit_pairs: number;
  /** Synthetic pairs in the early-stopping slice (0 when real queries are there to hold out). */
  held_out_pairs: number;
  /** How the two curves are built, in one sentence (for the CLI, the JSON and the views). */
  basis: string;
  /** The curve on real pairs only, at the same shares as `learning_curve` (empty unless kind is "mixed"). */
  real_curve: LearningPoint[];
  /**
   * At 100% of the real pairs: the adapter with the synthetic pairs against the real-only one, paired per eval query
   * on nDCG@10 (with − without), with its bootstrap CI and randomization p (null unless kind is "mixed").
   */
  effect: { real_pairs: number; synthetic_pairs: number; delta: number; ci95: [number, number]; p_value: number } | null;
  reading: string;
}

export interface TrialOutput {
  result: TrialResult;
  adapter: QueryAdapter;
  /** The adapted dense run on the eval split (qid → ranked ids), for --run-out. */
  adaptedRun: EvaluationResult;
  baselineRun: EvaluationResult;
}

/**
 * Trains a query adapter on the TRAIN split and measures it on the EVAL split. Only train queries are mined,
 * embedded and trained on; early stopping watches a slice of the train split; the eval split is touched only by
 * the final evaluations. Deterministic for a given index, labels and seed.
 */
export async function trialFineTune(index: RetrievalIndex, queries: EvalQuery[], options: Partial<TrialOptions> = {}, splitSource = 'eval set'): Promise<TrialOutput> {
  const o = { ...DEFAULT_TRIAL, ...options };
  const say = (m: string) => {
    o.signal?.throwIfAborted();
    o.onProgress?.(m);
  };
  const train: AdapterTrainer = o.trainer ?? (async (m, f, h, settings) => trainQueryAdapter(m, f, h, settings));
  const info = index.manifest.model;
  if (!info || !index.vectors || !index.embedder) throw new TrialInputError('trial fine-tune needs an index with an embedding model');
  const model: AdapterModel = { id: info.id, revision: info.revision, dims: info.dims };
  const judged = (q: EvalQuery) => q.judgments.some((j) => j.grade >= 1);
  const trainQueries = queries.filter((q) => q.split === 'train' && judged(q));
  // The same queries `eval` scores (any judgment counts, as trec_eval -c), so the figures match an eval run.
  const evalQueries = queries.filter((q) => q.split === 'eval' && q.judgments.length);
  if (!trainQueries.length) throw new TrialInputError('no labeled queries in the train split: mark some queries as train (or give the BEIR folder qrels/train.tsv)');
  if (!evalQueries.length) throw new TrialInputError('no labeled queries in the eval split to measure the adapter on');

  // Held-out slice of the train split, by query (a query's pairs stay together). With both synthetic and real train
  // queries it is drawn from the real ones only (SyntheticCurves); the order stays the seeded shuffle of all of them.
  const rand = seededRandom(o.seed + 7);
  const shuffled = [...trainQueries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const isSynthetic = (q: EvalQuery) => q.source === 'synthetic';
  const syntheticIds = new Set(trainQueries.filter(isSynthetic).map((q) => q.id));
  const pool = syntheticIds.size && syntheticIds.size < trainQueries.length ? shuffled.filter((q) => !isSynthetic(q)) : shuffled;
  const nHeld = pool.length >= 2 ? Math.max(1, Math.round(o.heldOutShare * pool.length)) : 0;
  const heldIds = new Set(pool.slice(0, nHeld).map((q) => q.id));
  const fitOrder = shuffled.filter((q) => !heldIds.has(q.id)).map((q) => q.id);

  say(`mining hard negatives for ${trainQueries.length} train queries`);
  const mining = { ...DEFAULT_TRAINING_EXPORT, ...o.mining };
  let t = performance.now();
  const pairs = await mineTrainingPairs(index, trainQueries, mining, o.miner);
  const labeledPairs = trainQueries.reduce((s, q) => s + q.judgments.filter((j) => j.grade >= 1).length, 0);
  const examples = await toExamples(index, trainQueries, pairs);
  const miningMs = performance.now() - t;
  const fit = examples.filter((e) => !heldIds.has(e.queryId));
  const heldOut = examples.filter((e) => heldIds.has(e.queryId));
  if (!fit.length) throw new TrialInputError('no training pairs: the train split\'s labeled chunks are not in the index');
  const settings = { ...DEFAULT_ADAPTER_TRAINING, ...o.training, seed: o.training.seed ?? o.seed };

  say(`training the adapter on ${fit.length} pairs (${heldOut.length} held out)`);
  const trained = await train(model, fit, heldOut, settings);
  const adapter = trained.adapter;

  say('scoring dense and hybrid with and without the adapter on the eval split');
  const run = (qs: EvalQuery[], retriever: 'dense' | 'hybrid', a: QueryAdapter | null, split: 'eval' | 'train' = 'eval', level: Level = o.level) =>
    evaluate(index, qs, { retriever, level, depth: o.depth, split, fusion: o.fusion, cutoffs: [10, 100], queryTransform: a ?? undefined });
  const baselineRun = await run(evalQueries, 'dense', null);
  const adaptedRun = await run(evalQueries, 'dense', adapter);
  const dense = paired(baselineRun, adaptedRun, o.seed);
  let hybrid: PairedGain | null = null;
  if (o.hybrid) hybrid = paired(await run(evalQueries, 'hybrid', null), await run(evalQueries, 'hybrid', adapter), o.seed);
  // A mixed set: the other level too (chunk level scores the queries with span labels, document level all of them).
  let other_level: TrialResult['other_level'] = null;
  const support = levelSupport(evalQueries, 'eval');
  const other = support.kind === 'mixed' ? support.levels.find((l) => l !== o.level) : undefined;
  if (other) {
    say(`scoring the adapter at ${other === 'doc' ? 'document' : 'chunk'} level too (mixed labels)`);
    const b = await run(evalQueries, 'dense', null, 'eval', other);
    const oDense = paired(b, await run(evalQueries, 'dense', adapter, 'eval', other), o.seed);
    const oHybrid = o.hybrid ? paired(await run(evalQueries, 'hybrid', null, 'eval', other), await run(evalQueries, 'hybrid', adapter, 'eval', other), o.seed) : null;
    other_level = { level: other, eval_queries: b.qrels.size, dense: oDense, hybrid: oHybrid };
  }

  const texts = new Map(queries.map((q) => [q.id, q.text]));
  const c = compareRuns(baselineRun.metrics.perQuery, adaptedRun.metrics.perQuery, 'ndcg_cut_10', { seed: o.seed });
  const worsened = c.losses.map((l) => ({ qid: l.qid, text: texts.get(l.qid) ?? '', before: l.a, after: l.b }));
  const improved = c.wins.map((l) => ({ qid: l.qid, text: texts.get(l.qid) ?? '', before: l.a, after: l.b }));

  say('train-vs-eval gap');
  const fitQueries = trainQueries.filter((q) => !heldIds.has(q.id));
  const trBase = await run(fitQueries, 'dense', null, 'train');
  const trAdapted = await run(fitQueries, 'dense', adapter, 'train');
  const trainDelta = trAdapted.metrics.all.ndcg_cut_10 - trBase.metrics.all.ndcg_cut_10;

  // The learning curve(s): nested subsets, the first queries of one seeded order until the share of pairs is reached.
  const realFit = fit.filter((e) => !syntheticIds.has(e.queryId));
  const synthFit = fit.filter((e) => syntheticIds.has(e.queryId));
  const kind: SyntheticCurves['kind'] = !synthFit.length ? 'none' : realFit.length ? 'mixed' : 'all';
  const shares = [...o.curve].sort((a, b) => a - b);
  const nested = (from: TrainingExample[], share: number) => {
    if (share >= 1) return from;
    const want = Math.max(1, Math.round(share * from.length));
    const keep = new Set<string>();
    let n = 0;
    for (const id of fitOrder) {
      if (n >= want) break;
      const k = from.filter((e) => e.queryId === id).length;
      if (!k) continue;
      keep.add(id);
      n += k;
    }
    return from.filter((e) => keep.has(e.queryId));
  };
  const point = async (share: number, subset: TrainingExample[], label: string): Promise<{ p: LearningPoint; run: EvaluationResult }> => {
    let a = adapter;
    let bestEpoch = trained.bestEpoch;
    if (subset.length !== fit.length) {
      say(`learning curve${label}: ${Math.round(share * 100)}% (${subset.length} pairs)`);
      const r = await train(model, subset, heldOut, settings);
      a = r.adapter;
      bestEpoch = r.bestEpoch;
    }
    const ar = a === adapter ? adaptedRun : await run(evalQueries, 'dense', a);
    const cc = compareRuns(baselineRun.metrics.perQuery, ar.metrics.perQuery, 'ndcg_cut_10', { seed: o.seed });
    const p = { share, pairs: subset.length, synthetic_pairs: subset.filter((e) => syntheticIds.has(e.queryId)).length, queries: new Set(subset.map((e) => e.queryId)).size, ndcg_cut_10: ar.metrics.all.ndcg_cut_10, delta: cc.meanDiff, ci95: cc.ci95, p_value: cc.pValue, bestEpoch };
    return { p, run: ar };
  };
  const learning_curve: LearningPoint[] = [];
  const real_curve: LearningPoint[] = [];
  let effect: SyntheticCurves['effect'] = null;
  for (const share of shares) {
    if (kind !== 'mixed') {
      learning_curve.push((await point(share, nested(fit, share), '')).p);
      continue;
    }
    const real = nested(realFit, share);
    const inReal = new Set(real);
    const withSynthetic = await point(share, fit.filter((e) => inReal.has(e) || syntheticIds.has(e.queryId)), ' with synthetic queries');
    const without = await point(share, real, ' real queries only');
    learning_curve.push(withSynthetic.p);
    real_curve.push(without.p);
    if (share >= 1) {
      const e = compareRuns(without.run.metrics.perQuery, withSynthetic.run.metrics.perQuery, 'ndcg_cut_10', { seed: o.seed });
      effect = { real_pairs: real.length, synthetic_pairs: synthFit.length, delta: e.meanDiff, ci95: e.ci95, p_value: e.pValue };
    }
  }
  const syntheticHeld = heldOut.filter((e) => syntheticIds.has(e.queryId)).length;
  const synthetic: SyntheticCurves = {
    kind,
    queries: new Set(synthFit.map((e) => e.queryId)).size,
    fit_pairs: synthFit.length,
    real_fit_pairs: realFit.length,
    held_out_pairs: syntheticHeld,
    basis: curveBasis(kind),
    real_curve,
    effect,
    reading: '',
  };
  synthetic.reading = readSyntheticCurves(synthetic, learning_curve);

  // Adapter cost: the multiply over every eval query's vector, median of per-query times.
  const vectors = await Promise.all(evalQueries.map((q) => index.embedQuery(q.text)));
  const times: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    for (const v of vectors) {
      t = performance.now();
      adapter.apply(v);
      times.push(performance.now() - t);
    }
  }
  times.sort((x, y) => x - y);

  const { adapter: _a, ...trainingInfo } = trained;
  const result: TrialResult = {
    model: { ...model, provider: info.provider },
    level: o.level,
    seed: o.seed,
    split_source: splitSource,
    train_queries: trainQueries.length,
    held_out_queries: heldIds.size,
    eval_queries: baselineRun.qrels.size,
    labeled_pairs: labeledPairs,
    unused_pairs: { no_positive_chunk: labeledPairs - pairs.length, no_vector: pairs.length - examples.length },
    train_pairs: fit.length,
    held_out_pairs: heldOut.length,
    hard_negatives: examples.reduce((s, e) => s + e.negatives.length, 0),
    training_hash: trainingHash(pairs),
    training: { ...trainingInfo, settings, mining, miningMs, distanceFromIdentity: adapter.distanceFromIdentity() },
    ...dense,
    hybrid,
    other_level,
    worsened,
    improved,
    train_vs_eval: { train_baseline: trBase.metrics.all.ndcg_cut_10, train_adapted: trAdapted.metrics.all.ndcg_cut_10, train_delta: trainDelta, eval_delta: dense.delta, gap: trainDelta - dense.delta },
    learning_curve,
    learning_reading: readCurve(learning_curve),
    synthetic,
    adapter_cost: { multiply_adds: model.dims * model.dims, us_per_query: times.length ? 1000 * times[Math.floor(times.length / 2)] : 0, weights_bytes: model.dims * model.dims * 4 },
  };
  return { result, adapter, adaptedRun, baselineRun };
}

function measures(r: EvaluationResult): Measures {
  return Object.fromEntries(TRIAL_MEASURES.map((m) => [m, r.metrics.all[m] ?? 0])) as Measures;
}

function paired(base: EvaluationResult, adapted: EvaluationResult, seed: number): PairedGain {
  const c = compareRuns(base.metrics.perQuery, adapted.metrics.perQuery, 'ndcg_cut_10', { seed });
  const by_measure = Object.fromEntries(
    TRIAL_MEASURES.map((m) => {
      const x = compareRuns(base.metrics.perQuery, adapted.metrics.perQuery, m, { seed });
      return [m, { delta: x.meanDiff, ci95: x.ci95, p_value: x.pValue }];
    }),
  ) as PairedGain['by_measure'];
  return { baseline: measures(base), adapted: measures(adapted), delta: c.meanDiff, ci95: c.ci95, p_value: c.pValue, queries: c.queries, sd_diff: c.sdDiff, wins: c.wins.length, losses: c.losses.length, ties: c.ties, by_measure };
}

/** Vectors for the mined pairs; every chunk labeled relevant for a query is masked as its negative, in-batch too. */
async function toExamples(index: RetrievalIndex, trainQueries: EvalQuery[], pairs: TrainingPair[]): Promise<TrainingExample[]> {
  const vectors = index.vectors;
  if (!vectors) return [];
  const relevant = new Map<string, Set<string>>();
  for (const q of trainQueries) {
    const ids = new Set<string>();
    for (const j of q.judgments) {
      if (j.grade < 1) continue;
      for (const c of index.chunksOf(j.target.docId) as Chunk[]) if (j.target.type === 'document' || spanOverlapsChunk(j.target, c)) ids.add(c.id);
    }
    relevant.set(q.id, ids);
  }
  const out: TrainingExample[] = [];
  for (const p of pairs) {
    const pos = vectors.get(p.positiveChunkId);
    if (!pos) continue;
    const query = await index.embedQuery(p.anchor);
    out.push({
      queryId: p.queryId,
      query: Float32Array.from(query),
      positiveId: p.positiveChunkId,
      positive: Float32Array.from(pos),
      negatives: p.negatives.flatMap((n) => {
        const v = vectors.get(n.chunkId);
        return v ? [{ id: n.chunkId, vector: Float32Array.from(v) }] : [];
      }),
      relevantIds: relevant.get(p.queryId) ?? new Set([p.positiveChunkId]),
    });
  }
  return out;
}

export function trainingHash(pairs: Array<{ queryId: string; positiveChunkId: string }>): string {
  const rows = pairs.map((p) => `${p.queryId}\u0000${p.positiveChunkId}`).sort();
  return crypto.createHash('sha256').update(rows.join('\n')).digest('hex');
}

/** The full gain in the words the readiness checklist uses: above zero only when the CI and the test agree. */
function fullGain(c: { ci95: [number, number]; p_value: number }): string {
  if (c.ci95[0] > 0 && c.p_value <= 0.05) return `the full gain is above zero (CI above zero, p = ${c.p_value.toFixed(3)})`;
  if (c.ci95[0] > 0) return `the full gain's bootstrap CI lies above zero but the randomization test does not confirm it (p = ${c.p_value.toFixed(3)})`;
  return 'the full gain is not clearly above zero';
}

/**
 * A plain reading of the learning curve: does the gain still grow from half the pairs to all of them, by more than
 * the noise (the full-data CI's half width)? Says when the points cannot be told apart.
 */
export function readCurve(curve: TrialResult['learning_curve']): string {
  if (curve.length < 2) return 'one point only: no learning curve to read';
  const last = curve[curve.length - 1];
  const prev = curve[curve.length - 2];
  // The same noise decision pairsNeeded reads the curve by.
  const { step, half, insideNoise } = lastStep(curve) as NonNullable<ReturnType<typeof lastStep>>;
  const fmt = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const pts = curve.map((c) => `${Math.round(c.share * 100)}% ${fmt(c.delta)}`).join(', ');
  if (last.ci95[1] <= 0) return `No gain at any size (${pts}); the full adapter's CI lies at or below zero. More labels of the same kind are unlikely to turn this around quickly.`;
  if (insideNoise) {
    return `Gain ${pts}: the step from ${Math.round(prev.share * 100)}% to 100% (${fmt(step)}) is inside the noise (CI half width ±${half.toFixed(3)}), so the curve cannot tell whether more labels help; ${fullGain(last)}.`;
  }
  if (step > 0) return `Gain ${pts}: still rising from ${Math.round(prev.share * 100)}% to 100% by more than the noise (±${half.toFixed(3)}): more labeled pairs look likely to help.`;
  return `Gain ${pts}: lower with all pairs than with ${Math.round(prev.share * 100)}%, by more than the noise (±${half.toFixed(3)}): more pairs of this kind are not helping; check the labels or the held-out stopping.`;
}

/** How the learning curve(s) were built, in one sentence: the choice SyntheticCurves documents. */
export function curveBasis(kind: SyntheticCurves['kind']): string {
  if (kind === 'none') return 'no synthetic queries in the train split: one learning curve, shares of the fit pairs';
  if (kind === 'all') return 'every fit pair is on a synthetic query: one learning curve (shares of the synthetic pairs), no real-only curve';
  return 'shares of the real fit pairs: at each share the real-only adapter fits those real pairs, the adapter with synthetic queries fits the same real pairs plus every synthetic pair; early stopping on real train queries only; both against the same dense baseline on the same eval queries';
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
const signed3 = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/**
 * A plain reading of the two curves: at equal real pairs, does adding the synthetic queries help? Judged at 100% of
 * the real pairs by the paired comparison of the two adapters on the eval queries (randomization p and bootstrap CI,
 * as the gain itself): a help or a harm only when the CI excludes zero and p ≤ 0.05, else "inside the noise".
 */
export function readSyntheticCurves(s: Pick<SyntheticCurves, 'kind' | 'queries' | 'fit_pairs' | 'real_fit_pairs' | 'real_curve' | 'effect'>, withCurve: LearningPoint[]): string {
  if (s.kind === 'none') return 'No synthetic (generate-queries) queries among the training pairs: one learning curve, over real pairs.';
  if (s.kind === 'all') return `All ${s.fit_pairs} fit pairs are on synthetic (generate-queries) queries: there is no real-only curve to compare with; label some real train queries to see what the synthetic ones add.`;
  const points = withCurve
    .map((w, i) => {
      const r = s.real_curve[i];
      return r ? `${pct(w.share)} of the real pairs: ${signed3(w.delta)} with, ${signed3(r.delta)} without` : '';
    })
    .filter(Boolean)
    .join('; ');
  const e = s.effect;
  if (!e) return `With and without the ${s.fit_pairs} synthetic pairs (${points}); no 100% point was computed, so the two adapters are not compared.`;
  const fig = `${signed3(e.delta)} (95% CI [${signed3(e.ci95[0])}, ${signed3(e.ci95[1])}], p = ${e.p_value.toFixed(3)})`;
  const head = `Adding the ${e.synthetic_pairs} synthetic pairs (${s.queries} ${s.queries === 1 ? 'query' : 'queries'}) to the ${e.real_pairs} real ones changes the adapted dense nDCG@10 by ${fig}`;
  const tail = ` Gain over dense by share (${points}).`;
  if (e.ci95[0] > 0 && e.p_value <= 0.05) return `${head}: at equal real pairs the synthetic queries help.${tail}`;
  if (e.ci95[1] < 0 && e.p_value <= 0.05) return `${head}: at equal real pairs the synthetic queries hurt; train without them (the training export marks them, "source": "synthetic").${tail}`;
  return `${head}: inside the noise, so these eval queries cannot tell whether the synthetic queries help at equal real pairs.${tail}`;
}

/**
 * For a folder without a train split: a deterministic split by a hash of each query id (and the seed), so the
 * same queries land in train on every machine regardless of file order. Returns the queries with `split` set.
 */
export function assignTrainSplit(queries: EvalQuery[], trainShare: number, seed = 42): EvalQuery[] {
  const key = (q: EvalQuery) => crypto.createHash('sha256').update(`${seed}\u0000${q.id}`).digest('hex');
  const order = [...queries].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const nTrain = Math.round(trainShare * queries.length);
  const train = new Set(order.slice(0, nTrain).map((q) => q.id));
  return queries.map((q) => ({ ...q, split: train.has(q.id) ? 'train' : 'eval' }));
}
