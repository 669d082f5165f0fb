import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FAILURE_CATEGORIES, diagnoseMisses, type FailureCategory } from '../core/diagnose/diagnose-misses';
import { evaluate, type EvaluationResult } from '../core/eval/evaluate';
import type { EvalQuery } from '../core/eval/evalset-types';
import { describeLevel, LEVEL_NAME, levelSupport, unscorableReason, type Level } from '../core/eval/label-level';
import { sweepFusion, sweepVerdict, type FusionSweep, type SweepPoint } from '../core/eval/fusion-sweep';
import { compareRuns } from '../core/eval/significance';
import { RUNS_DIR, saveRun } from '../core/eval/run-manifest';
import type { WorkspaceIndex } from '../core/index/workspace-index';
import type { RetrieverName } from '../core/retrieve/types';
import type { QueryAdapter } from '../core/adapt/query-adapter';
import type { ConfiguredRetrieversBaseline } from './configured-retrievers';

/** One evaluated configuration; `adapter` is the query adapter's id for "dense + adapter" and "hybrid + adapter". */
export interface BaselineRun {
  retriever: RetrieverName;
  result: EvaluationResult;
  adapter?: string;
}

const runName = (r: BaselineRun) => (r.adapter ? `${r.retriever} + adapter` : r.retriever);

export interface BaselineResult {
  k: number;
  queries: number;
  /** The level the runs are scored at: the one the labels support (chunk for spans, document for documents). */
  level: Level;
  /** Why nothing could be scored, instead of a page of 0.000. */
  unscored?: string;
  runs: BaselineRun[];
  /** A mixed eval set (spans and whole-document judgments) is scored at document level too. */
  docLevel?: { queries: number; heading: string; runs: BaselineRun[] };
  /** Query text by id, shown beside each per-query win and loss (as text). */
  queryTexts?: Record<string, string>;
  /** The query adapter the adapted runs used, or why there are none. */
  adapter?: { id?: string; note: string; trained?: string };
  heading: string;
  categories: Record<FailureCategory, number>;
  baselineRetriever: RetrieverName;
  /** Hybrid's trade-off along the dense weight, when hybrid was evaluated. */
  sweep?: FusionSweep;
  /** Retrievers from retrievalLens.retrievers, each a line beside the local one (or why it was not contacted). */
  configured?: ConfiguredRetrieversBaseline;
}

/** One row per configured retriever, against the local reference on the same labeled spans. */
function configuredSection(c: ConfiguredRetrieversBaseline, k: number): string {
  const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(3));
  const ref = c.local.result.metrics.all;
  const rows = c.lines.map((l) => {
    const m = l.result?.metrics.all;
    const cmp = l.vsLocal ? `${l.vsLocal.meanDiff >= 0 ? '+' : ''}${l.vsLocal.meanDiff.toFixed(3)} (p = ${l.vsLocal.pValue.toFixed(3)})` : '—';
    const placed = l.result ? Object.entries(l.result.placement).filter(([, n]) => n).map(([p, n]) => `${p} ${n}`).join(', ') : '';
    const note = l.reason ? esc(l.reason) : `${l.result?.failures.length ? `${l.result.failures.length} queries failed (left out); ` : ''}hits placed ${esc(placed || 'none')}`;
    return `<tr class="configured" data-retriever="${esc(l.name)}"><td>${esc(l.name)}</td><td>${esc(l.destination)}</td><td>${esc(l.status)}</td><td>${f(m?.ndcg_cut_10)}</td><td>${f(m?.[`recall_${k}`])}</td><td>${cmp}</td><td class="muted">${note}</td></tr>`;
  });
  return `<h2>Configured retrievers</h2><p class="muted">Scored on the same eval queries by labeled spans (a hit finds a span it holds at least half of), beside the local ${esc(c.local.name)} scored the same way: nDCG@10 ${f(ref.ndcg_cut_10)}, recall@${k} ${f(ref[`recall_${k}`])}. A retriever from workspace settings is contacted only in a trusted workspace, after you allowed it.</p>
<table id="configured-retrievers"><tr><th>retriever</th><th>sends to</th><th>status</th><th>nDCG@10</th><th>recall@${k}</th><th>Δ nDCG@10 vs ${esc(c.local.name)}</th><th></th></tr>${rows.join('')}</table>`;
}

/**
 * Evaluates the eval split with each retriever at the level the labels support (chunk level for span labels,
 * document level for whole-document judgments, both for a mixed set) and diagnoses the baseline's misses.
 */
