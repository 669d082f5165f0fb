import { CATEGORY_FIX, FAILURE_CATEGORIES } from '../../../core/diagnose/diagnose-misses';
import { LEVEL_NAME } from '../../../core/eval/label-level';
import { sweepVerdict, type FusionSweep, type SweepPoint } from '../../../core/eval/fusion-sweep';
import { compareRuns } from '../../../core/eval/significance';
import type { BaselineComparison, BaselineConfiguredRow, BaselineCurveChart, BaselineMetricChart, BaselineSweepChart, BaselineView } from '../../../protocol/baseline';
import type { SavedLearningCurve, SavedPoint } from '../../../core/adapt/adapter-store';
import type { ConfiguredRetrieversBaseline } from '../../retrievers/configured-retrievers';
import { runName, type BaselineResult } from './baseline-host';
import { plural } from '../../../protocol/words';

/**
 * The baseline results as the app draws them: chart bars and points, per-query wins and losses, the configured
 * retrievers' rows and every sentence, from a BaselineResult. Pure (no editor API): the app only lays it out, and lit
 * shows every string as text.
 */

export const BAR_WIDTH = 520;
export const CATEGORY_WIDTH = 400;
const COLORS = ['var(--vscode-charts-blue)', 'var(--vscode-charts-green)', 'var(--vscode-charts-orange)', 'var(--vscode-charts-purple)'];
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

export function metricsOf(runs: BaselineResult['runs'], k: number): BaselineMetricChart[] {
  const measures = ['ndcg_cut_10', `recall_${k}`, `P_${k}`, 'recip_rank', 'map'];
  return measures.map((measure) => ({
    measure,
    bars: runs.map((r, i) => ({ run: runName(r), value: r.result.metrics.all[measure] ?? 0, adapted: !!r.adapter, color: COLORS[i % COLORS.length] })),
  }));
}

/** Every run against the baseline run, per query, on nDCG@10 (paired randomization test). */
export function comparisonsOf(result: BaselineResult): BaselineComparison[] {
  const base = result.runs.find((r) => r.retriever === result.baselineRetriever && !r.adapter) ?? result.runs[0];
  if (!base) return [];
  const texts = result.queryTexts ?? {};
  const text = (qid: string) => (texts[qid] ? { queryText: texts[qid] } : {});
  return result.runs
    .filter((r) => r !== base)
    .map((r) => {
      const c = compareRuns(base.result.metrics.perQuery, r.result.metrics.perQuery, 'ndcg_cut_10');
      return {
        run: runName(r),
        base: runName(base),
        summary: `Δ nDCG@10 ${signed(c.meanDiff)} (95% CI ${c.ci95[0].toFixed(3)} to ${c.ci95[1].toFixed(3)}, randomization p = ${c.pValue.toFixed(3)}): better on ${c.wins.length}, worse on ${c.losses.length}, tied on ${c.ties}.`,
        items: [
          ...c.wins.map((w) => ({ kind: 'win' as const, queryId: w.qid, ...text(w.qid), from: w.a.toFixed(2), to: w.b.toFixed(2) })),
          ...c.losses.map((l) => ({ kind: 'loss' as const, queryId: l.qid, ...text(l.qid), from: l.a.toFixed(2), to: l.b.toFixed(2) })),
        ],
      };
    });
}

/** nDCG@10 along the dense weight (0 = keyword alone, 1 = dense alone), RRF as a line, the configured point. */
export function sweepChartOf(sweep: FusionSweep): BaselineSweepChart {
  const W = 520;
  const H = 180;
  const pad = { l: 40, r: 150, t: 10, b: 30 };
  const x = (w: number) => pad.l + w * W;
  const y = (v: number) => pad.t + (1 - v) * H;
  const val = (p: SweepPoint) => p.result.metrics.all[sweep.measure];
  const c = sweep.configured;
  const cx = c.denseWeight === null ? x(1) + 40 : x(c.denseWeight);
  return {
    measure: sweep.measure,
    width: pad.l + W + pad.r,
    height: pad.t + H + pad.b,
    grid: [0, 0.25, 0.5, 0.75, 1].map((t) => ({ y: y(t), label: t.toFixed(2) })),
    xTicks: [0, 0.2, 0.4, 0.6, 0.8, 1].map((t) => ({ x: x(t), label: String(t) })),
    x0: x(0),
    x1: x(1),
    bottom: pad.t + H,
    textX: pad.l - 6,
    points: sweep.curve.map((p) => ({ x: x(p.denseWeight ?? 0), y: y(val(p)), title: `${p.label}: ${val(p).toFixed(3)}` })),
    rrf: { y: y(val(sweep.rrf)), label: `${sweep.rrf.label} ${val(sweep.rrf).toFixed(3)}` },
    configured: { x: cx, y: y(val(c)), label: `configured ${val(c).toFixed(3)}` },
    normalization: c.fusion?.normalization ?? 'min-max',
    verdict: sweepVerdict(sweep),
  };
}

