import { spanOverlapsChunk } from '../eval/chunk-relevance';
import type { EvalQuery, Judgment } from '../eval/evalset-types';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { placeHits, type DocumentLookup, type PlacedHit } from '../eval/hit-placement';
import { evalQueryIndex } from '../eval/trace-import';
import type { RecordedTrace } from '../eval/trace-store';
import type { TraceFeedback } from '../eval/traces/trace-model';
import type { RetrievedHit } from '../retrieve/retriever';
import { checklistItem, type ChecklistEvidence, type ChecklistItem } from '../eval/evidence-bar';

/**
 * Why a production answer failed, told from the eval set's labels for its query and the passages production served:
 *
 *  - `unjudged`: the query has no labels (or only stale ones) — judge it first; listed first.
 *  - `generation`: a relevant label (grade ≥ 1) was served: a served passage is in the labeled document
 *    (document label), or overlaps the labeled span by the span overlap rule (span label; a passage placed in the
 *    document without a position counts, and says so). Retrieval did its job; the answer did not use it.
 *  - `retrieval`: relevant text is labeled in the corpus but none of it was served.
 *  - `missing-document`: the query is judged and every label is grade 0: nothing relevant exists in the corpus.
 *
 * A trace failed when any of its feedback has a score ≤ `failScore` or a negative label (NEGATIVE_LABELS).
 */
export type TraceOutcome = 'unjudged' | 'retrieval' | 'generation' | 'missing-document';
export const TRACE_OUTCOMES: readonly TraceOutcome[] = ['unjudged', 'retrieval', 'generation', 'missing-document'];

export const DEFAULT_FAIL_SCORE = 0;
export const NEGATIVE_LABELS: readonly string[] = ['negative', 'thumbs_down', 'thumbs-down', 'thumbsdown', 'thumbs down', '👎', 'bad', 'wrong', 'incorrect', 'unhelpful', 'not helpful', 'not_helpful', 'dislike', 'fail', 'failed', 'false', 'no'];

export interface TraceFailureEvidence {
  /** Served rank (1-based), when the evidence is a served passage. */
  rank?: number;
  /** The served hit id, when the evidence is a served passage. */
  hit?: string;
  /** The labeled document, when the evidence is a label. */
  docId?: string;
  span?: { start: number; end: number };
  grade?: number;
  text: string;
}

export interface TraceFailure {
  traceId: string;
  query: string;
  queryId?: string;
  outcome: TraceOutcome;
  feedback: TraceFeedback[];
  evidence: TraceFailureEvidence[];
}

export interface TraceFailureReport {
  failScore: number;
  traces: number;
  withFeedback: number;
  failed: number;
  counts: Record<TraceOutcome, number>;
  /** unjudged first (to judge), then retrieval, generation, missing-document; trace order within each. */
  failures: TraceFailure[];
}

export function isNegative(f: TraceFeedback, failScore = DEFAULT_FAIL_SCORE): boolean {
  if (f.score !== undefined && f.score <= failScore) return true;
  return f.label !== undefined && NEGATIVE_LABELS.includes(f.label.trim().toLowerCase());
}

export function classifyTraceFailures(traces: RecordedTrace[], queries: EvalQuery[], docs: DocumentLookup, options: { failScore?: number; documentId?: DocumentIdRule } = {}): TraceFailureReport {
  const failScore = options.failScore ?? DEFAULT_FAIL_SCORE;
  const counts: Record<TraceOutcome, number> = { unjudged: 0, retrieval: 0, generation: 0, 'missing-document': 0 };
  const failures: TraceFailure[] = [];
  const queryOf = evalQueryIndex(queries);
  for (const t of traces) {
    if (!t.feedback.some((f) => isNegative(f, failScore))) continue;
    const f = classifyOne(t, queryOf(t), docs, options.documentId);
    counts[f.outcome]++;
    failures.push(f);
  }
  failures.sort((a, b) => TRACE_OUTCOMES.indexOf(a.outcome) - TRACE_OUTCOMES.indexOf(b.outcome));
  return { failScore, traces: traces.length, withFeedback: traces.filter((t) => t.feedback.length).length, failed: failures.length, counts, failures };
}