export async function runBaseline(index: WorkspaceIndex, queries: EvalQuery[], retrievers: RetrieverName[], k: number, root: string | undefined, exclude: string[], adapter?: QueryAdapter): Promise<BaselineResult> {
  const support = levelSupport(queries, 'eval');
  const level: Level = support.levels[0] ?? 'chunk';
  const unscored = support.levels.length ? undefined : unscorableReason(level, support);
  const runAll = async (at: Level) => {
    const out: BaselineResult['runs'] = [];
    if (unscored) return out;
    const plans: Array<{ retriever: RetrieverName; adapter?: QueryAdapter }> = retrievers.map((retriever) => ({ retriever }));
    // With a query adapter, dense and hybrid run again with it, beside the plain ones; the manifests name it.
    if (adapter) for (const retriever of ['dense', 'hybrid'] as const) if (retrievers.includes(retriever)) plans.push({ retriever, adapter });
    for (const { retriever, adapter: a } of plans) {
      const result = await evaluate(index, queries, { retriever, level: at, cutoffs: [k, 10], split: 'eval', workspaceRoot: root, queryTransform: a });
      if (root) saveRun(path.join(root, RUNS_DIR), { all: result.metrics.all, perQuery: result.metrics.perQuery, manifest: result.manifest });
      out.push({ retriever, result, ...(a ? { adapter: a.id } : {}) });
    }
    return out;
  };
  const runs = await runAll(level);
  const docRuns = support.levels.includes('doc') && level !== 'doc' ? await runAll('doc') : undefined;
  const docLevel = docRuns && { queries: docRuns[0]?.result.metrics.all.num_q ?? 0, heading: describeLevel('doc', support), runs: docRuns };
  const baselineRetriever: RetrieverName = retrievers.includes('dense') ? 'dense' : retrievers[0];
  const { misses } = await diagnoseMisses({ index, root, corpusOptions: { exclude }, queries, variants: [] }, { k, baseline: baselineRetriever === 'rerank' ? 'hybrid' : baselineRetriever, candidates: 30, split: 'eval' });
  const categories = Object.fromEntries(FAILURE_CATEGORIES.map((c) => [c, misses.filter((m) => m.category === c).length])) as Record<FailureCategory, number>;
  const sweep = !unscored && retrievers.includes('hybrid') && index.embedder ? await sweepFusion(index, queries, { level, cutoffs: [k, 10], split: 'eval', known: Object.fromEntries(runs.filter((r) => !r.adapter).map((r) => [r.retriever, r.result])) }) : undefined;
  const queryTexts = Object.fromEntries(queries.map((q) => [q.id, q.text]));
  return { k, queries: runs[0]?.result.metrics.all.num_q ?? 0, level, unscored, heading: support.levels.length ? describeLevel(level, support) : LEVEL_NAME[level], runs, docLevel, categories, baselineRetriever, sweep, queryTexts };
}

/** nDCG@10 along the dense weight (0 = keyword alone, 1 = dense alone), RRF as a dashed line, the configured point ringed. */
function sweepChart(sweep: FusionSweep): string {
  const W = 520;
  const H = 180;
  const pad = { l: 40, r: 150, t: 10, b: 30 };
  const x = (w: number) => pad.l + w * W;
  const y = (v: number) => pad.t + (1 - v) * H;
  const m = sweep.measure;
  const val = (p: SweepPoint) => p.result.metrics.all[m];
  const line = sweep.curve.map((p) => `${x(p.denseWeight ?? 0).toFixed(1)},${y(val(p)).toFixed(1)}`).join(' ');
  const dots = sweep.curve.map((p) => `<circle cx="${x(p.denseWeight ?? 0)}" cy="${y(val(p))}" r="3" fill="var(--vscode-charts-blue)"><title>${esc(p.label)}: ${val(p).toFixed(3)}</title></circle>`).join('');
  const rrf = val(sweep.rrf);
  const c = sweep.configured;
  const cx = c.denseWeight === null ? x(1) + 40 : x(c.denseWeight);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => `<line x1="${x(0)}" x2="${x(1)}" y1="${y(t)}" y2="${y(t)}" class="grid"></line><text x="${pad.l - 6}" y="${y(t) + 4}" text-anchor="end" class="val">${t.toFixed(2)}</text>`).join('');
  const xticks = [0, 0.2, 0.4, 0.6, 0.8, 1].map((t) => `<text x="${x(t)}" y="${pad.t + H + 14}" text-anchor="middle" class="val">${t}</text>`).join('');
  return `<svg id="fusion-sweep" role="img" aria-label="${m} along the dense weight" viewBox="0 0 ${pad.l + W + pad.r} ${pad.t + H + pad.b}">
${ticks}${xticks}
<text x="${x(0)}" y="${pad.t + H + 27}" class="val">keyword alone</text><text x="${x(1)}" y="${pad.t + H + 27}" text-anchor="end" class="val">dense alone → dense weight</text>
<line x1="${x(0)}" x2="${x(1)}" y1="${y(rrf)}" y2="${y(rrf)}" class="rrf"></line><text x="${x(1) + 6}" y="${y(rrf) + 4}" class="lbl">${esc(sweep.rrf.label)} ${rrf.toFixed(3)}</text>
<polyline points="${line}" fill="none" stroke="var(--vscode-charts-blue)" stroke-width="2"></polyline>${dots}
<circle cx="${cx}" cy="${y(val(c))}" r="7" fill="none" stroke="var(--vscode-charts-orange)" stroke-width="2"></circle><text x="${cx + 10}" y="${y(val(c)) - 8}" class="lbl">configured ${val(c).toFixed(3)}</text>
</svg>`;
}

