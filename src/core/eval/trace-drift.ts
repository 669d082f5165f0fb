import type { SourceDocument } from '../corpus/document';
import { RecordedRetriever } from './recorded-retriever';
import type { EvalQuery } from './evalset-types';
import { evaluateRetriever } from './evaluate-retriever';
import { documentLookup, type DocumentLookup } from './hit-placement';
import { compareRuns, type Comparison } from './significance';
import type { RecordedRun, RecordedTrace } from './trace-store';

/** How the traces of a recorded run are grouped into points of the drift line. */
export type DriftPeriod = 'week' | 'day' | 'import';

export const DRIFT_PERIODS: readonly DriftPeriod[] = ['week', 'day', 'import'];

/** The p-value and interval rule a change must meet before it is called a regression or an improvement. */
export const DRIFT_ALPHA = 0.05;
/** Fewer shared judged queries than this and a change between two periods is not tested at all. */
export const DRIFT_MIN_SHARED = 5;

export interface DriftPoint {
  /** `2026-W18`, `2026-05-01`, or the import's file name. */
  key: string;
  /** First and last trace timestamps in the group (ISO), when the traces carry them. */
  from?: string;
  to?: string;
  traces: number;
  /** Judged queries the group's traces answer: the queries its metrics are a mean over. */
  judgedQueries: number;
  /** Mean of each measure over those queries; empty when no query of the group is judged. */
  means: Record<string, number>;
  perQuery: Record<string, Record<string, number>>;
}

export interface DriftStep {
  from: string;
  to: string;
  /** Judged queries both periods answered: the change is measured on these alone (a paired test). */
  shared: number;
  comparison?: Comparison;
  /** `regression` / `improvement` only when p ≤ DRIFT_ALPHA and the 95% interval excludes 0; else `no clear change`. */
  verdict: 'regression' | 'improvement' | 'no clear change' | 'too few shared queries';
}

export interface DriftReport {
  run: string;
  by: DriftPeriod;
  measure: string;
  level: 'doc' | 'chunk';
  split: 'eval' | 'train' | 'all';
  points: DriftPoint[];
  steps: DriftStep[];
  /** Traces left out of the line: no timestamp (by week or day). */
  undated: number;
}

/** ISO-8601 week of a date (UTC): `2026-W05`; the week's year can differ from the calendar year near New Year. */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day); // the Thursday of this week decides its year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Groups a run's traces by period: the ISO week or the UTC day of their timestamp (traces without a valid one are
 * counted apart), or the import that last wrote them (in import order). Groups come in time order.
 */
export function groupTraces(run: RecordedRun, by: DriftPeriod): { groups: Array<{ key: string; traces: RecordedTrace[] }>; undated: number } {
  const groups = new Map<string, RecordedTrace[]>();
  let undated = 0;
  if (by === 'import') {
    for (const s of run.header.sources) groups.set(s.file, []);
    for (const t of run.traces) {
      const g = groups.get(t.source.file);
      if (g) g.push(t);
      else groups.set(t.source.file, [t]);
    }
    return { groups: [...groups].filter(([, ts]) => ts.length).map(([key, traces]) => ({ key, traces })), undated };
  }
  for (const t of run.traces) {
    const d = t.timestamp ? new Date(t.timestamp) : undefined;
    if (!d || Number.isNaN(d.getTime())) {
      undated++;
      continue;
    }
    const key = by === 'week' ? isoWeek(d) : d.toISOString().slice(0, 10);
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  return { groups: [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, traces]) => ({ key, traces })), undated };
}

/**
 * The production run over time: each period's traces replayed as a recorded retriever of their own and scored by
 * the eval set's labels exactly as `eval --retriever trace:<name>` scores the whole run, and each period compared
 * with the one before on the judged queries both answered (paired randomization test and bootstrap interval).
 */
