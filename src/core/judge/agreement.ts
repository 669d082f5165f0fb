import { documentQrels, documentRun } from '../eval/chunk-relevance';
import type { EvalQuery, Grade, Run } from '../eval/evalset-types';
import { computeMetrics } from '../eval/metrics';
import type { NamedRanking } from '../eval/pool';
import { humanGradeFor, judgeId, judgeOnly, type JudgeLabel } from './judge-labels';

/**
 * The judge measured against the humans, on the pairs both graded:
 * - weighted Cohen's κ with quadratic weights (Cohen 1968; Fleiss & Cohen 1973): 1 − Σ w·O / Σ w·E over the 4×4
 *   table of (human, judge) grades, w = (i − j)² / 9, E the table the two marginals give by chance. 1 is perfect
 *   agreement, 0 what chance gives, negative worse than chance; a near miss (2 vs 3) costs less than a far one (0 vs 3);
 * - the confusion matrix (rows: the human grade, columns: the judge's);
 * - Kendall's τ-b between the order of retriever configurations scored with the humans' labels and with the
 *   judge's: whether the judge would pick the same winner.
 *
 * The rule for trusting the judge (VALIDATION_RULE): κ ≥ 0.6 on at least 50 overlapping pairs. 0.6 is where Landis &
 * Koch (1977, "The measurement of observer agreement for categorical data", Biometrics 33:159–174) put the start of
 * "substantial" agreement (0.61–0.80); below it the judge's grades are "moderate" at best and a figure resting on
 * them could order retrievers differently than the team's own labels. 50 pairs is the least at which κ's standard
 * error is about 0.1 for κ near 0.6 (0.11 simulated for κ ≈ 0.63, grades spread evenly), so its 95 % interval is about ±0.2, one Landis–Koch band; with fewer the
 * figure is too loose to decide on.
 */
export const VALIDATION_RULE = { minKappa: 0.6, minPairs: 50 } as const;

export type GradePair = readonly [human: Grade, judge: Grade];

const K = 4;

/** counts[h][j]: pairs the human graded h and the judge j. */
export function confusionMatrix(pairs: readonly GradePair[]): number[][] {
  const m = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (const [h, j] of pairs) m[h][j]++;
  return m;
}

/**
 * Quadratic-weighted κ; NaN when chance disagreement is zero (both raters used one and the same grade for every
 * pair, or there are no pairs): κ is undefined there, and it is reported as such, not as 1.
 */
export function quadraticKappa(pairs: readonly GradePair[]): number {
  const n = pairs.length;
  if (!n) return NaN;
  const m = confusionMatrix(pairs);
  const rows = m.map((r) => r.reduce((s, x) => s + x, 0));
  const cols = Array.from({ length: K }, (_, j) => m.reduce((s, r) => s + r[j], 0));
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const w = (i - j) ** 2 / (K - 1) ** 2;
      observed += (w * m[i][j]) / n;
      expected += (w * rows[i] * cols[j]) / (n * n);
    }
  }
  return expected === 0 ? NaN : 1 - observed / expected;
}

/** Kendall's τ-b (ties in either list corrected for); NaN when either list is constant or shorter than 2. */
export function kendallTauB(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`kendallTauB needs lists of one length, got ${a.length} and ${b.length}`);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = a[i] - a[j];
      const db = b[i] - b[j];
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (Math.sign(da) === Math.sign(db)) concordant++;
      else discordant++;
    }
  }
  const denominator = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return denominator === 0 ? NaN : (concordant - discordant) / denominator;
}

export interface OverlapPair {
  queryId: string;
  docId: string;
  human: Grade;
  judge: Grade;
}

/** The pairs one judge graded that a human also graded (humanGradeFor: the chunk overlap rule, spans before documents). */
export function overlapPairs(queries: EvalQuery[], labels: JudgeLabel[], judge: string): OverlapPair[] {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const out: OverlapPair[] = [];
  for (const l of labels) {
    if (judgeId(l.source) !== judge) continue;
    const human = humanGradeFor(byId.get(l.queryId), l.judgment.target, l.judgment.stale === true);
    if (human !== undefined) out.push({ queryId: l.queryId, docId: l.judgment.target.docId, human, judge: l.judgment.grade });
  }
  return out;
}

