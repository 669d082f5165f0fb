import { html, nothing, svg, type TemplateResult } from 'lit';
import type { BaselineCurveChart, BaselineMetricChart, BaselineSweepChart, BaselineView, BaselineWinLoss, HostToBaseline, BaselineToHost } from '../../src/protocol/baseline';
import { appMessenger } from '../shared/vscode-api';
import { ViewApp } from '../shared/view-app';
import { comparison, metricWords } from '../../src/protocol/words';

const messenger = appMessenger<HostToBaseline, BaselineToHost>();
const BAR_X = 120;
/** The widest a bar gets; narrower when the pane is (the chart never runs past the pane's edge). */
const BAR_W_MAX = 520;
/** Room right of a full bar for its value, e.g. "0.833". */
const VALUE_ROOM = 50;
/** The category chart's widest bar (CATEGORY_WIDTH of the view model): bars scale down with the pane. */
const CATEGORY_MAX = 400;
const CATEGORY_X = 120;

/**
 * The baseline results, drawn from the view model the host built (src/extension/webviews/baseline/baseline-model.ts).
 * Every string (query texts, retriever names, reasons) is a lit text binding: shown, never parsed as HTML.
 */
export class BaselineApp extends ViewApp<BaselineView> {
  constructor(root: HTMLElement) {
    super(root, { onShow: (f) => messenger.on('show', f), ready: () => messenger.request('ready', {}) });
    // The bar charts are drawn for the pane's width: redraw when it changes.
    let last = 0;
    new ResizeObserver(() => {
      const w = this.width();
      if (w !== last && this.view) this.draw();
      last = w;
    }).observe(root);
  }

  /** The width the charts may take: the app's content box. */
  private width(): number {
    const el = this.root.querySelector('.baseline') ?? this.root;
    const cs = getComputedStyle(el);
    return Math.max(200, el.clientWidth - parseFloat(cs.paddingLeft || '0') - parseFloat(cs.paddingRight || '0'));
  }


  protected template(): TemplateResult {
    if (this.error) return html`<div class="error" role="alert">${this.error}</div>`;
    const v = this.view;
    if (!v) return html`<p class="hint">Loading…</p>`;
    return html`<div class="baseline">
      <h2>${v.title}</h2>
      <p class="muted">${v.intro}</p>
      <section id="metrics">${this.bars(v.metrics)}</section>
      ${v.docLevel ? html`<h2>${v.docLevel.title}</h2><p class="muted">${v.docLevel.intro}</p><section id="metrics-doc">${this.bars(v.docLevel.metrics)}</section>` : nothing}
      ${v.sweep ? this.sweep(v.sweep) : nothing}
      ${v.configured ? this.configured(v.configured) : nothing}
      <h2>Query adapter</h2>
      <p id="adapter-note" class="muted">${v.adapter.before}<a id="train-adapter" href="#" @click=${(e: Event) => this.send(e, () => messenger.request('trainAdapter', {}))}>Train a query adapter (trial fine-tune)</a>${v.adapter.after}</p>
      ${v.adapterCurve ? this.curve(v.adapterCurve) : nothing}
      <h2>Per query</h2>
      <section id="per-query">${v.comparisons.length
        ? v.comparisons.map((c) => html`<h3 data-run=${c.run}>${c.run} vs ${c.base}</h3><p>${c.summary}</p>
            <p class="muted">Per query, nDCG@10 of ${c.base} → ${c.run}; ▲ ${c.run} better, ▼ worse.</p>
            <ul class="wl">${c.items.map((w) => this.winLoss(w, c.base, c.run))}</ul>`)
        : html`<p class="muted">Run two or more retrievers to compare them.</p>`}</section>
      <h2>${v.missesTitle}</h2>
      ${this.categoryChart(v)}
      <ul id="category-fixes" class="muted">${v.categories.filter((c) => c.count).map((c) => html`<li data-category=${c.name} data-query-ids=${(c.queries ?? []).map((q) => q.id).join(' ')}><strong>${c.name}</strong> (${c.count}): ${c.fix}${c.queries?.length ? html`<br><span class="category-queries">${c.queries.map((q) => `“${q.text}”`).join(', ')}</span>` : nothing}</li>`)}</ul>
      ${v.categoriesNote ? html`<p class="muted" id="categories-note">${v.categoriesNote}</p>` : nothing}
      <p class="muted">Run “Retrieval Lens: Show Fine-Tune Readiness Report” for what-if re-chunking and model comparisons.</p>
    </div>`;
  }