export async function traceDrift(
  run: RecordedRun,
  name: string,
  documents: Iterable<SourceDocument> | DocumentLookup,
  queries: EvalQuery[],
  options: { by?: DriftPeriod; measure?: string; level?: 'doc' | 'chunk'; split?: 'eval' | 'train' | 'all'; depth?: number } = {},
): Promise<DriftReport> {
  const by = options.by ?? 'week';
  const measure = options.measure ?? 'ndcg_cut_10';
  const level = options.level ?? 'doc';
  const split = options.split ?? 'all';
  const docs = 'getDocument' in documents && 'byPath' in documents ? documents : documentLookup(documents as Iterable<SourceDocument>);
  const { groups, undated } = groupTraces(run, by);
  const points: DriftPoint[] = [];
  for (const g of groups) {
    const retriever = new RecordedRetriever(`${name}@${g.key}`, { ...run, traces: g.traces }, run.file);
    // Only the queries this period asked: the others would each fail ("no recorded trace asked this query").
    const asked = queries.filter((q) => retriever.traceFor(q.text, q.id));
    const r = await evaluateRetriever(retriever, docs, asked, { level, split, depth: options.depth, documentId: run.header.documentId });
    const stamps = g.traces.map((t) => t.timestamp).filter((s): s is string => !!s).sort();
    const judged = Object.keys(r.metrics.perQuery).length;
    points.push({
      key: g.key,
      ...(stamps.length ? { from: stamps[0], to: stamps[stamps.length - 1] } : {}),
      traces: g.traces.length,
      judgedQueries: judged,
      means: judged ? Object.fromEntries(Object.entries(r.metrics.all).filter(([k]) => k !== 'num_q')) : {},
      perQuery: r.metrics.perQuery,
    });
  }
  const steps: DriftStep[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const shared = Object.keys(a.perQuery).filter((q) => q in b.perQuery);
    if (shared.length < DRIFT_MIN_SHARED) {
      steps.push({ from: a.key, to: b.key, shared: shared.length, verdict: 'too few shared queries' });
      continue;
    }
    const pick = (p: DriftPoint) => Object.fromEntries(shared.map((q) => [q, p.perQuery[q]]));
    const c = compareRuns(pick(a), pick(b), measure);
    const verdict = c.pValue <= DRIFT_ALPHA && c.ci95[1] < 0 ? 'regression' : c.pValue <= DRIFT_ALPHA && c.ci95[0] > 0 ? 'improvement' : 'no clear change';
    steps.push({ from: a.key, to: b.key, shared: shared.length, comparison: c, verdict });
  }
  return { run: name, by, measure, level, split, points, steps, undated };
}

/** The report as lines: one per period (its mean over n judged queries), one per change with its evidence. */
export function describeTraceDrift(r: DriftReport, label: (key: string) => string = (k) => k): string[] {
  const f = (x: number) => x.toFixed(3);
  const lines = [`${r.run}: ${r.measure} by ${r.by} (${r.level} level, ${r.split === 'all' ? 'all judged queries' : `${r.split} split`})`];
  for (const p of r.points) {
    const span = p.from && p.to ? (p.from.slice(0, 10) === p.to.slice(0, 10) ? ` (${p.from.slice(0, 10)})` : ` (${p.from.slice(0, 10)} – ${p.to.slice(0, 10)})`) : '';
    const traces = `${p.traces} trace${p.traces === 1 ? '' : 's'}`;
    lines.push(
      p.judgedQueries
        ? `  ${label(p.key)}${span}: ${f(p.means[r.measure] ?? 0)} over ${p.judgedQueries} judged quer${p.judgedQueries === 1 ? 'y' : 'ies'} (${traces})`
        : `  ${label(p.key)}${span}: no judged query among its ${traces} — label its queries to see this period`,
    );
  }
  for (const s of r.steps) {
    if (!s.comparison) {
      lines.push(`  ${label(s.from)} → ${label(s.to)}: not tested, ${s.shared} shared judged quer${s.shared === 1 ? 'y' : 'ies'} (needs ${DRIFT_MIN_SHARED})`);
      continue;
    }
    const c = s.comparison;
    lines.push(
      `  ${label(s.from)} → ${label(s.to)}: ${c.meanDiff >= 0 ? '+' : ''}${f(c.meanDiff)} on ${s.shared} shared queries (${f(c.meanA)} → ${f(c.meanB)}), p = ${c.pValue.toFixed(3)}, 95% CI [${f(c.ci95[0])}, ${f(c.ci95[1])}]: ${s.verdict}`,
    );
  }
  if (r.undated) lines.push(`  ${r.undated} trace${r.undated === 1 ? '' : 's'} without a timestamp left out (group by import to include them)`);
  if (r.points.length < 2) lines.push('  one period only: import traces from another period to see a change');
  return lines;
}
