import { checklistItem, combineStates, DEFAULT_GAIN_RULE, judgeGain, type ChecklistItem, type GainJudgement, type GainRule } from '../eval/evidence-bar';
import { pairsSentence, type PairAccounting } from './trial-report';
import type { EvalQuery } from '../eval/evalset-types';
import type { Level } from '../eval/label-level';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import { TrialInputError, trialFineTune, type LearningPoint, type SyntheticCurves, type TrialOptions } from './trial-finetune';
import { labelsNeededFrom, type LabelsNeeded } from '../judge/labels-needed';
import { pairsNeeded, type PairsNeeded } from './pairs-needed';

/** The readiness report's "expected gain from adapting the model": a query adapter trained and measured for it. */
export interface AdapterGain extends Omit<LevelGain, 'level' | 'sdDiff'> {
  measured: boolean;
  /** Why it was not measured (no train split, no embedding model…). */
  reason?: string;
  level: 'doc' | 'chunk';
  /** Pairs the adapter was fitted on (see `pairs` for how they relate to the labeled ones). */
  trainPairs: number;
  /** Labeled train pairs and how the trial used them. */
  pairs?: PairAccounting;
  /** Sample SD of the per-query nDCG@10 differences (for the power estimate). */
  sdDiff?: number;
  /** A mixed eval set: the same adapter measured at the other level too. */
  otherLevel?: LevelGain;
  hybridDelta: number | null;
  hybridPValue: number | null;
  worsened: number;
  improved: number;
  trainEvalGap: number;
  /** The learning curve's reading, then (when the train split holds synthetic queries) the with/without comparison's. */
  learningReading: string;
  /**
   * The learning curve with synthetic (generate-queries) queries and on real queries only, at the same shares of the
   * real pairs (trial-finetune's SyntheticCurves); absent when no fit pair is synthetic.
   */
  syntheticCurves?: { kind: 'mixed' | 'all'; basis: string; withSynthetic: CurvePoint[]; realOnly: CurvePoint[]; effect: SyntheticCurves['effect']; reading: string };
  usPerQuery: number;
  multiplyAdds: number;
  trainingSeconds: number;
  /** The training pairs needed for another +0.02, read from the learning curve (pairs-needed.ts), when it ran. */
  pairsNeeded?: PairsNeeded;
}

/** One learning-curve point as the report shows it. */
export interface CurvePoint {
  share: number;
  pairs: number;
  syntheticPairs: number;
  delta: number;
  ci95: [number, number];
  pValue: number;
}

const curvePoint = (p: LearningPoint): CurvePoint => ({ share: p.share, pairs: p.pairs, syntheticPairs: p.synthetic_pairs, delta: p.delta, ci95: p.ci95, pValue: p.p_value });

/** The dense gain at one level. */
export interface LevelGain {
  level: Level;
  evalQueries: number;
  baseline: number;
  adapted: number;
  delta: number;
  ci95: [number, number];
  pValue: number;
  sdDiff: number;
}

const EMPTY: Omit<AdapterGain, 'measured' | 'reason' | 'level'> = { trainPairs: 0, evalQueries: 0, baseline: 0, adapted: 0, delta: 0, ci95: [0, 0], pValue: 1, hybridDelta: null, hybridPValue: null, worsened: 0, improved: 0, trainEvalGap: 0, learningReading: '', usPerQuery: 0, multiplyAdds: 0, trainingSeconds: 0 };

