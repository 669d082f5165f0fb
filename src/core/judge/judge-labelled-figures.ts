import type { Level } from '../eval/label-level';

/** One scored configuration as the readiness report rows carry it (diagnose's ConfigResult has this shape). */
export interface ScoredConfiguration {
  label: string;
  level: Level;
  what: string;
  ndcg_cut_10: number;
  recall_k: number;
  gain: number;
  pValue: number;
  queries: number;
}

/**
 * A figure that rests on judge labels, beside the human-only one — only for a judge validated by VALIDATION_RULE.
 * Every configuration the readiness report scores (the baseline and each fix: hybrid, keyword, rerank, other
 * chunkers and models, no filters) is scored again on the eval split with the judge's grades added where no human
 * grade covers the passage (withJudgeGrades: a human grade always wins), at each level the report scores; the
 * figure names its labels ("human + <judge> labels") and carries the same row scored on human labels only
 * (`human`, null when human labels do not reach that level). An unvalidated judge gives none.
 */
export interface JudgeLabelledFigure {
  judge: string;
  level: Level;
  /** The configuration: the baseline's retriever name for the baseline row, else the row's label. */
  retriever: string;
  /** The configuration row's label and kind, as in the report's `configs`. */
  label: string;
  what: string;
  labels: 'human + judge';
  ndcg_cut_10: number;
  recall_k: number;
  /** Δ nDCG@10 against the baseline scored on the same labels, and its paired randomization p-value. */
  gain: number;
  pValue: number;
  queries: number;
  human: { ndcg_cut_10: number; recall_k: number; gain: number; pValue: number; queries: number } | null;
  line: string;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/**
 * The judge-labelled figure of every configuration row, paired with the human-only row of the same configuration
 * and level. `judged` are the rows scored on human + judge labels, `human` the rows scored on human labels only.
 */
export function judgeLabelledFigures(judge: string, judged: readonly ScoredConfiguration[], human: readonly ScoredConfiguration[], o: { retriever: string; k: number }): JudgeLabelledFigure[] {
  return judged.map((row) => {
    const h = human.find((x) => x.level === row.level && x.label === row.label);
    const baseline = row.what === 'baseline';
    const name = baseline ? o.retriever : row.label;
    const gain = baseline ? '' : `, Δ ${signed(row.gain)} (p ${row.pValue.toFixed(3)})`;
    const humanText = !h ? 'not scored at this level' : `${h.ndcg_cut_10.toFixed(3)}, ${h.recall_k.toFixed(3)}${baseline ? '' : `, Δ ${signed(h.gain)} (p ${h.pValue.toFixed(3)})`} on ${h.queries}`;
    return {
      judge,
      level: row.level,
      retriever: name,
      label: row.label,
      what: row.what,
      labels: 'human + judge',
      ndcg_cut_10: row.ndcg_cut_10,
      recall_k: row.recall_k,
      gain: row.gain,
      pValue: row.pValue,
      queries: row.queries,
      human: h ? { ndcg_cut_10: h.ndcg_cut_10, recall_k: h.recall_k, gain: h.gain, pValue: h.pValue, queries: h.queries } : null,
      line: `Judge-labelled (human + ${judge} labels, validated): ${name} at ${row.level} level nDCG@10 ${row.ndcg_cut_10.toFixed(3)}, Recall@${o.k} ${row.recall_k.toFixed(3)}${gain} on ${row.queries} eval queries — human labels only: ${humanText}`,
    };
  });
}