  /** A link's click: the host does the work; the page never navigates. */
  private send(e: Event, call: () => Promise<unknown>): void {
    e.preventDefault();
    call().catch((err: unknown) => {
      this.error = err instanceof Error ? err.message : String(err);
      this.draw();
    });
  }

  private categoryChart(v: BaselineView): TemplateResult {
    const scale = Math.min(1, (this.width() - CATEGORY_X - 40) / CATEGORY_MAX);
    const width = Math.ceil(CATEGORY_X + CATEGORY_MAX * scale + 40);
    return html`<svg id="categories" role="img" aria-label="failure categories" width=${width} height=${v.categories.length * 18 + 4}>${v.categories.map((c, i) => svg`<g transform="translate(0, ${i * 18})" data-category=${c.name}><text x="0" y="12" class="lbl">${c.name}</text><rect x=${CATEGORY_X} y="2" width=${c.width * scale} height="12" fill="var(--vscode-charts-red)"></rect><text x=${CATEGORY_X + 6 + c.width * scale} y="12" class="val">${c.count}</text></g>`)}</svg>`;
  }

  private bars(charts: BaselineMetricChart[]): TemplateResult[] {
    const BAR_W = Math.max(60, Math.min(BAR_W_MAX, this.width() - BAR_X - VALUE_ROOM));
    return charts.map((m) => html`<h3 title=${`${metricWords(m.measure).explain} (trec_eval: ${m.measure})`} data-measure=${m.measure}><span class="explained">${metricWords(m.measure).name}</span></h3><svg role="img" aria-label="${metricWords(m.measure).name} per retriever" width=${BAR_W + BAR_X + VALUE_ROOM} height=${m.bars.length * 18 + 4}>${m.bars.map((b, i) =>
      svg`<g transform="translate(0, ${i * 18})" data-run=${b.run}><text x="0" y="12" class="lbl">${b.run}</text><rect x=${BAR_X} y="2" width=${Math.max(1, b.value * BAR_W)} height="12" fill=${b.color} fill-opacity=${b.adapted ? '0.65' : '1'} stroke=${b.adapted ? 'var(--vscode-charts-purple)' : 'none'}></rect><text x=${BAR_X + 6 + b.value * BAR_W} y="12" class="val">${b.value.toFixed(3)}</text></g>`)}</svg>`);
  }

  /** A query's win or loss, with both retrievers named: "dense 0.00 → keyword 1.00" (nDCG@10). */
  private winLoss(w: BaselineWinLoss, base: string, run: string): TemplateResult {
    return html`<li class=${w.kind}>${w.kind === 'win' ? '▲' : '▼'} <a href="#" @click=${(e: Event) => this.send(e, () => messenger.request('inspectQuery', { queryId: w.queryId }))}>${w.queryId}</a>${w.queryText ? html` <span class="qtext">${w.queryText}</span>` : nothing} <span class="change">${comparison(base, w.from, run, w.to)}</span></li>`;
  }

