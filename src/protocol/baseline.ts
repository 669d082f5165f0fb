/** The baseline results view's messages (webview-ui/baseline ↔ src/extension/webviews/baseline). */
import { isStr, type Check } from './messenger';

/** One bar of a metric chart: a run (retriever, or retriever + adapter) and its value. */
export interface BaselineBar {
  run: string;
  value: number;
  /** A "+ adapter" run, drawn lighter with an outline. */
  adapted: boolean;
  color: string;
}

export interface BaselineMetricChart {
  measure: string;
  bars: BaselineBar[];
}

/** A per-query win or loss of a run against the baseline run, on nDCG@10. */
export interface BaselineWinLoss {
  kind: 'win' | 'loss';
  queryId: string;
  /** The query's text, shown beside its id (as text). */
  queryText?: string;
  from: string;
  to: string;
}

export interface BaselineComparison {
  run: string;
  base: string;
  summary: string;
  items: BaselineWinLoss[];
}

/** A chart's frame in its own coordinates: size, horizontal grid lines with their value labels, x ticks, plot edges. */
export interface ChartFrame {
  width: number;
  height: number;
  grid: Array<{ y: number; label: string }>;
  xTicks: Array<{ x: number; label: string }>;
  x0: number;
  x1: number;
  bottom: number;
  textX: number;
}

/** The hybrid trade-off chart, in the chart's own coordinates (x ticks: the dense weight). */
export interface BaselineSweepChart extends ChartFrame {
  measure: string;
  points: Array<{ x: number; y: number; title: string }>;
  rrf: { y: number; label: string };
  configured: { x: number; y: number; label: string };
  normalization: string;
  verdict: string;
}

/**
 * The query adapter's learning curve (gain in nDCG@10 over dense by share of the pairs), in the chart's own
 * coordinates: one series, or two ("with synthetic queries" and "real queries only") at the same shares of the real pairs.
 */
export interface BaselineCurveChart extends ChartFrame {
  /** Where Δ = 0 lies (the dense baseline). */
  zeroY: number;
  xLabel: string;
  /** Each point with its 95% CI as a vertical bar (ciX: the bar's x, set apart per series so two bars never overlap). */
  series: Array<{ name: string; label: string; color: string; dashed: boolean; points: Array<{ x: number; y: number; title: string; ciX: number; ciLow: number; ciHigh: number }> }>;
  /** How the curves were built, and what they say. */
  basis: string;
  reading: string;
}

export interface BaselineConfiguredRow {
  name: string;
  destination: string;
  status: string;
  ndcg: string;
  recall: string;
  vsLocal: string;
  note: string;
}

export interface BaselineCategory {
  name: string;
  count: number;
  /** What the category says to do (CATEGORY_FIX), shown beside its bar. */
  fix: string;
  /** Bar width in the 400-wide category chart. */
  width: number;
  /** The eval queries whose misses fall in this category (id and text), as the inspector and the report name them. */
  queries?: Array<{ id: string; text: string }>;
}

/** Everything the baseline results app draws (built by src/extension/webviews/baseline/baseline-model.ts). */
export interface BaselineView {
  title: string;
  intro: string;
  metrics: BaselineMetricChart[];
  docLevel?: { title: string; intro: string; metrics: BaselineMetricChart[] };
  sweep?: BaselineSweepChart;
  configured?: { intro: string; columns: string[]; rows: BaselineConfiguredRow[] };
  /** The query adapter note; the link to train one sits between `before` and `after`. */
  adapter: { before: string; after: string };
  /** The applied adapter's learning curve(s), from its saved trial (absent when none is on or it predates them). */
  adapterCurve?: BaselineCurveChart;
  comparisons: BaselineComparison[];
  missesTitle: string;
  categories: BaselineCategory[];
  /** Where the readiness report's what-if indexes refine some of these misses, said under the categories. */
  categoriesNote?: string;
}

/** Baseline results webview → host. */
export interface BaselineToHost {
  ready: [Record<string, never>, BaselineView];
  /** Opens the Query Inspector on this eval query. */
  inspectQuery: [{ queryId: string }, void];
  /** Runs "Train Query Adapter (trial fine-tune)". */
  trainAdapter: [Record<string, never>, void];
}

export const BASELINE_TO_HOST_CHECKS: { [M in keyof BaselineToHost]: Check } = {
  ready: () => undefined,
  inspectQuery: (p) => (!isStr(p.queryId, 200) || !p.queryId ? 'queryId must be a non-empty string' : undefined),
  trainAdapter: () => undefined,
};

/** Host → baseline results webview. */
export interface HostToBaseline {
  show: [BaselineView, void];
}
