import type { ReadinessLabelsNeeded } from '../../core/adapt/readiness-gain';
import type { ReadinessReport } from '../../core/diagnose/readiness-report';
import type { InfoNode } from './judging-rows';

/**
 * How many labels are enough, in the Eval Set view: the figure of the most recent readiness report of this session
 * (per workspace folder), held here so the readiness host can hand it over and the tree can redraw when it arrives.
 * No editor API: the tree subscribes with onDidChange.
 */
export interface LatestLabelsNeeded {
  labelsNeeded: ReadinessLabelsNeeded;
  /** When the report was built (its createdAt). */
  createdAt: string;
}

export class LatestReadiness {
  private readonly byRoot = new Map<string, LatestLabelsNeeded>();
  private readonly listeners = new Set<() => void>();

  /** Keeps the report's figure for this folder and tells the listeners. A report without one (an old shape) clears it. */
  record(root: string, report: Pick<ReadinessReport, 'labelsNeeded' | 'createdAt'>): void {
    if (report.labelsNeeded) this.byRoot.set(root, { labelsNeeded: report.labelsNeeded, createdAt: report.createdAt });
    else this.byRoot.delete(root);
    for (const l of [...this.listeners]) l();
  }

  get(root: string | undefined): LatestLabelsNeeded | undefined {
    return root === undefined ? undefined : this.byRoot.get(root);
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

/** The session's holder: the readiness host records into it, the Eval Set view reads it. */
export const latestReadiness = new LatestReadiness();

const READINESS_COMMAND = { command: 'retrievalLens.showReadinessReport', title: 'Fine-Tune Readiness Report' };

/**
 * The row: "Labels needed: about 177 more eval queries" · "to detect +0.02 nDCG@10", the method and the report's
 * own sentence in the tooltip; before any report, a row that runs it. Short enough for the side bar.
 */
export function labelsNeededRow(latest: LatestLabelsNeeded | undefined): InfoNode {
  const base = { kind: 'info' as const, id: 'info:labels-needed' };
  if (!latest) {
    return { ...base, label: 'Labels needed: not estimated yet', description: 'run the readiness report', icon: 'question', tooltip: 'Run the readiness report to estimate how many labels are enough: the eval queries a paired test needs to detect +0.02 nDCG@10, from the query adapter\'s per-query differences.', command: READINESS_COMMAND };
  }
  const l = latest.labelsNeeded;
  const from = `From the readiness report of ${latest.createdAt}.`;
  const stated = l.evalQueries.find((x) => x.kind === 'stated');
  if (!l.measured || !stated) {
    return { ...base, label: 'Labels needed: not estimated', description: 'adapter not measured', icon: 'question', tooltip: `Not estimated: ${l.reason}.\n\n${from}`, command: READINESS_COMMAND };
  }
  const target = `to detect ${stated.delta >= 0 ? '+' : ''}${Number(stated.delta.toFixed(3))} nDCG@10`;
  const label = !Number.isFinite(stated.queries) ? 'Labels needed: unknown' : stated.more > 0 ? `Labels needed: about ${stated.more} more eval queries` : 'Labels needed: none more';
  const description = !Number.isFinite(stated.queries) ? 'too few eval queries' : stated.more > 0 ? target : `${l.basis?.n ?? ''} eval queries are enough ${target}`;
  const tooltip = [
    `Eval queries ${stated.summary}.`,
    `${l.headline[0].toUpperCase()}${l.headline.slice(1)}.`,
    `Method: ${l.method}.`,
    ...(l.trainingPairs ? [`${l.trainingPairs.line[0].toUpperCase()}${l.trainingPairs.line.slice(1)}.`] : []),
    from,
  ].join('\n\n');
  return { ...base, label, description, icon: 'law', tooltip };
}