/** Trains a query adapter on the train split and measures it on the eval split (dense nDCG@10), for the report. */
export async function measureAdapterGain(index: RetrievalIndex, queries: EvalQuery[], options: Partial<TrialOptions> = {}): Promise<AdapterGain> {
  const level = options.level ?? 'chunk';
  try {
    const { result: r } = await trialFineTune(index, queries, { curve: [0.25, 0.5, 1], ...options, level });
    return {
      measured: true,
      level,
      trainPairs: r.train_pairs,
      pairs: { labeled: r.labeled_pairs, used: { fit: r.train_pairs, heldOut: r.held_out_pairs, heldOutQueries: r.held_out_queries, noPositiveChunk: r.unused_pairs.no_positive_chunk, noVector: r.unused_pairs.no_vector } },
      evalQueries: r.eval_queries,
      baseline: r.baseline.ndcg_cut_10,
      adapted: r.adapted.ndcg_cut_10,
      delta: r.delta,
      ci95: r.ci95,
      pValue: r.p_value,
      sdDiff: r.sd_diff,
      ...(r.other_level
        ? { otherLevel: { level: r.other_level.level, evalQueries: r.other_level.eval_queries, baseline: r.other_level.dense.baseline.ndcg_cut_10, adapted: r.other_level.dense.adapted.ndcg_cut_10, delta: r.other_level.dense.delta, ci95: r.other_level.dense.ci95, pValue: r.other_level.dense.p_value, sdDiff: r.other_level.dense.sd_diff } }
        : {}),
      hybridDelta: r.hybrid?.delta ?? null,
      hybridPValue: r.hybrid?.p_value ?? null,
      worsened: r.worsened.length,
      improved: r.improved.length,
      trainEvalGap: r.train_vs_eval.gap,
      learningReading: r.synthetic.kind === 'none' ? r.learning_reading : `${r.learning_reading} ${r.synthetic.reading}`,
      ...(r.synthetic.kind !== 'none'
        ? { syntheticCurves: { kind: r.synthetic.kind, basis: r.synthetic.basis, withSynthetic: r.learning_curve.map(curvePoint), realOnly: r.synthetic.real_curve.map(curvePoint), effect: r.synthetic.effect, reading: r.synthetic.reading } }
        : {}),
      usPerQuery: r.adapter_cost.us_per_query,
      multiplyAdds: r.adapter_cost.multiply_adds,
      trainingSeconds: r.training.ms / 1000,
      pairsNeeded: pairsNeeded(r.learning_curve),
    };
  } catch (e) {
    if (e instanceof TrialInputError) return { measured: false, reason: e.message, level, ...EMPTY };
    throw e;
  }
}

const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The gain at each level it was measured at: the report's level first, the other level of a mixed set next. */
export function levelGains(g: AdapterGain): LevelGain[] {
  const first: LevelGain = { level: g.level, evalQueries: g.evalQueries, baseline: g.baseline, adapted: g.adapted, delta: g.delta, ci95: g.ci95, pValue: g.pValue, sdDiff: g.sdDiff ?? NaN };
  return g.otherLevel ? [first, g.otherLevel] : [first];
}

const LEVEL_WORD: Record<Level, string> = { chunk: 'chunk level', doc: 'document level' };

/** The adapter gain judged by the rule (eval/evidence-bar.ts) at every level it was measured at. */
export function judgeAdapterGain(g: AdapterGain, rule: GainRule = DEFAULT_GAIN_RULE): { state: ChecklistItem['state']; levels: Array<LevelGain & { judgement: GainJudgement }>; settle?: string } {
  const levels = levelGains(g).map((l) => ({ ...l, judgement: judgeGain({ delta: l.delta, ci95: l.ci95, pValue: l.pValue, n: l.evalQueries, sdDiff: l.sdDiff }, rule) }));
  const state = combineStates(levels.map((l) => l.judgement.state));
  // The level that needs the most queries decides what would settle it.
  const open = levels.filter((l) => l.judgement.state === 'not-settled').sort((a, b) => b.judgement.more - a.judgement.more)[0];
  const settle = state === 'not-settled' && open?.judgement.settle ? (levels.length > 1 ? `at ${LEVEL_WORD[open.level]}: ${open.judgement.settle}` : open.judgement.settle) : undefined;
  return { state, levels, ...(settle ? { settle } : {}) };
}

const gainFigure = (l: LevelGain, many: boolean) => `${sign(l.delta)} nDCG@10 (95% CI [${sign(l.ci95[0])}, ${sign(l.ci95[1])}], p = ${l.pValue.toFixed(3)}) on ${l.evalQueries} eval queries${many ? ` at ${LEVEL_WORD[l.level]}` : ''}`;

/**
 * "Does the expected gain justify cost and latency": ticked only when the paired randomization test and the
 * bootstrap CI agree the adapter gains (p ≤ 0.05 AND the CI's lower bound > 0) on at least 30 eval queries, at every
 * level the labels are scored at (eval/evidence-bar.ts: judgeGain). Too few queries, or the two disagreeing, leave it
 * not settled, with how many more eval queries a power estimate asks for.
 */
