/** The readiness report view's messages (webview-ui/readiness ↔ src/extension/webviews/readiness). */
import type { Check } from './messenger';

/** A table of the readiness report, with the level (or other) heading it sits under. */
export interface ReadinessTable {
  id: string;
  heading: string;
  /** Text above the table. */
  intro?: string;
  columns: string[];
  /** Right-aligned (numeric) columns. */
  numeric: boolean[];
  rows: string[][];
  /** Text under the table. */
  notes: string[];
}

/**
 * One checklist line: ticked only when the figure it rests on holds at the stated bar; `not-settled` when the
 * evidence is too thin to say either way (never drawn as a tick).
 */
export interface ReadinessChecklistRow {
  item: string;
  state: 'met' | 'not-met' | 'not-settled';
  detail: string;
  /** The figure, its n, p and CI where it has them, and the bar it is held to, drawn beside the tick. */
  evidence: string;
  /** What would settle it (e.g. "label about 40 more eval queries"), when it is not met or not settled. */
  settle?: string;
  /** "human + <judge> labels" when the item's figure rests on a validated judge's labels too. */
  labels?: string;
  /** The same item on human labels only ("not met: …"), beside it, when it differs. */
  humanOnly?: string;
}

/** Everything the readiness report app draws (built by src/extension/webviews/readiness/readiness-model.ts). */
export interface ReadinessView {
  title: string;
  justified: boolean;
  reasons: string[];
  baselineLine: string;
  foundLine: string;
  /** "human + <judge> labels" when the verdict is decided on a validated judge's labels too; absent: human labels only. */
  labels?: string;
  tables: ReadinessTable[];
  /** Sections without a table: a level not measured, the adapter gain not measured, retrievers not scored. */
  notes: Array<{ id: string; heading?: string; lines: string[] }>;
  checklist: ReadinessChecklistRow[];
  missed: ReadinessTable;
  generated: string;
}

/** Readiness report webview → host. */
export interface ReadinessToHost {
  ready: [Record<string, never>, ReadinessView];
  /** Runs "Train Query Adapter (trial fine-tune)". */
  trainAdapter: [Record<string, never>, void];
  /** Opens the report as Markdown (the file the CLI's `diagnose --markdown` would write). */
  openMarkdown: [Record<string, never>, void];
}

export const READINESS_TO_HOST_CHECKS: { [M in keyof ReadinessToHost]: Check } = {
  ready: () => undefined,
  trainAdapter: () => undefined,
  openMarkdown: () => undefined,
};

/** Host → readiness report webview. */
export interface HostToReadiness {
  show: [ReadinessView, void];
}
