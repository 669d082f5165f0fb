import { STATE_NAME, type ChecklistItem } from '../eval/evidence-bar';
import { CATEGORY_FIX, FAILURE_CATEGORIES, type FailureCategory, type Miss } from './diagnose-misses';
import { count } from '../io/count-noun';

/** The checklist item the adapter trial answers (src/core/adapt/readiness-gain.ts). */
export const GAIN_ITEM = 'Expected gain justifies cost and latency';

export interface Verdict {
  justified: boolean;
  headline: string;
  reasons: string[];
}

export interface VerdictInput {
  /** The baseline's misses on the eval split, their categories as the report counts them. */
  misses: readonly Pick<Miss, 'category' | 'whatIf'>[];
  checklist: readonly ChecklistItem[];
}

/**
 * The readiness verdict, decided from the same figures as the checklist so the two never disagree:
 * - justified only when every item is met (a not-settled item blocks as a not-met one does);
 * - never justified while fixable failures (anything but semantic) are at least half the misses: the headline names
 *   the first fix, and the checklist's "Remaining failures are semantic" is not met by the same rule;
 * - a verdict that is not "justified" names every item that is not met, so nothing ticked below reads as a yes it
 *   overrules without saying; a ticked expected gain (the query adapter's) is said to be the adapter's, to try
 *   first, not a case for fine-tuning a model while other items block.
 */
export function readinessVerdict({ misses, checklist }: VerdictInput): Verdict {
  const counts = Object.fromEntries(FAILURE_CATEGORIES.map((c) => [c, misses.filter((m) => m.category === c).length])) as Record<FailureCategory, number>;
  const fixable = FAILURE_CATEGORIES.filter((c) => c !== 'semantic' && counts[c] > 0).sort((a, b) => counts[b] - counts[a]);
  const blockers = checklist.filter((c) => c.state !== 'met');
  const named = (b: ChecklistItem) => `${b.item.toLowerCase()}${b.state === 'not-settled' ? ' (not settled)' : ''}`;
  const reasons: string[] = [];
  let justified = false;
  let headline: string;
  let listed = false;
  if (!misses.length) {
    headline = 'Fine-tuning not justified: the baseline finds every labeled span';
  } else if (fixable.length && counts.semantic < misses.length / 2) {
    headline = `Fine-tuning not justified yet — fix ${fixable[0]} first (${CATEGORY_FIX[fixable[0]]})`;
    for (const c of fixable) reasons.push(`${count(counts[c], 'miss', 'misses')} ${counts[c] === 1 ? 'is' : 'are'} ${c}${whatIfNote(misses, c)}: ${CATEGORY_FIX[c]}`);
  } else {
    justified = blockers.length === 0;
    headline = justified ? 'Fine-tuning justified' : `Fine-tuning not justified yet — ${blockers.map(named).join('; ')}`;
    reasons.push(`${count(counts.semantic, 'miss', 'misses')} of ${misses.length} ${counts.semantic === 1 ? 'survives' : 'survive'} chunking, filters, hybrid, reranking and model changes`);
    for (const b of blockers) reasons.push(`${b.item} (${STATE_NAME[b.state]}): ${b.detail}${b.settle ? `; to settle: ${b.settle}` : ''}`);
    listed = true;
  }
  if (!justified) {
    // Whatever the headline leads with, the checklist items that block are named: a reader who sees ticks below
    // finds here which boxes are not ticked.
    if (blockers.length && !listed) reasons.push(`Checklist: ${blockers.length} of ${count(checklist.length, 'item')} not met — ${blockers.map(named).join('; ')}`);
    const gain = checklist.find((c) => c.item === GAIN_ITEM && c.state === 'met');
    const why = blockers.length ? `while ${blockers.length === 1 ? 'this item is' : 'these items are'} not met: ${blockers.map(named).join('; ')}` : fixable.length ? `while fixable failures remain (fix ${fixable[0]} first)` : 'while nothing is missed';
    if (gain) reasons.push(`${GAIN_ITEM} is met for the query adapter (no re-embedding): try the adapter first; it is not a case for fine-tuning a model ${why}`);
  }
  return { justified, headline, reasons };
}

/** " (1 found by a what-if index; without what-ifs: lexical)" when what-if indexes decided some misses of a category. */
export function whatIfNote(misses: readonly Pick<Miss, 'category' | 'whatIf'>[], c: FailureCategory): string {
  const refined = misses.filter((m) => m.category === c && m.whatIf);
  if (!refined.length) return '';
  const bases = [...new Set(refined.map((m) => m.whatIf?.baseCategory))].join(', ');
  return ` (${refined.length} found by a what-if index; without what-ifs: ${bases})`;
}