export function adapterChecklistItem(g: AdapterGain, reembed: string, rule: GainRule = DEFAULT_GAIN_RULE): ChecklistItem {
  const item = 'Expected gain justifies cost and latency';
  const bar = `p ≤ ${rule.alpha} (paired randomization test) and 95% bootstrap CI lower bound > 0, on at least ${rule.minQueries} eval queries${g.otherLevel ? ', at every level scored' : ''}`;
  if (!g.measured) return checklistItem(item, 'not-settled', `not measured: ${g.reason}`, { figure: 'not measured', bar }, 'give the eval set a train split so a query adapter can be trained and measured');
  const j = judgeAdapterGain(g, rule);
  const many = j.levels.length > 1;
  const cost = `one ${Math.round(Math.sqrt(g.multiplyAdds))}×${Math.round(Math.sqrt(g.multiplyAdds))} multiply per query (${g.usPerQuery.toFixed(0)} µs measured), no re-embedding; a fine-tuned model costs re-embedding (${reembed}) and serving it`;
  const gains = j.levels.map((l) => gainFigure(l, many)).join('; ');
  const why = j.levels.map((l) => (many ? `${LEVEL_WORD[l.level]}: ${l.judgement.why}` : l.judgement.why)).join('; ');
  const verdictWord = j.state === 'met' ? 'the gain is shown' : j.state === 'not-met' ? 'not justified' : 'not settled';
  const detail = `query adapter ${gains}, ${g.worsened} made worse; ${cost}: ${verdictWord} — ${why}`;
  const first = j.levels[0];
  const figure = j.levels.map((l) => `${sign(l.delta)} nDCG@10${many ? ` at ${LEVEL_WORD[l.level]}` : ''}`).join('; ');
  return checklistItem(item, j.state, detail, { figure, n: first.evalQueries, nOf: 'eval queries', p: first.pValue, ci95: first.ci95, bar }, j.settle);
}

/** The verdict's line about it: the same judgement as the checklist item, so the two never disagree. */
export function adapterVerdictReason(g: AdapterGain, rule: GainRule = DEFAULT_GAIN_RULE): string {
  if (!g.measured) return `Expected gain from adapting the model not measured: ${g.reason}`;
  const j = judgeAdapterGain(g, rule);
  const many = j.levels.length > 1;
  const used = g.pairs ? pairsSentence(g.pairs) : `${g.trainPairs} train pairs`;
  const gains = j.levels.map((l) => gainFigure(l, many)).join('; ');
  const head = `A query adapter (${used}) changes dense retrieval on the eval split by ${gains}`;
  if (j.state === 'met') return `${head} for ${g.usPerQuery.toFixed(0)} µs per query: the gain is shown; try it before training a model`;
  if (j.state === 'not-met') return `${head}: adapting the model shows no gain on these labels`;
  return `${head}: not settled — ${j.levels.map((l) => (many ? `${LEVEL_WORD[l.level]}: ${l.judgement.why}` : l.judgement.why)).join('; ')}${j.settle ? `; to settle: ${j.settle}` : ''}`;
}

/** The report's section, as Markdown lines. */
export function renderAdapterGainMarkdown(g: AdapterGain): string[] {
  const L = ['', '## Expected gain from adapting the model', ''];
  if (!g.measured) return [...L, `Not measured: ${g.reason}.`];
  L.push(
    `A query adapter (a linear map of the query vector, trained with mined hard negatives; the corpus is not re-embedded; ${g.pairs ? pairsSentence(g.pairs) : `${g.trainPairs} labeled pairs of the train split`}), measured on ${g.evalQueries} eval queries at ${g.level} level:`,
    '',
    '| | nDCG@10 | Δ | 95% CI | p |',
    '| --- | ---: | ---: | --- | ---: |',
    `| dense | ${g.baseline.toFixed(3)} | — | | |`,
    `| dense + adapter | ${g.adapted.toFixed(3)} | ${sign(g.delta)} | [${sign(g.ci95[0])}, ${sign(g.ci95[1])}] | ${g.pValue.toFixed(3)} |`,
  );
  if (g.hybridDelta !== null) L.push(`| hybrid + adapter (vs hybrid) | | ${sign(g.hybridDelta)} | | ${(g.hybridPValue ?? 1).toFixed(3)} |`);
  if (g.otherLevel) {
    const o = g.otherLevel;
    L.push(`| dense at ${o.level} level (${o.evalQueries} queries) | ${o.baseline.toFixed(3)} | — | | |`, `| dense + adapter at ${o.level} level | ${o.adapted.toFixed(3)} | ${sign(o.delta)} | [${sign(o.ci95[0])}, ${sign(o.ci95[1])}] | ${o.pValue.toFixed(3)} |`);
  }
  L.push(
    '',
    `${g.improved} eval queries improved, ${g.worsened} got worse. Train-vs-eval gap ${sign(g.trainEvalGap)}. ${g.learningReading}`,
  );
  const sc = g.syntheticCurves;
  if (sc?.kind === 'mixed') {
    L.push('', `Learning curve with and without the synthetic (generate-queries) queries (${sc.basis}):`, '', '| Share of real pairs | with synthetic queries | real queries only |', '| ---: | --- | --- |');
    const cell = (p: CurvePoint | undefined) => (p ? `${sign(p.delta)} [${sign(p.ci95[0])}, ${sign(p.ci95[1])}] (${p.pairs} pairs${p.syntheticPairs ? `, ${p.syntheticPairs} synthetic` : ''})` : '—');
    sc.withSynthetic.forEach((p, i) => L.push(`| ${Math.round(p.share * 100)}% | ${cell(p)} | ${cell(sc.realOnly[i])} |`));
    L.push('');
  }
  L.push(
    `Cost: ${g.multiplyAdds.toLocaleString('en-US')} multiply-adds per query (${g.usPerQuery.toFixed(0)} µs measured); training took ${g.trainingSeconds.toFixed(1)} s.`,
  );
  return L;
}