export interface Validation {
  validated: boolean;
  /** One sentence: the verdict and its reason, with the rule. */
  verdict: string;
  /** Human labels on judged pairs still needed to reach the minimum (0 once reached). */
  moreHumanLabels: number;
}

export function validateJudge(kappa: number, pairs: number, rule = VALIDATION_RULE): Validation {
  const ruleText = `κ ≥ ${rule.minKappa} on at least ${rule.minPairs} pairs graded by both`;
  if (pairs < rule.minPairs) {
    const more = rule.minPairs - pairs;
    return { validated: false, moreHumanLabels: more, verdict: `judge unvalidated: ${pairs} pairs graded by both, ${more} more human labels on judged pairs needed before κ can validate it (${ruleText})` };
  }
  if (!Number.isFinite(kappa)) return { validated: false, moreHumanLabels: 0, verdict: `judge unvalidated: κ is undefined (every pair has one and the same grade from both), so agreement beyond chance cannot be told (${ruleText}); label passages of other grades` };
  if (kappa < rule.minKappa) return { validated: false, moreHumanLabels: 0, verdict: `judge unvalidated: κ = ${kappa.toFixed(3)} on ${pairs} pairs is below ${rule.minKappa}; more labels would not validate it unless the judge agrees better (another model or prompt)` };
  return { validated: true, moreHumanLabels: 0, verdict: `judge validated: κ = ${kappa.toFixed(3)} on ${pairs} pairs (${ruleText})` };
}

export interface ConfigurationScore {
  retriever: string;
  /** Mean nDCG@10 (document level) with the humans' labels, and with the judge's alone, over the same queries. */
  human: number;
  judge: number;
}

export interface Agreement {
  judge: string;
  pairs: number;
  kappa: number;
  confusion: number[][];
  validation: Validation;
  /** The configurations scored both ways, and Kendall's τ-b between the two orders (NaN with fewer than two). */
  configurations: ConfigurationScore[];
  configurationQueries: number;
  tau: number;
}

/** A ranking as a trec run at document level (rank order as score). */
function documentRunOf(r: NamedRanking): Run {
  const run: Run = new Map();
  for (const [qid, hits] of r.results) run.set(qid, documentRun(hits.map((h, i) => ({ docId: h.docId, score: hits.length - i }))));
  return run;
}

/**
 * Everything above for one judge. Configurations are scored on the queries that have both human and judge labels,
 * so the two orders rest on the same queries.
 */
export function measureAgreement(queries: EvalQuery[], labels: JudgeLabel[], judge: string, rankings: NamedRanking[] = []): Agreement {
  const overlap = overlapPairs(queries, labels, judge);
  const grades = overlap.map((p) => [p.human, p.judge] as const);
  const kappa = quadraticKappa(grades);
  const judged = judgeOnly(queries, labels, judge);
  const both = new Set(judged.filter((q) => q.judgments.length && queries.find((h) => h.id === q.id)?.judgments.length).map((q) => q.id));
  const humanQrels = documentQrels(queries.filter((q) => both.has(q.id)));
  const judgeQrels = documentQrels(judged.filter((q) => both.has(q.id)));
  const configurations = rankings.map((r) => {
    const run = documentRunOf(r);
    return { retriever: r.retriever, human: computeMetrics(humanQrels, run, { cutoffs: [10] }).all.ndcg_cut_10, judge: computeMetrics(judgeQrels, run, { cutoffs: [10] }).all.ndcg_cut_10 };
  });
  const tau = configurations.length >= 2 && both.size ? kendallTauB(configurations.map((c) => c.human), configurations.map((c) => c.judge)) : NaN;
  return { judge, pairs: overlap.length, kappa, confusion: confusionMatrix(grades), validation: validateJudge(kappa, overlap.length), configurations, configurationQueries: both.size, tau };
}

/** The judges that have labels, each once, in order of first appearance. */
export function judgesOf(labels: JudgeLabel[]): string[] {
  return [...new Set(labels.map((l) => judgeId(l.source)))];
}