/** One row per configured retriever, against the local reference on the same labeled spans. */
export function configuredOf(c: ConfiguredRetrieversBaseline, k: number): NonNullable<BaselineView['configured']> {
  const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(3));
  const ref = c.local.result.metrics.all;
  const rows: BaselineConfiguredRow[] = c.lines.map((l) => {
    const m = l.result?.metrics.all;
    const placed = l.result ? Object.entries(l.result.placement).filter(([, n]) => n).map(([p, n]) => `${p} ${n}`).join(', ') : '';
    return {
      name: l.name,
      destination: l.destination,
      status: l.status,
      ndcg: f(m?.ndcg_cut_10),
      recall: f(m?.[`recall_${k}`]),
      vsLocal: l.vsLocal ? `${signed(l.vsLocal.meanDiff)} (p = ${l.vsLocal.pValue.toFixed(3)})` : '—',
      note: l.reason ? l.reason : `${l.result?.failures.length ? `${l.result.failures.length} queries failed (left out); ` : ''}hits placed ${placed || 'none'}`,
    };
  });
  return {
    intro: `Scored on the same eval queries by labeled spans (a hit finds a span it holds at least half of), beside the local ${c.local.name} scored the same way: nDCG@10 ${f(ref.ndcg_cut_10)}, recall@${k} ${f(ref[`recall_${k}`])}. A retriever from workspace settings is contacted only in a trusted workspace, after you allowed it.`,
    columns: ['retriever', 'sends to', 'status', 'nDCG@10', `recall@${k}`, `Δ nDCG@10 vs ${c.local.name}`, ''],
    rows,
  };
}

/** The query adapter line: which one the "+ adapter" runs used, or how to train one (the link sits between). */
export function adapterOf(result: BaselineResult): BaselineView['adapter'] {
  const a = result.adapter;
  if (!a?.id) return { before: `${a?.note || 'No query adapter is on (retrievalLens.queryAdapter).'} `, after: ': trained on the train split, measured on the eval split, no re-embedding.' };
  return { before: `The “+ adapter” runs map each query vector with ${a.id} (retrievalLens.queryAdapter)${a.trained ? `; its trial measured ${a.trained}` : ''}. `, after: ' again after labeling more train queries.' };
}

/**
 * The adapter's learning curve as a chart: Δ nDCG@10 over dense against the share of pairs, one series per curve,
 * each labelled with its pair counts at 100% ("with synthetic queries" / "real queries only" when the trial had both).
 */
