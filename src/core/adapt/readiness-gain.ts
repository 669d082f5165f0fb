import type { EvalQuery } from '../eval/evalset-types';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import { TrialInputError, trialFineTune, type TrialOptions } from './trial-finetune';

/** The readiness report's "expected gain from adapting the model": a query adapter trained and measured for it. */
export interface AdapterGain {
  measured: boolean;
  /** Why it was not measured (no train split, no embedding model…). */
  reason?: string;
  level: 'doc' | 'chunk';
  trainPairs: number;
  evalQueries: number;
  baseline: number;
  adapted: number;
  delta: number;
  ci95: [number, number];
  pValue: number;
  hybridDelta: number | null;
  hybridPValue: number | null;
  worsened: number;
  improved: number;
  trainEvalGap: number;
  learningReading: string;
  usPerQuery: number;
  multiplyAdds: number;
  trainingSeconds: number;
}

const EMPTY: Omit<AdapterGain, 'measured' | 'reason' | 'level'> = { trainPairs: 0, evalQueries: 0, baseline: 0, adapted: 0, delta: 0, ci95: [0, 0], pValue: 1, hybridDelta: null, hybridPValue: null, worsened: 0, improved: 0, trainEvalGap: 0, learningReading: '', usPerQuery: 0, multiplyAdds: 0, trainingSeconds: 0 };

/** Trains a query adapter on the train split and measures it on the eval split (dense nDCG@10), for the report. */
export async function measureAdapterGain(index: RetrievalIndex, queries: EvalQuery[], options: Partial<TrialOptions> = {}): Promise<AdapterGain> {
  const level = options.level ?? 'chunk';
  try {
    const { result: r } = await trialFineTune(index, queries, { curve: [0.5, 1], ...options, level });
    return {
      measured: true,
      level,
      trainPairs: r.train_pairs,
      evalQueries: r.eval_queries,
      baseline: r.baseline.ndcg_cut_10,
      adapted: r.adapted.ndcg_cut_10,
      delta: r.delta,
      ci95: r.ci95,
      pValue: r.p_value,
      hybridDelta: r.hybrid?.delta ?? null,
      hybridPValue: r.hybrid?.p_value ?? null,
      worsened: r.worsened.length,
      improved: r.improved.length,
      trainEvalGap: r.train_vs_eval.gap,
      learningReading: r.learning_reading,
      usPerQuery: r.adapter_cost.us_per_query,
      multiplyAdds: r.adapter_cost.multiply_adds,
      trainingSeconds: r.training.ms / 1000,
    };
  } catch (e) {
    if (e instanceof TrialInputError) return { measured: false, reason: e.message, level, ...EMPTY };
    throw e;
  }
}

const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** "Does the expected gain justify cost and latency": yes only when the adapter's gain is clearly above zero. */
export function adapterChecklistItem(g: AdapterGain, reembed: string): { item: string; ok: boolean; detail: string } {
  const item = 'Expected gain justifies cost and latency';
  if (!g.measured) return { item, ok: false, detail: `not measured: ${g.reason}` };
  const cost = `one ${Math.round(Math.sqrt(g.multiplyAdds))}×${Math.round(Math.sqrt(g.multiplyAdds))} multiply per query (${g.usPerQuery.toFixed(0)} µs measured), no re-embedding; a fine-tuned model costs re-embedding (${reembed}) and serving it`;
  const gain = `query adapter ${sign(g.delta)} nDCG@10 (95% CI [${sign(g.ci95[0])}, ${sign(g.ci95[1])}], p = ${g.pValue.toFixed(3)}) on ${g.evalQueries} eval queries, ${g.worsened} made worse`;
  return { item, ok: g.ci95[0] > 0, detail: `${gain}; ${cost}${g.ci95[0] > 0 ? '' : ': the gain is not clearly above zero'}` };
}

/** The verdict's line about it. */
export function adapterVerdictReason(g: AdapterGain): string {
  if (!g.measured) return `Expected gain from adapting the model not measured: ${g.reason}`;
  const ci = `95% CI [${sign(g.ci95[0])}, ${sign(g.ci95[1])}], p = ${g.pValue.toFixed(3)}`;
  if (g.ci95[0] > 0) return `A query adapter trained on ${g.trainPairs} train pairs gains ${sign(g.delta)} dense nDCG@10 on the eval split (${ci}) for ${g.usPerQuery.toFixed(0)} µs per query: try it before training a model`;
  return `A query adapter trained on ${g.trainPairs} train pairs gains ${sign(g.delta)} dense nDCG@10 on the eval split (${ci}): adapting the model shows no clear gain on these labels yet`;
}

/** The report's section, as Markdown lines. */
export function renderAdapterGainMarkdown(g: AdapterGain): string[] {
  const L = ['', '## Expected gain from adapting the model', ''];
  if (!g.measured) return [...L, `Not measured: ${g.reason}.`];
  L.push(
    `A query adapter (a linear map of the query vector, trained on ${g.trainPairs} labeled pairs of the train split with mined hard negatives; the corpus is not re-embedded), measured on ${g.evalQueries} eval queries at ${g.level} level:`,
    '',
    '| | nDCG@10 | Δ | 95% CI | p |',
    '| --- | ---: | ---: | --- | ---: |',
    `| dense | ${g.baseline.toFixed(3)} | — | | |`,
    `| dense + adapter | ${g.adapted.toFixed(3)} | ${sign(g.delta)} | [${sign(g.ci95[0])}, ${sign(g.ci95[1])}] | ${g.pValue.toFixed(3)} |`,
  );
  if (g.hybridDelta !== null) L.push(`| hybrid + adapter (vs hybrid) | | ${sign(g.hybridDelta)} | | ${(g.hybridPValue ?? 1).toFixed(3)} |`);
  L.push(
    '',
    `${g.improved} eval queries improved, ${g.worsened} got worse. Train-vs-eval gap ${sign(g.trainEvalGap)}. ${g.learningReading}`,
    `Cost: ${g.multiplyAdds.toLocaleString('en-US')} multiply-adds per query (${g.usPerQuery.toFixed(0)} µs measured); training took ${g.trainingSeconds.toFixed(1)} s.`,
  );
  return L;
}