/**
 * A static results page: metric bars per configuration, per-query wins and losses against the baseline, and the
 * failure-category breakdown, as inline SVG. No scripts run in it (CSP forbids them); query links are command URIs
 * that open the Query Inspector on that query.
 */
export function showBaselineResults(result: BaselineResult, existing?: vscode.WebviewPanel): vscode.WebviewPanel {
  const panel = existing ?? vscode.window.createWebviewPanel('retrievalLens.baseline', 'Baseline Results', vscode.ViewColumn.Beside, { enableScripts: false, enableCommandUris: true, localResourceRoots: [] });
  // A re-run updates the open panel: bring it to the front so the new results are seen.
  if (existing && !existing.visible) existing.reveal(undefined, true);
  const nonce = crypto.randomBytes(8).toString('hex');
  const measures = [`ndcg_cut_10`, `recall_${result.k}`, `P_${result.k}`, 'recip_rank', 'map'];
  const colors = ['var(--vscode-charts-blue)', 'var(--vscode-charts-green)', 'var(--vscode-charts-orange)', 'var(--vscode-charts-purple)'];
  const barW = 520;
  const barsOf = (runs: BaselineResult['runs']) => measures
    .map((m) => {
      const rows = runs.map((r, i) => {
        const v = r.result.metrics.all[m] ?? 0;
        return `<g transform="translate(0, ${i * 18})" data-run="${esc(runName(r))}"><text x="0" y="12" class="lbl">${esc(runName(r))}</text><rect x="${BAR_X}" y="2" width="${Math.max(1, v * barW)}" height="12" fill="${colors[i % colors.length]}"${r.adapter ? ' fill-opacity="0.65" stroke="var(--vscode-charts-purple)"' : ''}></rect><text x="${BAR_X + 6 + v * barW}" y="12" class="val">${v.toFixed(3)}</text></g>`;
      });
      return `<h3>${m}</h3><svg role="img" aria-label="${m} per retriever" width="${barW + BAR_X + 70}" height="${runs.length * 18 + 4}">${rows.join('')}</svg>`;
    })
    .join('');
  const bars = barsOf(result.runs);
  const base = result.runs.find((r) => r.retriever === result.baselineRetriever && !r.adapter) ?? result.runs[0];
  const texts = result.queryTexts ?? {};
  const compare = result.runs
    .filter((r) => r !== base)
    .map((r) => {
      const c = compareRuns(base.result.metrics.perQuery, r.result.metrics.perQuery, 'ndcg_cut_10');
      const link = (qid: string) => `<a href="command:retrievalLens.inspectQuery?${encodeURIComponent(JSON.stringify([qid]))}">${esc(qid)}</a>${texts[qid] ? ` <span class="qtext">${esc(texts[qid])}</span>` : ''}`;
      return `<h3 data-run="${esc(runName(r))}">${esc(runName(r))} vs ${esc(runName(base))}</h3><p>Δ nDCG@10 ${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(3)} (95% CI ${c.ci95[0].toFixed(3)} to ${c.ci95[1].toFixed(3)}, randomization p = ${c.pValue.toFixed(3)}): better on ${c.wins.length}, worse on ${c.losses.length}, tied on ${c.ties}.</p>
        <ul class="wl">${c.wins.map((w) => `<li class="win">▲ ${link(w.qid)} ${w.a.toFixed(2)} → ${w.b.toFixed(2)}</li>`).join('')}${c.losses.map((l) => `<li class="loss">▼ ${link(l.qid)} ${l.a.toFixed(2)} → ${l.b.toFixed(2)}</li>`).join('')}</ul>`;
    })
    .join('');
  const total = Object.values(result.categories).reduce((a, b) => a + b, 0);
  const cats = FAILURE_CATEGORIES.map((c, i) => {
    const n = result.categories[c];
    return `<g transform="translate(0, ${i * 18})"><text x="0" y="12" class="lbl">${c}</text><rect x="120" y="2" width="${total ? Math.max(n ? 2 : 0, (n / total) * 400) : 0}" height="12" fill="var(--vscode-charts-red)"></rect><text x="${126 + (total ? (n / total) * 400 : 0)}" y="12" class="val">${n}</text></g>`;
  }).join('');
  panel.webview.html = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);background:var(--vscode-editor-background);padding:8px 16px}
