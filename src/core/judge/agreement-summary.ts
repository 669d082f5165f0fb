import type { SourceDocument } from '../corpus/document';
import type { EvalTarget } from '../eval/eval-target';
import type { EvalQuery } from '../eval/evalset-types';
import { judgesOf, measureAgreement, VALIDATION_RULE } from './agreement';
import { judgeFiles } from './judge-files';
import { loadJudgeLabels, reanchorJudgeLabels, type JudgeLabel } from './judge-labels';

/**
 * The judge's agreement with the humans where decisions are made — `eval` and `diagnose` JSON, the readiness
 * report: per judge (model · prompt version) κ, the overlapping pairs it rests on, whether it is validated under
 * VALIDATION_RULE and how many more human labels on judged pairs would let it be. Present only when judge labels
 * exist. `labelsUsed` says what the figures beside it rest on: human labels only (HUMAN_ONLY_NOTE; `eval`, and the
 * readiness report while no judge is validated), or, in the readiness report once a judge is validated,
 * JUDGE_DECIDES_NOTE: the verdict and checklist decided on human + judge labels, the human-only figures beside.
 */
export interface AgreementSummary {
  judge: string;
  /** Quadratic-weighted κ; null when undefined (no pairs, or one grade throughout). */
  kappa: number | null;
  pairs: number;
  validated: boolean;
  /** Human labels on judged pairs still needed before κ can validate the judge (0 once there are enough pairs). */
  moreHumanLabels: number;
  verdict: string;
  rule: typeof VALIDATION_RULE;
  /** Judge labels left out because their passage's text changed since. */
  stale: number;
  labelsUsed: string;
}

export const HUMAN_ONLY_NOTE = 'the figures beside this are computed with human labels only; judge labels enter none of them';

export function summarizeAgreement(queries: EvalQuery[], labels: JudgeLabel[], stale = 0): AgreementSummary[] {
  const current = labels.filter((l) => !l.judgment.stale);
  return judgesOf(current).map((judge) => {
    const a = measureAgreement(queries, current, judge);
    return {
      judge,
      kappa: Number.isFinite(a.kappa) ? a.kappa : null,
      pairs: a.pairs,
      validated: a.validation.validated,
      moreHumanLabels: a.validation.moreHumanLabels,
      verdict: a.validation.verdict,
      rule: VALIDATION_RULE,
      stale,
      labelsUsed: HUMAN_ONLY_NOTE,
    };
  });
}

export type AgreementTarget = Pick<EvalTarget, 'kind' | 'root' | 'queries'> & { corpus: { documents: Iterable<SourceDocument> } };

/** The target's judge labels, re-anchored to its documents as they are now (stale ones marked, and counted). */
export function targetJudgeLabels(target: AgreementTarget): { labels: JudgeLabel[]; stale: number } {
  const labels = loadJudgeLabels(judgeFiles(target).labels);
  if (!labels.length) return { labels, stale: 0 };
  const docs = new Map<string, SourceDocument>();
  for (const d of target.corpus.documents) docs.set(d.id, d);
  return reanchorJudgeLabels(labels, docs);
}

/** The target's judge labels summarized; undefined when there are none. */
export function targetAgreement(target: AgreementTarget): AgreementSummary[] | undefined {
  const anchored = targetJudgeLabels(target);
  if (!anchored.labels.length) return undefined;
  return summarizeAgreement(target.queries, anchored.labels, anchored.stale);
}

/**
 * The judge the readiness verdict is decided with: among the validated judges the one with the highest κ (then the
 * most overlapping pairs); undefined when none is validated, and the verdict then rests on human labels only.
 */
export function decidingJudge(agreement: readonly AgreementSummary[] | undefined): AgreementSummary | undefined {
  const ok = (agreement ?? []).filter((a) => a.validated);
  return ok.sort((a, b) => (b.kappa ?? 0) - (a.kappa ?? 0) || b.pairs - a.pairs)[0];
}

/** What a validated judge's labels are used for in the readiness report (its summary's `labelsUsed` there). */
export const JUDGE_DECIDES_NOTE =
  'the readiness verdict and checklist are decided on human + judge labels (a human grade always wins; judge grades fill passages no human graded); every figure resting on judge labels says so, with the human-only figure beside it';

/** "κ = 0.712 on 64 pairs" as the verdict line quotes a validated judge. */
export function kappaOnPairs(a: Pick<AgreementSummary, 'kappa' | 'pairs'>): string {
  return `κ ${a.kappa === null ? 'undefined' : a.kappa.toFixed(2)} on ${a.pairs} pairs`;
}

/**
 * "Judge labels (m · v1): κ = 0.712 on 64 pairs — validated …" or "— not validated: 6 of the 50 overlapping pairs
 * the rule needs; 44 more human labels on passages this judge graded would reach it …", and what the report uses.
 * `decidedBy` is the judge the verdict rests on (decidingJudge), when one is validated.
 */
export function agreementReportLine(a: AgreementSummary, decidedBy?: string): string {
  const k = a.kappa === null ? 'undefined' : a.kappa.toFixed(3);
  const rule = `κ ≥ ${a.rule.minKappa} on at least ${a.rule.minPairs} pairs`;
  const more = a.moreHumanLabels;
  const kappaThen =
    a.kappa === null ? `κ, undefined so far, must then be ≥ ${a.rule.minKappa}` : a.kappa >= a.rule.minKappa ? `if κ stays ≥ ${a.rule.minKappa}` : `κ, now ${k}, must then reach ${a.rule.minKappa}`;
  const state = a.validated
    ? `validated (${rule})`
    : more > 0
      ? `not validated: ${a.pairs} of the ${a.rule.minPairs} overlapping pairs the rule needs (${rule}); exactly ${more} more human ${more === 1 ? 'label' : 'labels'} on passages this judge graded would validate it (${kappaThen})`
      : a.kappa === null
        ? `not validated (κ undefined: one grade throughout; label passages of other grades)`
        : `not validated (κ below ${a.rule.minKappa}: more labels would not validate it; try another model or prompt)`;
  const uses = !a.validated
    ? 'the verdict uses human labels only until the judge is validated'
    : decidedBy === undefined || decidedBy === a.judge
      ? 'the verdict, the checklist and every fix are decided on human + judge labels, each such figure marked and the human-only figure beside it'
      : `the verdict uses ${decidedBy}, validated with a higher κ`;
  return `Judge labels (${a.judge}): κ = ${k} on ${a.pairs} pairs — ${state}; ${uses}`;
}