/**
 * The report's "How many labels are enough": the eval queries a paired test needs to detect the stated +0.02 nDCG@10
 * and the adapter's measured gain, from the adapter's paired per-query differences (adapted − baseline dense on the
 * eval split: n, mean, SD; judge/labels-needed.ts, the normal approximation), and the training pairs the learning
 * curve asks for (pairs-needed.ts). Without a measured adapter there is no figure, only why.
 */
export interface ReadinessLabelsNeeded {
  measured: boolean;
  /** Why there is no figure (the adapter trial did not run or could not measure). */
  reason?: string;
  /** The per-query differences the figures rest on: the report's level, eval queries, mean and sample SD. */
  basis?: { level: Level; n: number; mean: number; sd: number };
  /** To detect the stated +0.02, then (when the adapter gains) its measured gain. */
  evalQueries: LabelsNeeded[];
  /** The method and its assumptions, in one line. */
  method?: string;
  /** "label about 60 more eval queries to tell whether the adapter's +0.031 is real". */
  headline: string;
  /** From the learning curve; absent when the adapter was not measured. */
  trainingPairs?: PairsNeeded;
}

export function readinessLabelsNeeded(g: AdapterGain | undefined, notRun = 'the adapter trial did not run'): ReadinessLabelsNeeded {
  const none = (reason: string): ReadinessLabelsNeeded => ({ measured: false, reason, evalQueries: [], headline: `not estimated: ${reason}` });
  if (!g) return none(notRun);
  if (!g.measured) return none(`the adapter was not measured (${g.reason})`);
  if (g.sdDiff === undefined || !Number.isFinite(g.sdDiff)) return none('the spread of the adapter\'s per-query differences was not recorded');
  const basis = { level: g.level, n: g.evalQueries, mean: g.delta, sd: g.sdDiff };
  const evalQueries = labelsNeededFrom(basis);
  const stated = evalQueries.find((x) => x.kind === 'stated') as LabelsNeeded;
  const measured = evalQueries.find((x) => x.kind === 'measured');
  let headline: string;
  if (basis.n < 2) headline = `unknown: the spread of the per-query differences needs at least 2 eval queries (${basis.n} now)`;
  else if (!measured) headline = `the adapter shows no gain (${sign(basis.mean)}) to tell apart from zero; to detect ${sign(stated.delta)}: ${stated.more > 0 ? `label about ${stated.more} more eval queries` : `the ${basis.n} eval queries are enough`} (about ${stated.queries} in all)`;
  else if (measured.more > 0) headline = `label about ${measured.more} more eval queries to tell whether the adapter's ${sign(measured.delta)} is real (about ${measured.queries} in all, ${basis.n} now)`;
  else headline = `the ${basis.n} eval queries are enough to tell whether the adapter's ${sign(measured.delta)} is real (about ${measured.queries} needed)`;
  return { measured: true, basis, evalQueries, method: stated.method, headline, ...(g.pairsNeeded ? { trainingPairs: g.pairsNeeded } : {}) };
}

/** The lines of the "How many labels are enough" section (Markdown and the view), without a heading. */
export function labelsNeededLines(l: ReadinessLabelsNeeded): string[] {
  if (!l.measured || !l.basis) return [`Not estimated: ${l.reason}.`];
  const b = l.basis;
  return [
    `${l.headline[0].toUpperCase()}${l.headline.slice(1)}.`,
    ...l.evalQueries.map((x) => `Eval queries ${x.summary}.`),
    `Method: ${l.method}; from the adapter's ${b.n} paired per-query nDCG@10 differences (adapted − baseline dense, eval split, ${b.level} level: mean ${sign(b.mean)}, SD ${b.sd.toFixed(3)}).`,
    ...(l.trainingPairs ? [`${l.trainingPairs.line[0].toUpperCase()}${l.trainingPairs.line.slice(1)}.`] : []),
  ];
}