h2{font-size:1.2em} h3{font-size:1em;margin:12px 0 4px}
svg text{fill:var(--vscode-foreground);font-size:11px} .val{fill:var(--vscode-descriptionForeground)}
.wl{list-style:none;padding:0;columns:2} .win{color:var(--vscode-testing-iconPassed)} .loss{color:var(--vscode-testing-iconFailed)}
a{color:var(--vscode-textLink-foreground)} .muted{color:var(--vscode-descriptionForeground)} .qtext{color:var(--vscode-descriptionForeground);white-space:pre-wrap}
table{border-collapse:collapse} td,th{padding:2px 8px;text-align:left;border-bottom:1px solid var(--vscode-editorWidget-border)}
#fusion-sweep{width:100%;max-width:710px;height:auto} .grid{stroke:var(--vscode-editorWidget-border);stroke-width:.5} .rrf{stroke:var(--vscode-charts-purple);stroke-dasharray:4 3}
</style></head><body>
<h2>Baseline: ${result.queries} eval queries, ${LEVEL_NAME[result.level]}, K = ${result.k}</h2>
<p class="muted">${result.unscored ? `Not measured: ${esc(result.unscored)}.` : result.level === 'chunk' ? `Relevance comes from your labeled spans, so every chunker and retriever is scored against the same labels (${esc(result.heading)}).` : `Your judgments are whole documents, so each document scores its best chunk (${esc(result.heading)}); chunk level cannot be scored from them.`}</p>
<section id="metrics">${bars}</section>
${result.docLevel ? `<h2>Document level: ${result.docLevel.queries} eval queries</h2><p class="muted">Some judgments are whole documents: ${esc(result.docLevel.heading)}.</p><section id="metrics-doc">${barsOf(result.docLevel.runs)}</section>` : ''}
${result.sweep ? `<h2>Hybrid trade-off</h2><p class="muted">nDCG@10 of weighted fusion (${esc(result.sweep.configured.fusion?.normalization ?? 'min-max')}) as the dense weight goes from keyword alone to dense alone, on the same eval queries.</p>${sweepChart(result.sweep)}<p id="sweep-verdict">${esc(sweepVerdict(result.sweep))}</p>` : ''}
${result.configured ? configuredSection(result.configured, result.k) : ''}
${adapterSection(result)}
<h2>Per query</h2><section id="per-query">${compare || '<p class="muted">Run two or more retrievers to compare them.</p>'}</section>
<h2>Why the ${esc(result.baselineRetriever)} baseline misses (${total} missed spans)</h2>
<svg id="categories" role="img" aria-label="failure categories" width="600" height="${FAILURE_CATEGORIES.length * 18 + 4}">${cats}</svg>
<p class="muted">Run “Retrieval Lens: Show Fine-Tune Readiness Report” for what-if re-chunking and model comparisons.</p>
</body></html>`;
  return panel;
}

const BAR_X = 120;

/** The query adapter line: which one the "+ adapter" runs used, or how to train one (a command link). */
function adapterSection(result: BaselineResult): string {
  const a = result.adapter;
  const train = '<a id="train-adapter" href="command:retrievalLens.trainAdapter">Train a query adapter (trial fine-tune)</a>';
  const head = '<h2>Query adapter</h2>';
  if (!a?.id) return `${head}<p id="adapter-note" class="muted">${esc(a?.note || 'No query adapter is on (retrievalLens.queryAdapter).')} ${train}: trained on the train split, measured on the eval split, no re-embedding.</p>`;
  return `${head}<p id="adapter-note" class="muted">The “+ adapter” runs map each query vector with ${esc(a.id)} (retrievalLens.queryAdapter)${a.trained ? `; its trial measured ${esc(a.trained)}` : ''}. ${train} again after labeling more train queries.</p>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