function classifyOne(t: RecordedTrace, q: EvalQuery | undefined, docs: DocumentLookup, rule: DocumentIdRule | undefined): TraceFailure {
  const base = { traceId: t.traceId, query: t.query, queryId: q?.id ?? t.queryId, feedback: t.feedback };
  const hits: RetrievedHit[] = t.documents.map((d) => ({ rank: d.rank, score: d.score ?? 0, id: d.id ?? d.path ?? `${t.traceId}#${d.rank}`, path: d.path, text: d.text }));
  const placed = placeHits(hits, docs, rule);
  const judged = (q?.judgments ?? []).filter((j) => !j.stale);
  if (!q || !judged.length) {
    return { ...base, outcome: 'unjudged', evidence: [{ text: q ? `query ${q.id} has no labels${q.judgments.length ? ' (only stale ones)' : ''}: judge it` : 'the query is not in the eval set (not sampled): import it or judge it' }, servedLine(t, placed)] };
  }
  const relevant = judged.filter((j) => j.grade > 0);
  if (!relevant.length) {
    return { ...base, outcome: 'missing-document', evidence: [{ text: `query ${q.id}: all ${judged.length} labels are grade 0 — nothing relevant in the corpus` }, servedLine(t, placed)] };
  }
  const found: TraceFailureEvidence[] = [];
  for (const p of placed) {
    for (const j of relevant) {
      const m = served(p, j);
      if (m) found.push({ rank: p.hit.rank, hit: p.hit.id, docId: j.target.docId, ...spanOf(j), grade: j.grade, text: `rank ${p.hit.rank}: ${p.hit.id} → ${where(p)} [${p.placement}] ${m} ${label(j)} (grade ${j.grade})` });
    }
  }
  if (found.length) return { ...base, outcome: 'generation', evidence: found };
  const evidence: TraceFailureEvidence[] = relevant.map((j) => ({ docId: j.target.docId, ...spanOf(j), grade: j.grade, text: `${label(j)} (grade ${j.grade})${docs.getDocument(j.target.docId) ? '' : ' — the document is no longer in the corpus'} was not served` }));
  evidence.push(servedLine(t, placed));
  const unplaced = placed.filter((p) => p.placement === 'unplaced');
  for (const p of unplaced.slice(0, 3)) evidence.push({ rank: p.hit.rank, hit: p.hit.id, text: `rank ${p.hit.rank}: ${p.hit.id} could not be placed (${p.reason}); it cannot be checked against the labels` });
  return { ...base, outcome: 'retrieval', evidence };
}

/** How a placed passage serves a relevant label, or undefined. */
function served(p: PlacedHit, j: Judgment): string | undefined {
  if (p.docId === null || p.docId !== j.target.docId) return undefined;
  if (j.target.type === 'document') return 'is in the';
  if (p.start === undefined || p.end === undefined) return 'is in the document (position unknown) of the';
  return spanOverlapsChunk(j.target, { start: p.start, end: p.end }) ? 'holds the' : undefined;
}

function spanOf(j: Judgment): { span?: { start: number; end: number } } {
  return j.target.type === 'span' ? { span: { start: j.target.start, end: j.target.end } } : {};
}

function label(j: Judgment): string {
  return j.target.type === 'span' ? `labeled span ${j.target.docId}:${j.target.start}-${j.target.end}` : `labeled document ${j.target.docId}`;
}

function where(p: PlacedHit): string {
  return p.docId === null ? 'nowhere' : p.start !== undefined ? `${p.docId}:${p.start}-${p.end}` : p.docId;
}

function servedLine(t: RecordedTrace, placed: PlacedHit[]): TraceFailureEvidence {
  if (!t.retrieved) return { text: 'the trace records no retrieval step: nothing was served' };
  if (!placed.length) return { text: 'production served no passages' };
  const shown = placed.slice(0, 5).map((p) => `${p.hit.rank}. ${p.hit.id}${p.docId && p.docId !== p.hit.id ? ` → ${where(p)}` : p.docId ? '' : ' (unplaced)'}`);
  return { text: `served ${placed.length}: ${shown.join('; ')}${placed.length > 5 ? '; …' : ''}` };
}

