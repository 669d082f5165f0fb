import type { EvalQuery } from '../eval/evalset-types';
import { judgesOf, measureAgreement } from './agreement';
import type { JudgeLabel } from './judge-labels';
import type { QueueEntry } from './queue-order';

/**
 * The words the Eval Set view shows for the judge: beside a pooled passage, the judge's grade ("judge: 2"), and for
 * a disagreement the human grade it contradicts; beside the queue, the judge's agreement with the humans.
 */
export function queueEntryDescription(e: QueueEntry): string {
  const parts = [e.docId];
  if (e.hits.length) parts.push(e.hits.map((h) => `${h.retriever} #${h.rank}`).join(', '));
  if (e.judge) parts.push(e.disagreement && e.human !== undefined ? `judge: ${e.judge.grade} ≠ yours: ${e.human}` : `judge: ${e.judge.grade}`);
  return parts.join(' · ');
}

/** "judge κ 0.712 on 64 pairs, validated" per judge (latest first), or '' without judge labels. */
export function agreementBadge(queries: EvalQuery[], labels: JudgeLabel[]): string {
  const current = labels.filter((l) => !l.judgment.stale);
  return judgesOf(current)
    .reverse()
    .map((j) => {
      const a = measureAgreement(queries, current, j);
      const k = Number.isFinite(a.kappa) ? a.kappa.toFixed(3) : 'undefined';
      return `judge κ ${k} on ${a.pairs} pair${a.pairs === 1 ? '' : 's'}, ${a.validation.validated ? 'validated' : a.validation.moreHumanLabels ? `not validated (${a.validation.moreHumanLabels} more human labels on judged passages)` : 'not validated'}`;
    })
    .join(' · ');
}
