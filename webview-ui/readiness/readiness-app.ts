import { html, nothing, type TemplateResult } from 'lit';
import type { HostToReadiness, ReadinessChecklistRow, ReadinessTable, ReadinessToHost, ReadinessView } from '../../src/protocol/readiness';
import { appMessenger } from '../shared/vscode-api';
import { ViewApp } from '../shared/view-app';
import { explainColumn } from '../../src/protocol/words';

const messenger = appMessenger<HostToReadiness, ReadinessToHost>();

/** A tick only for met; thin evidence gets its own mark, never the green one. */
const STATE_MARK: Record<ReadinessChecklistRow['state'], string> = { met: '✓', 'not-met': '✗', 'not-settled': '?' };
const STATE_TITLE: Record<ReadinessChecklistRow['state'], string> = { met: 'met', 'not-met': 'not met', 'not-settled': 'not settled: too little evidence to say' };

/**
 * The fine-tune readiness report, drawn from the view model the host built
 * (src/extension/webviews/readiness/readiness-model.ts). Query texts and evidence come from the workspace: every one
 * is a lit text binding, shown and never parsed as HTML or Markdown.
 */
export class ReadinessApp extends ViewApp<ReadinessView> {
  constructor(root: HTMLElement) {
    super(root, { onShow: (f) => messenger.on('show', f), ready: () => messenger.request('ready', {}) });
  }


  private run(call: () => Promise<unknown>): void {
    call().catch((err: unknown) => {
      this.error = err instanceof Error ? err.message : String(err);
      this.draw();
    });
  }

  protected template(): TemplateResult {
    const v = this.view;
    const error = this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing;
    if (!v) return html`${error}<p class="hint">Loading…</p>`;
    return html`<article class="readiness" data-justified=${String(v.justified)}>
      ${error}
      <h1>${v.title}</h1>
      <ul id="verdict-reasons">${v.reasons.map((r) => html`<li>${r}</li>`)}</ul>
      <p id="baseline-line">${v.baselineLine}</p>
      <p id="found-line">${v.foundLine}</p>
      ${v.labels ? html`<p id="decision-labels" class="muted">Decided on ${v.labels} (the judge is validated); every figure resting on them is marked, the human-only figure beside it.</p>` : nothing}
      <div class="actions">
        <vscode-button id="train-adapter" @click=${() => this.run(() => messenger.request('trainAdapter', {}))}>Train Query Adapter (trial fine-tune)</vscode-button>
        <vscode-button id="open-markdown" secondary @click=${() => this.run(() => messenger.request('openMarkdown', {}))}>Open as Markdown</vscode-button>
      </div>
      ${v.tables.map((t) => this.table(t))}
      ${v.notes.map((n) => html`<section class="note" id=${n.id}>${n.heading ? html`<h2>${n.heading}</h2>` : nothing}${n.lines.map((l) => html`<p>${l}</p>`)}</section>`)}
      <h2>Checklist</h2>
      <p class="muted">✓ met, ✗ not met, ? not settled (too little evidence to say); each item with the figure it rests on and its bar.</p>
      <ul id="checklist">${v.checklist.map((c) => html`<li class=${c.state} data-state=${c.state}><span class="mark" title=${STATE_TITLE[c.state]}>${STATE_MARK[c.state]}</span> <strong>${c.item}</strong>${c.labels ? html` <span class="labels">(${c.labels})</span>` : nothing} — ${c.detail}
        <div class="evidence">evidence: ${c.evidence}</div>${c.settle ? html`<div class="settle">to settle: ${c.settle}</div>` : nothing}${c.humanOnly ? html`<div class="human-only">human labels only: ${c.humanOnly}</div>` : nothing}</li>`)}</ul>
      ${this.table(v.missed)}
      <p class="muted">${v.generated} Measure what adapting the model would gain on your own labels with Train Query Adapter, then switch it on with retrievalLens.queryAdapter.</p>
    </article>`;
  }

  private table(t: ReadinessTable): TemplateResult {
    return html`<section class="report-table">
      <h2>${t.heading}</h2>
      ${t.intro ? html`<p>${t.intro}</p>` : nothing}
      <table id=${t.id}>
        <thead><tr>${t.columns.map((c, i) => html`<th class=${t.numeric[i] ? 'num' : ''} title=${explainColumn(c) ?? ''}>${explainColumn(c) ? html`<span class="explained">${c}</span>` : c}</th>`)}</tr></thead>
        <tbody>${t.rows.map((r) => html`<tr>${r.map((cell, i) => html`<td class=${t.numeric[i] ? 'num' : ''}>${cell}</td>`)}</tr>`)}</tbody>
      </table>
      ${t.notes.map((n) => html`<p>${n}</p>`)}
    </section>`;
  }
}
