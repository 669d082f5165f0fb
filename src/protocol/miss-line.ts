import type { EvalQueryRef, MissedSpan } from './inspector';
import { plural } from './words';

/** Case and runs of white space do not tell two query texts apart. */
export function normaliseQuery(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The eval query whose text is the typed text (after normalising case and white space), if any. */
export function matchEvalQuery<Q extends Pick<EvalQueryRef, 'id' | 'text'>>(text: string, queries: readonly Q[]): Q | undefined {
  const t = normaliseQuery(text);
  return t ? queries.find((q) => normaliseQuery(q.text) === t) : undefined;
}

/** One missed labeled span in words: which retrievers missed it (not in their top K), why, and where the others put it. */
export interface MissLine {
  text: string;
  missedBy: string[];
  found: string;
}

/**
 * "1 labeled span missed by dense: exact-match — keyword #1, hybrid #1". A retriever missed the span when no chunk of
 * it is in its top K; the others are listed with the rank they gave it. With several spans the line starts with the
 * span's document instead of the count (the count is the heading: see missHeading).
 */
export function missLine(m: MissedSpan, k: number, many: boolean): MissLine {
  const entries = Object.entries(m.positions);
  const missedBy = entries.filter(([, p]) => !p || p.rank === null || p.rank > k).map(([r]) => r);
  const found = entries.filter(([, p]) => p && p.rank !== null && p.rank <= k).map(([r, p]) => `${r} #${p?.rank}`).join(', ');
  const who = missedBy.length ? `missed by ${missedBy.join(', ')}` : 'missed';
  // The readiness report's what-if refinement, named beside the category every view gives (never instead of it).
  const why = m.category ? `: ${m.category}${m.whatIf ? ` (${m.whatIf})` : ''}` : '';
  const others = found ? ` — ${found}` : missedBy.length === entries.length ? ' — no retriever has it in the top ' + k : '';
  return { text: `${many ? m.docId : '1 labeled span'} ${who}${why}${others}`, missedBy, found };
}

/** The heading over several miss lines: "2 labeled spans missed in the top 10". */
export function missHeading(n: number, k: number): string {
  return `${plural(n, 'labeled span')} missed in the top ${k}`;
}

/**
 * A missed labeled span as the Problems entry and the editor hover say it: the category every view gives (the one
 * diagnosis), the readiness report's what-if beside it when it ran, then the evidence.
 */
export function missMessage(query: string, m: Pick<MissedSpan, 'category' | 'whatIf' | 'evidence'>): string {
  return `missed for "${query}": ${m.category ?? 'uncategorised'}${m.whatIf ? ` (${m.whatIf})` : ''}${m.evidence ? ` — ${m.evidence}` : ''}`;
}