  private sweep(s: BaselineSweepChart): TemplateResult {
    return html`<h2>Hybrid trade-off</h2><p class="muted">nDCG@10 of weighted fusion (${s.normalization}) as the dense weight goes from keyword alone to dense alone, on the same eval queries.</p>
      <svg id="fusion-sweep" role="img" aria-label="${s.measure} along the dense weight" viewBox="0 0 ${s.width} ${s.height}">
        ${s.grid.map((g) => svg`<line x1=${s.x0} x2=${s.x1} y1=${g.y} y2=${g.y} class="grid"></line><text x=${s.textX} y=${g.y + 4} text-anchor="end" class="val">${g.label}</text>`)}
        ${s.xTicks.map((t) => svg`<text x=${t.x} y=${s.bottom + 14} text-anchor="middle" class="val">${t.label}</text>`)}
        <text x=${s.x0} y=${s.bottom + 27} class="val">keyword alone</text><text x=${s.x1} y=${s.bottom + 27} text-anchor="end" class="val">dense alone → dense weight</text>
        <line x1=${s.x0} x2=${s.x1} y1=${s.rrf.y} y2=${s.rrf.y} class="rrf"></line><text x=${s.x1 + 6} y=${s.rrf.y + 4} class="lbl">${s.rrf.label}</text>
        <polyline points=${s.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')} fill="none" stroke="var(--vscode-charts-blue)" stroke-width="2"></polyline>
        ${s.points.map((p) => svg`<circle cx=${p.x} cy=${p.y} r="3" fill="var(--vscode-charts-blue)"><title>${p.title}</title></circle>`)}
        <circle cx=${s.configured.x} cy=${s.configured.y} r="7" fill="none" stroke="var(--vscode-charts-orange)" stroke-width="2"></circle><text x=${s.configured.x + 10} y=${s.configured.y - 8} class="lbl">${s.configured.label}</text>
      </svg>
      <p id="sweep-verdict">${s.verdict}</p>`;
  }

  /** The adapter's learning curve(s): Δ nDCG@10 over dense by share of the pairs, a legend naming each series and its pairs. */
  private curve(c: BaselineCurveChart): TemplateResult {
    return html`<h3>Learning curve of the adapter's trial</h3><p class="muted">${c.basis}.</p>
      <svg id="adapter-curve" role="img" aria-label="gain in nDCG@10 over dense by ${c.xLabel}" viewBox="0 0 ${c.width} ${c.height}" style="max-width: ${c.width}px">
        ${c.grid.map((g) => svg`<line x1=${c.x0} x2=${c.x1} y1=${g.y} y2=${g.y} class="grid"></line><text x=${c.textX} y=${g.y + 4} text-anchor="end" class="val">${g.label}</text>`)}
        ${c.xTicks.map((t) => svg`<text x=${t.x} y=${c.bottom + 14} text-anchor="middle" class="val">${t.label}</text>`)}
        <text x=${c.x1} y=${c.bottom + 27} text-anchor="end" class="val">${c.xLabel} → (Δ nDCG@10 over dense)</text>
        <line x1=${c.x0} x2=${c.x1} y1=${c.zeroY} y2=${c.zeroY} class="zero"></line>
        ${c.series.map((s) => svg`<g class="curve-series" data-series=${s.name}><polyline points=${s.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')} fill="none" stroke=${s.color} stroke-width="2" stroke-dasharray=${s.dashed ? '5 3' : 'none'}></polyline>${s.points.map((p) => svg`<line class="ci" x1=${p.ciX} x2=${p.ciX} y1=${p.ciLow} y2=${p.ciHigh} stroke=${s.color} stroke-width="1" opacity="0.7"></line><line x1=${p.ciX - 3} x2=${p.ciX + 3} y1=${p.ciLow} y2=${p.ciLow} stroke=${s.color} opacity="0.7"></line><line x1=${p.ciX - 3} x2=${p.ciX + 3} y1=${p.ciHigh} y2=${p.ciHigh} stroke=${s.color} opacity="0.7"></line><circle cx=${p.x} cy=${p.y} r="3" fill=${s.color}><title>${p.title}</title></circle>`)}</g>`)}
      </svg>
      <ul id="adapter-curve-legend" class="muted">${c.series.map((s) => html`<li data-series=${s.name}><span style="color: ${s.color}">${s.dashed ? '╌╌' : '━━'}</span> ${s.label}</li>`)}<li>bars: 95% bootstrap CI of each gain</li></ul>
      <p id="adapter-curve-reading">${c.reading}</p>`;
  }

  private configured(c: NonNullable<BaselineView['configured']>): TemplateResult {
    return html`<h2>Configured retrievers</h2><p class="muted">${c.intro}</p>
      <table id="configured-retrievers"><tr>${c.columns.map((h) => html`<th>${h}</th>`)}</tr>${c.rows.map((r) => html`<tr class="configured" data-retriever=${r.name}><td>${r.name}</td><td>${r.destination}</td><td>${r.status}</td><td>${r.ndcg}</td><td>${r.recall}</td><td>${r.vsLocal}</td><td class="muted">${r.note}</td></tr>`)}</table>`;
  }
}