/** The summary lines: counts, then each failure with its evidence (the first `max`). */
export function describeTraceFailures(r: TraceFailureReport, max = 20): string[] {
  const out = [
    `${r.traces} traces, ${r.withFeedback} with feedback, ${r.failed} failed (feedback score ≤ ${r.failScore} or a negative label)`,
    TRACE_OUTCOMES.map((o) => `${o} ${r.counts[o]}`).join(', '),
  ];
  for (const f of r.failures.slice(0, max)) {
    out.push(`${f.outcome}: trace ${f.traceId}${f.queryId ? ` (${f.queryId})` : ''} "${f.query.length > 80 ? `${f.query.slice(0, 77)}...` : f.query}"`);
    for (const e of f.evidence) out.push(`  ${e.text}`);
  }
  if (r.failures.length > max) out.push(`… and ${r.failures.length - max} more failed traces (see --json)`);
  return out;
}

/** One recorded run's failed traces as the readiness report leads with them. */
export interface ProductionFailures {
  run: string;
  traces: number;
  failed: number;
  counts: Record<TraceOutcome, number>;
  /** "of 120 thumbs-down traces, 41 had the right context in what was served: …" */
  headline: string;
  /** The run's file could not be read (the headline says why); it counts as no traces. */
  unreadable?: boolean;
}

/** The split of a run's failed traces in one sentence: what production's failures say to fix first. */
export function productionFailures(run: string, r: TraceFailureReport): ProductionFailures {
  const c = r.counts;
  const judged = c.retrieval + c.generation + c['missing-document'];
  const unjudged = c.unjudged ? `; ${c.unjudged} not judged yet (judge their queries first)` : '';
  const failed = `${r.failed} failed trace${r.failed === 1 ? '' : 's'}`;
  let headline: string;
  if (!r.failed) headline = `${run}: no failed trace among ${r.traces} (no negative feedback)`;
  else if (!judged) headline = `${run}: of ${failed}, none can be told apart yet${unjudged}`;
  else if (c.generation >= c.retrieval) headline = `${run}: of ${failed}, ${c.generation} had the right context in what was served: fix the prompt or the generator first (${c.retrieval} retrieval, ${c['missing-document']} missing document${unjudged})`;
  else headline = `${run}: of ${failed}, ${c.retrieval} did not serve labeled relevant text that the corpus holds: retrieval failures (${c.generation} generation, ${c['missing-document']} missing document${unjudged})`;
  return { run, traces: r.traces, failed: r.failed, counts: c, headline };
}

/**
 * "Production failures are retrieval failures": fine-tuning the retriever is never recommended on the strength of
 * failures where the right context was served. Met when judged retrieval failures outnumber generation failures;
 * not met when generation failures are as many or more; not settled when no failed trace is judged.
 */
export function productionFailuresItem(runs: ProductionFailures[]): ChecklistItem | undefined {
  const failed = runs.filter((r) => r.failed);
  if (!failed.length) return undefined;
  const sum = (k: TraceOutcome) => failed.reduce((s, r) => s + r.counts[k], 0);
  const retrieval = sum('retrieval');
  const generation = sum('generation');
  const judged = retrieval + generation + sum('missing-document');
  const total = failed.reduce((s, r) => s + r.failed, 0);
  const item = 'Production failures are retrieval failures';
  const evidence: ChecklistEvidence = { figure: `${retrieval} retrieval, ${generation} generation of ${judged} judged failed traces`, n: judged, nOf: 'judged failed traces', bar: 'more failed traces missing the right context (retrieval) than serving it (generation)' };
  const detail = failed.map((r) => r.headline).join('; ');
  if (!judged) return checklistItem(item, 'not-settled', detail, evidence, `judge the queries of the ${total} failed traces (retrieval-lens trace-failures lists them)`);
  if (generation >= retrieval) return checklistItem(item, 'not-met', detail, evidence, 'fix the prompt, the context formatting or the generator: the served passages held the answer');
  return checklistItem(item, 'met', detail, evidence);
}
