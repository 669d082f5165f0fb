import { evaluate } from '../eval/evaluate';
import type { Level } from '../eval/label-level';
import type { MetricsResult } from '../eval/metrics';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { RetrieverName } from '../retrieve/types';
import { targetJudgeLabels, type AgreementSummary, type AgreementTarget } from './agreement-summary';
import { withJudgeGrades } from './judge-labels';

/**
 * Figures that rest on judge labels, beside the human-only ones — only for a judge validated by VALIDATION_RULE.
 * The baseline is scored again on the eval split with the judge's grades added where no human grade covers the
 * passage (withJudgeGrades: a human grade always wins), at each level the report scores; the line names it
 * "judge-labelled" and gives the human-only figure and both query counts beside it. An unvalidated judge gives none.
 */
export interface JudgeLabelledFigure {
  judge: string;
  level: Level;
  retriever: string;
  labels: 'human + judge';
  ndcg_cut_10: number;
  recall_k: number;
  queries: number;
  human: { ndcg_cut_10: number; recall_k: number; queries: number };
  line: string;
}

export async function judgeLabelledBaseline(
  index: RetrievalIndex,
  target: AgreementTarget,
  agreement: AgreementSummary[] | undefined,
  o: { retriever: RetrieverName; levels: Level[]; k: number; human: Partial<Record<Level, MetricsResult>> },
): Promise<JudgeLabelledFigure[]> {
  const validated = agreement?.find((a) => a.validated);
  if (!validated) return [];
  const { labels } = targetJudgeLabels(target);
  const queries = withJudgeGrades(target.queries, labels, validated.judge);
  const out: JudgeLabelledFigure[] = [];
  for (const level of o.levels) {
    const human = o.human[level];
    if (!human) continue;
    const r = await evaluate(index, queries, { retriever: o.retriever, level, cutoffs: [o.k, 10], split: 'eval' });
    const f = { ndcg_cut_10: r.metrics.all.ndcg_cut_10, recall_k: r.metrics.all[`recall_${o.k}`], queries: Object.keys(r.metrics.perQuery).length };
    const h = { ndcg_cut_10: human.all.ndcg_cut_10, recall_k: human.all[`recall_${o.k}`], queries: Object.keys(human.perQuery).length };
    out.push({
      judge: validated.judge,
      level,
      retriever: o.retriever,
      labels: 'human + judge',
      ...f,
      human: h,
      line: `Judge-labelled (human + ${validated.judge} labels, validated): ${o.retriever} at ${level} level nDCG@10 ${f.ndcg_cut_10.toFixed(3)}, Recall@${o.k} ${f.recall_k.toFixed(3)} on ${f.queries} eval queries — human labels only: ${h.ndcg_cut_10.toFixed(3)}, ${h.recall_k.toFixed(3)} on ${h.queries}`,
    });
  }
  return out;
}