export function learningCurveChartOf(c: SavedLearningCurve): BaselineCurveChart | undefined {
  if (!c.curve.length) return undefined;
  const W = 400;
  const H = 160;
  const pad = { l: 50, r: 20, t: 10, b: 32 };
  // The range holds every 95% CI bar, so a gain is never drawn without its uncertainty.
  const all = [...c.curve, ...c.realCurve].flatMap((p) => [p.delta, p.ci95[0], p.ci95[1]]).filter(Number.isFinite);
  let lo = Math.min(0, ...all);
  let hi = Math.max(0, ...all);
  if (hi - lo < 0.02) [lo, hi] = [lo - 0.01, hi + 0.01];
  const x = (share: number) => pad.l + share * W;
  const y = (v: number) => pad.t + ((hi - v) / (hi - lo)) * H;
  const last = (ps: SavedPoint[]) => ps[ps.length - 1];
  const pairsWords = (p: SavedPoint) => (p.synthetic_pairs && p.synthetic_pairs < p.pairs ? `${p.pairs} pairs: ${p.pairs - p.synthetic_pairs} real + ${p.synthetic_pairs} synthetic` : plural(p.pairs, 'pair'));
  const points = (ps: SavedPoint[], name: string, apart = 0) => ps.map((p) => ({ x: x(p.share), y: y(p.delta), ciX: x(p.share) + apart, ciLow: y(Number.isFinite(p.ci95[0]) ? p.ci95[0] : p.delta), ciHigh: y(Number.isFinite(p.ci95[1]) ? p.ci95[1] : p.delta), title: `${name}, ${Math.round(p.share * 100)}% (${pairsWords(p)}): Δ ${signed(p.delta)} (95% CI ${signed(p.ci95[0])} to ${signed(p.ci95[1])}, p = ${p.p_value.toFixed(3)})` }));
  const series: BaselineCurveChart['series'] = [];
  if (c.kind === 'mixed') {
    series.push({ name: 'with synthetic queries', label: `with synthetic queries (${pairsWords(last(c.curve))})`, color: 'var(--vscode-charts-purple)', dashed: false, points: points(c.curve, 'with synthetic queries', c.realCurve.length ? -4 : 0) });
    if (c.realCurve.length) series.push({ name: 'real queries only', label: `real queries only (${pairsWords(last(c.realCurve))})`, color: 'var(--vscode-charts-blue)', dashed: true, points: points(c.realCurve, 'real queries only', 4) });
  } else {
    const name = c.kind === 'all' ? 'synthetic queries only' : 'all pairs';
    series.push({ name, label: `${name} (${pairsWords(last(c.curve))})`, color: 'var(--vscode-charts-blue)', dashed: false, points: points(c.curve, name) });
  }
  return {
    width: pad.l + W + pad.r,
    height: pad.t + H + pad.b,
    grid: [0, 0.25, 0.5, 0.75, 1].map((t) => ({ y: pad.t + t * H, label: signed(hi - t * (hi - lo)) })),
    xTicks: [0, 0.25, 0.5, 0.75, 1].map((t) => ({ x: x(t), label: `${t * 100}%` })),
    x0: x(0),
    x1: x(1),
    bottom: pad.t + H,
    textX: pad.l - 6,
    zeroY: y(0),
    xLabel: c.kind === 'mixed' ? 'share of the real pairs' : 'share of the pairs',
    series,
    basis: c.basis.charAt(0).toUpperCase() + c.basis.slice(1),
    reading: c.reading,
  };
}

export function baselineView(result: BaselineResult): BaselineView {
  const total = Object.values(result.categories).reduce((a, b) => a + b, 0);
  return {
    title: `Baseline: ${result.queries} eval queries, ${LEVEL_NAME[result.level]}, K = ${result.k}`,
    intro: result.unscored
      ? `Not measured: ${result.unscored}.`
      : result.level === 'chunk'
        ? `Relevance comes from your labeled spans, so every chunker and retriever is scored against the same labels (${result.heading}).`
        : `Your judgments are whole documents, so each document scores its best chunk (${result.heading}); chunk level cannot be scored from them.`,
    metrics: metricsOf(result.runs, result.k),
    ...(result.docLevel ? { docLevel: { title: `Document level: ${result.docLevel.queries} eval queries`, intro: `Some judgments are whole documents: ${result.docLevel.heading}.`, metrics: metricsOf(result.docLevel.runs, result.k) } } : {}),
    ...(result.sweep ? { sweep: sweepChartOf(result.sweep) } : {}),
    ...(result.configured ? { configured: configuredOf(result.configured, result.k) } : {}),
    adapter: adapterOf(result),
    ...(result.adapter?.id && result.adapter.learningCurve ? { adapterCurve: learningCurveChartOf(result.adapter.learningCurve) } : {}),
    comparisons: comparisonsOf(result),
    missesTitle: `Why the ${result.baselineRetriever} baseline misses (${plural(total, 'missed span')})`,
    categories: FAILURE_CATEGORIES.map((name) => {
      const n = result.categories[name];
      const ids = [...new Set((result.missed ?? []).filter((m) => m.category === name).map((m) => m.queryId))];
      return { name, count: n, fix: CATEGORY_FIX[name], width: total ? Math.max(n ? 2 : 0, (n / total) * CATEGORY_WIDTH) : 0, ...(ids.length ? { queries: ids.map((id) => ({ id, text: result.queryTexts?.[id] ?? id })) } : {}) };
    }),
    ...(result.whatIfNote ? { categoriesNote: result.whatIfNote } : {}),
  };
}
