import { html, nothing, render, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { ExampleQuery, ExternalColumn, ExternalHitRow, InitState, IndexStatus, MissedSpan, ResultRow, SearchParams, SearchView } from '../../src/protocol/inspector';
import { matchEvalQuery, missHeading, missLine } from '../../src/protocol/miss-line';
import { plural } from '../../src/protocol/words';
import { pathLabel } from '../shared/path-label';
import { RETRIEVERS as ALL_RETRIEVERS, type RetrieverName, type ScoreExplanation } from '../../src/protocol/inspector';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import { describeFusion } from '../../src/protocol/inspector';
import { CHECKED_FIELDS, fusionFieldsUsed, readForm, type SearchForm } from './search-form';
import { messenger, state as persisted, type PersistedState } from './api';

/** Filter and fusion fields: plain text in the persisted state. */
type FormTextField = Extract<keyof PersistedState, `filter${string}` | `fusion${string}`>;

const LABELS: Record<RetrieverName, string> = { keyword: 'Keyword (BM25)', dense: 'Dense', hybrid: 'Hybrid', rerank: 'Reranked' };

/** The Query Inspector: query form, retriever columns side by side, missed spans; state survives hide/reload. */
export class InspectorApp {
  private init: InitState | undefined;
  private view: SearchView | undefined;
  private busy = false;
  private error = '';
  private s: PersistedState;
  /** Collapsible sections the user opened (or a blocked search opened to show an error). */
  private readonly openSections = new Set<string>();
  /** Eval queries to try from the empty inspector, one per failure kind (from the host's guide). */
  private examples: ExampleQuery[] = [];
  private keepTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly root: HTMLElement) {
    this.s = persisted.load();
    this.restoreView(this.s.lastView);
  }

  /** A view saved by a version that did not report its fusion is dropped rather than shown half-described. */
  private restoreView(last: unknown): void {
    const v = last as SearchView | undefined;
    this.view = v?.fusion ? v : undefined;
  }

  async start(): Promise<void> {
    messenger.on('indexStatus', (status) => {
      if (this.init) this.init = { ...this.init, index: status };
      this.draw();
    });
    messenger.on('setQuery', ({ text, queryId }) => {
      this.s = { ...this.s, query: text, queryId };
      this.save();
      void this.search();
    });
    messenger.on('adapterStatus', (adapter) => {
      if (this.init) this.init = { ...this.init, adapter };
      this.draw();
    });
    messenger.on('evalQueries', ({ queries, recorded }) => {
      if (this.init) this.init = { ...this.init, evalQueries: queries, ...(recorded ? { recorded } : {}) };
      this.draw();
    });
    this.draw();
    try {
      // A panel closed and opened again starts with no webview state: the host kept the last one.
      const fresh = !persisted.saved();
      const [guide, init] = await Promise.all([messenger.request('guide', {}).catch(() => undefined), messenger.request('ready', {})]);
      this.examples = guide?.examples ?? [];
      if (fresh && guide?.state && typeof guide.state === 'object') {
        this.s = { ...this.s, ...(guide.state as Partial<PersistedState>) };
        this.restoreView(this.s.lastView);
        persisted.save(this.s);
      }
      this.init = init;
      if (!this.s.queryId && this.init.activeQueryId) {
        const q = this.init.evalQueries.find((e) => e.id === this.init?.activeQueryId);
        if (q) this.s = { ...this.s, query: q.text, queryId: q.id };
      }
    } catch (e) {
      this.error = String(e);
    }
    this.draw();
  }

  /**
   * Saves the state in the webview (kept while the panel lives) and gives the host a copy for a reopened panel: at
   * once after a search (another view may hide this one, ending its script, right after), else when typing pauses.
   */
  private save(now = false): void {
    persisted.save({ ...this.s, lastView: this.view });
    clearTimeout(this.keepTimer);
    const keep = () => void messenger.request('keepState', { state: { ...this.s, lastView: this.view } }).catch(() => undefined);
    if (now) keep();
    else this.keepTimer = setTimeout(keep, 500);
  }

  /** The form as the host would get it; fields whose browser input cannot be parsed are read from the live DOM. */
  private readForm(): SearchForm {
    const badInput = new Set(CHECKED_FIELDS.filter((f) => this.root.querySelector<VscodeTextfield>(`vscode-textfield[data-field="${f}"]`)?.wrappedElement?.validity.badInput));
    return readForm(this.s, badInput);
  }

  async search(): Promise<void> {
    if (!this.s.query.trim()) return;
    // Typed text that is an eval query's (case and spacing aside) is that query: its labels and misses show.
    if (!this.s.queryId) {
      const q = matchEvalQuery(this.s.query, this.init?.evalQueries ?? []);
      if (q) this.s = { ...this.s, queryId: q.id, query: q.text };
    }
    const form = this.readForm();
    if (Object.keys(form.errors).length) {
      if (form.errors.denseWeight || form.errors.rrfK) this.openSections.add('fusion');
      if (form.errors.modifiedAfter) this.openSections.add('filter');
      this.draw();
      return;
    }
    this.busy = true;
    this.error = '';
    this.draw();
    const params: SearchParams = {
      query: this.s.query,
      queryId: this.s.queryId,
      k: this.s.k,
      retrievers: this.s.retrievers as RetrieverName[],
      filter: form.filter,
      fusion: form.fusion,
      ...(this.adapterOn() ? { adapter: true } : {}),
      ...(this.pickedRecorded().length ? { recorded: this.pickedRecorded() } : {}),
    };
    try {
      this.view = await messenger.request('search', params);
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
    this.busy = false;
    this.save(true);
    this.draw();
  }

  /** The adapter toggle counts only when the host has an adapter ready for this index. */
  /** The recorded runs ticked that the workspace still has. */
  private pickedRecorded(): string[] {
    return (this.s.recorded ?? []).filter((r) => this.init?.recorded?.includes(r));
  }

  private adapterOn(): boolean {
    return this.s.adapter && this.init?.adapter?.state === 'ready';
  }

  private openNeighbourhood(query: string, queryId: string | undefined, retriever?: string): void {
    messenger.request('neighbourhood', { query, queryId, retriever }).catch((e: unknown) => {
      this.error = e instanceof Error ? e.message : String(e);
      this.draw();
    });
  }

  private async label(row: { docId: string; start: number; end: number }, grade: number): Promise<void> {
    try {
      const { queryId } = await messenger.request('label', { queryId: this.s.queryId, queryText: this.s.query, ...row, grade });
      this.s = { ...this.s, queryId };
      await this.search();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      this.draw();
    }
  }

  private draw(): void {
    render(this.template(), this.root);
  }

  private template(): TemplateResult {
    return html`
      ${this.header(this.init?.index)}
      ${this.form()}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      ${this.busy ? html`<vscode-progress-ring class="busy"></vscode-progress-ring>` : nothing}
      ${this.view ? this.results(this.view) : this.empty()}
      ${this.init ? html`<footer class="footer">Retrieval Lens ${this.init.host.extensionVersion} · VS Code ${this.init.host.vscodeVersion} · activated in ${this.init.host.activationMs.toFixed(0)} ms</footer>` : nothing}
    `;
  }

  /** The empty inspector: what to do, and one query per failure kind to try. */
  private empty(): TemplateResult {
    const indexing = this.init?.index.state === 'indexing';
    const pick = (q: ExampleQuery) => {
      this.s = { ...this.s, query: q.text, queryId: q.id };
      this.save();
      void this.search();
    };
    return html`<section class="empty">
      <p class="hint">${indexing ? 'The index is being built (offline, nothing is downloaded) — type a query meanwhile: it runs when the index is ready.' : 'Type a query (or pick an eval query) and press Enter.'}</p>
      ${this.examples.length ? html`<p class="hint">Or try one of these labeled queries, each missed for a different reason:</p>
        <ul class="examples">${this.examples.map((q) => html`<li><a href="#" class="example" data-query=${q.id} data-kind=${q.kind}
          @click=${(e: Event) => { e.preventDefault(); pick(q); }}>${q.text}</a> <span class="muted">— ${q.kind}</span></li>`)}</ul>` : nothing}
    </section>`;
  }

  private header(index: IndexStatus | undefined): TemplateResult {
    if (!index) return html`<header class="status">Connecting…</header>`;
    return html`<header class="status" data-state=${index.state}>
      <vscode-badge variant="counter">${index.state}</vscode-badge>
      <span>${index.state === 'indexing' && !index.documents ? 'counting documents' : `${plural(index.documents, 'document')} · ${plural(index.chunks, 'chunk')}`} · ${index.chunker || 'no chunker'} · ${index.model ?? 'no embedding model'}${index.staleFiles ? html` · <strong>${index.staleFiles} stale</strong>` : nothing}</span>
      ${index.message ? html`<span class="muted">${index.message}</span>` : nothing}
      <vscode-button id="build-index" secondary @click=${() => void messenger.request('buildIndex', {})}>${index.state === 'none' ? 'Build index' : 'Re-index'}</vscode-button>
    </header>`;
  }

  private form(): TemplateResult {
    const queries = this.init?.evalQueries ?? [];
    const { errors } = this.readForm();
    const used = fusionFieldsUsed(this.s.fusionMethod);
    return html`<form class="query-form" @submit=${(e: Event) => { e.preventDefault(); void this.search(); }}>
      <div class="row">
        <vscode-single-select id="eval-query" aria-label="Eval query" .value=${this.s.queryId ?? ''}
          @change=${(e: Event) => {
            const id = (e.target as HTMLSelectElement).value;
            const q = queries.find((x) => x.id === id);
            this.s = { ...this.s, queryId: q?.id, query: q ? q.text : this.s.query };
            this.save();
            this.draw();
            if (q) void this.search();
          }}>
          <vscode-option value="">(free query)</vscode-option>
          ${queries.map((q) => html`<vscode-option value=${q.id} description=${q.split}>${q.id}: ${q.text}</vscode-option>`)}
        </vscode-single-select>
      </div>
      <div class="row">
        <vscode-textfield id="query" class="grow" placeholder="Query" aria-label="Query" .value=${this.s.query}
          @input=${(e: Event) => { this.s = { ...this.s, query: (e.target as HTMLInputElement).value, queryId: undefined }; this.save(); }}
          @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') void this.search(); }}></vscode-textfield>
        <vscode-textfield id="k" type="number" min="1" max="100" aria-label="Top K" .value=${String(this.s.k)} style="width:5em"
          @input=${(e: Event) => { this.s = { ...this.s, k: Math.max(1, Number((e.target as HTMLInputElement).value) || 10) }; this.save(); }}></vscode-textfield>
        <vscode-button id="search" @click=${() => void this.search()}>Search</vscode-button>
      </div>
      <div class="row">
        ${ALL_RETRIEVERS.map((r) => html`<vscode-checkbox label=${LABELS[r]} .checked=${this.s.retrievers.includes(r)} data-retriever=${r}
          @change=${(e: Event) => {
            const on = (e.target as HTMLInputElement).checked;
            const set = new Set(this.s.retrievers);
            if (on) set.add(r); else set.delete(r);
            this.s = { ...this.s, retrievers: ALL_RETRIEVERS.filter((x) => set.has(x)) };
            this.save();
          }}></vscode-checkbox>`)}
        ${(this.init?.recorded ?? []).map((r) => html`<vscode-checkbox label=${r} title="A recorded production run (import-traces): answers the queries it recorded" .checked=${(this.s.recorded ?? []).includes(r)} data-retriever=${r}
          @change=${(e: Event) => {
            const on = (e.target as HTMLInputElement).checked;
            const rest = (this.s.recorded ?? []).filter((x) => x !== r);
            this.s = { ...this.s, recorded: on ? [...rest, r] : rest };
            this.save();
          }}></vscode-checkbox>`)}
        ${this.adapterToggle()}
      </div>
      ${this.section('filter', 'Metadata filter', 'filters', html`
        <div class="row">
          <vscode-textfield placeholder="path globs, e.g. docs/guides/**" aria-label="Path globs" .value=${this.s.filterPath}
            @input=${this.edit('filterPath')}></vscode-textfield>
          <vscode-textfield placeholder="languages, e.g. markdown" aria-label="Languages" .value=${this.s.filterLanguage}
            @input=${this.edit('filterLanguage')}></vscode-textfield>
          <vscode-textfield placeholder="front matter, e.g. product=cloud" aria-label="Front matter" .value=${this.s.filterFrontMatter}
            @input=${this.edit('filterFrontMatter')}></vscode-textfield>
        </div>
        <div class="row">
          <vscode-label for="filter-heading">Heading contains</vscode-label>
          <vscode-textfield id="filter-heading" placeholder="e.g. error codes" aria-label="Heading path contains" .value=${this.s.filterHeadingPath}
            @input=${this.edit('filterHeadingPath')}></vscode-textfield>
          <vscode-label for="filter-modified-after">Modified after</vscode-label>
          <vscode-textfield id="filter-modified-after" type="date" data-field="modifiedAfter" aria-label="Modified after" .value=${live(this.s.filterModifiedAfter)}
            ?invalid=${!!errors.modifiedAfter} @input=${this.edit('filterModifiedAfter')} @change=${() => this.draw()}></vscode-textfield>
        </div>
        ${fieldError(errors.modifiedAfter)}`)}
      ${this.section('fusion', 'Hybrid fusion', 'fusion', html`
        <div class="row">
          <vscode-label for="fusion-method">Method</vscode-label>
          <vscode-single-select id="fusion-method" aria-label="Fusion method" .value=${this.s.fusionMethod} @change=${this.edit('fusionMethod')}>
            <vscode-option value="">from settings</vscode-option>
            <vscode-option value="weighted">weighted</vscode-option>
            <vscode-option value="rrf">RRF</vscode-option>
          </vscode-single-select>
          <vscode-label for="fusion-dense-weight">Dense weight</vscode-label>
          <vscode-textfield id="fusion-dense-weight" type="number" data-field="denseWeight" placeholder="0 to 1" aria-label="Dense weight" style="width:7em"
            .value=${live(this.s.fusionDenseWeight)} ?disabled=${!used.weighted} ?invalid=${!!errors.denseWeight} @input=${this.edit('fusionDenseWeight')}></vscode-textfield>
          <vscode-label for="fusion-normalization">Normalisation</vscode-label>
          <vscode-single-select id="fusion-normalization" aria-label="Normalisation" .value=${this.s.fusionNormalization} ?disabled=${!used.weighted}
            @change=${this.edit('fusionNormalization')}>
            <vscode-option value="">from settings</vscode-option>
            <vscode-option value="min-max">min-max</vscode-option>
            <vscode-option value="z-score">z-score</vscode-option>
          </vscode-single-select>
          <vscode-label for="fusion-rrf-k">RRF k</vscode-label>
          <vscode-textfield id="fusion-rrf-k" type="number" data-field="rrfK" placeholder="e.g. 60" aria-label="RRF k" style="width:7em"
            .value=${live(this.s.fusionRrfK)} ?disabled=${!used.rrf} ?invalid=${!!errors.rrfK} @input=${this.edit('fusionRrfK')}></vscode-textfield>
        </div>
        ${fieldError(errors.denseWeight)}${fieldError(errors.rrfK)}
        <p class="hint">Empty fields use the workspace settings.</p>`)}
    </form>`;
  }

  /** "+ query adapter": dense and hybrid again with the adapter of retrievalLens.queryAdapter, side by side. */
  private adapterToggle(): TemplateResult {
    const a = this.init?.adapter;
    const ready = a?.state === 'ready';
    return html`<span class="adapter-toggle" data-state=${a?.state ?? 'off'}>
      <vscode-checkbox id="adapter-toggle" label="+ query adapter" .checked=${ready && this.s.adapter} ?disabled=${!ready}
        @change=${(e: Event) => { this.s = { ...this.s, adapter: (e.target as HTMLInputElement).checked }; this.save(); if (this.view) void this.search(); }}></vscode-checkbox>
      <span class="muted adapter-status" title=${a?.message ?? a?.id ?? ''}>${ready ? html`${a?.id}${a?.trained ? ` · trained ${a.trained}` : ''}` : a?.state === 'error' ? html`<span class="error-text">${a.message}</span>` : (a?.message ?? '')}</span>
    </span>`;
  }

  /** A collapsible that stays as the user left it across redraws. */
  private section(id: string, heading: string, className: string, body: TemplateResult): TemplateResult {
    return html`<vscode-collapsible heading=${heading} class=${className} .open=${this.openSections.has(id)}
      @vsc-collapsible-toggle=${(e: CustomEvent<{ open: boolean }>) => { if (e.detail.open) this.openSections.add(id); else this.openSections.delete(id); }}>${body}</vscode-collapsible>`;
  }

  /** Input handler for a text or select field of the persisted state; redraws so inline errors follow the typing. */
  private edit(key: FormTextField) {
    return (e: Event) => {
      this.s = { ...this.s, [key]: (e.target as HTMLInputElement).value };
      this.save();
      this.draw();
    };
  }

  private results(view: SearchView): TemplateResult {
    const cols = ALL_RETRIEVERS.filter((r) => view.columns[r] || view.errors[r]);
    const external = view.external ?? [];
    const adapted = view.adapted;
    // Each adapted column sits right after its plain one: "dense" | "dense + adapter" side by side.
    const shown: Array<{ key: string; name: RetrieverName; title: string; rows: ResultRow[]; error?: string; adapter?: string }> = [];
    for (const r of cols) {
      shown.push({ key: r, name: r, title: LABELS[r], rows: view.columns[r] ?? [], error: view.errors[r] });
      const extra = r === 'dense' || r === 'hybrid' ? adapted?.columns[r] : undefined;
      if (adapted && extra) shown.push({ key: `${r}+adapter`, name: r, title: `${LABELS[r]} + adapter`, rows: extra, adapter: adapted.adapterId });
    }
    return html`
      <section class="meta">“${view.query}” · top ${view.k}${cols.includes('hybrid') ? ` · hybrid: ${describeFusion(view.fusion)}` : nothing}${view.filterRemoved ? html` · filter removed ${view.filterRemoved} chunks` : nothing}
        · ${Object.entries(view.timingsMs).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(' · ')}
        <vscode-button id="open-neighbourhood" secondary title="Labeled, retrieved and confusing chunks around this query, before and after the adapter"
          @click=${() => this.openNeighbourhood(view.query, view.queryId)}>Neighbourhood</vscode-button></section>
      ${this.missSummary(view)}
      ${view.adapterError ? html`<div class="error adapter-error" role="alert">Query adapter: ${view.adapterError}</div>` : nothing}
      <section class="columns${shown.length + external.length > 3 ? ' many' : ''}" style="--cols: ${shown.length + external.length}">
        ${shown.map((c) => html`<div class="column${c.adapter ? ' adapted' : ''}" data-retriever=${c.key}>
          <h2 title=${c.adapter ?? ''}>${c.title}</h2>
          ${c.error ? html`<div class="error">${c.error}</div>` : nothing}
          <ol class="hits" role="listbox" aria-label=${c.title} @keydown=${onListKey}>
            ${c.rows.map((row) => this.row(row, c.name))}
          </ol>
        </div>`)}
        ${external.map((c) => this.externalColumn(c, view))}
      </section>
      ${this.missed(view.missed, view)}`;
  }

  /** A configured retriever (retrievalLens.retrievers): its hits and where each was placed, or why it did not run. */
  private externalColumn(c: ExternalColumn, view: SearchView): TemplateResult {
    return html`<div class="column external" data-retriever=${c.name} data-external=${c.kind || 'unknown'} data-status=${c.status}>
      <h2 title=${c.destination}>${c.name}${c.kind ? html` <span class="muted">(${c.kind})</span>` : nothing}</h2>
      ${c.status === 'ok' ? html`<vscode-button class="external-neighbourhood" secondary title=${`Labeled, retrieved and confusing chunks around this query, as ${c.name} ranks them`}
        @click=${() => this.openNeighbourhood(view.query, view.queryId, c.name)}>Neighbourhood</vscode-button>` : nothing}
      <div class="muted destination">${c.destination}</div>
      ${c.status !== 'ok' ? html`<div class="error">${c.status}: ${c.reason ?? ''}</div>` : nothing}
      ${c.notes.map((n) => html`<div class="muted note">${n}</div>`)}
      <ol class="hits" role="listbox" aria-label=${c.name} @keydown=${onListKey}>
        ${c.hits.map((h) => this.externalRow(h))}
      </ol>
      ${c.missed?.length ? html`<div class="external-missed"><h3>Missed by ${c.name} (${c.missed.length})</h3>
        <ol class="hits">${c.missed.map((m) => html`<li class="hit missed-span" tabindex="0" data-category=${m.category}
            @click=${() => void messenger.request('reveal', { docId: m.docId, start: m.start, end: m.end })}>
          <div class="hit-head"><span class="doc" title=${m.docId}>${m.docId}</span><vscode-badge>grade ${m.grade}</vscode-badge>
            <vscode-badge class="category">${m.category}</vscode-badge></div>
          <div class="preview">${m.quote}</div>
          <div class="explain">${m.evidence}</div>
        </li>`)}</ol></div>` : nothing}
    </div>`;
  }

  private externalRow(h: ExternalHitRow): TemplateResult {
    const docId = h.docId;
    const reveal = () => { if (docId !== null) void messenger.request('reveal', { docId, start: h.start ?? 0, end: h.end ?? h.start ?? 0 }); };
    const span = h.start !== undefined && h.end !== undefined ? { docId: docId as string, start: h.start, end: h.end } : undefined;
    const labelClass = h.label === undefined ? '' : h.label > 0 ? 'relevant' : 'irrelevant';
    return html`<li class="hit ${labelClass}" tabindex="0" role="option" data-id=${h.id} data-rank=${h.rank} data-placement=${h.placement}
        @click=${reveal} @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') reveal(); }}>
      <div class="hit-head">
        <span class="rank">#${h.rank}</span>
        <span class="doc">${pathLabel(docId ?? `(unplaced) ${h.path ?? h.id}`)}</span>
        <span class="score">${h.score.toFixed(4)}</span>
        <vscode-badge class="placement">${h.placement}</vscode-badge>
        ${h.label !== undefined ? html`<vscode-badge class="label-badge">${h.label > 0 ? `relevant ${h.label}` : 'irrelevant'}</vscode-badge>` : nothing}
      </div>
      <div class="explain">id ${h.id}${span ? ` · [${span.start}, ${span.end})` : ''}${h.reason ? ` · ${h.reason}` : ''}</div>
      <div class="preview">${h.preview}</div>
      ${span ? html`<div class="actions">
        <vscode-button secondary class="mark-relevant" @click=${(e: Event) => { e.stopPropagation(); void this.label(span, 2); }}>Relevant</vscode-button>
        <vscode-button secondary class="mark-irrelevant" @click=${(e: Event) => { e.stopPropagation(); void this.label(span, 0); }}>Irrelevant</vscode-button>
      </div>` : nothing}
    </li>`;
  }

  private row(row: ResultRow, retriever: RetrieverName): TemplateResult {
    const reveal = () => void messenger.request('reveal', { docId: row.docId, start: row.start, end: row.end });
    const labelClass = row.label === undefined ? '' : row.label > 0 ? 'relevant' : 'irrelevant';
    return html`<li class="hit ${labelClass}" tabindex="0" role="option" data-chunk=${row.chunkId} data-rank=${row.rank}
        @click=${reveal} @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') reveal(); }}>
      <div class="hit-head">
        <span class="rank">#${row.rank}</span>
        <span class="doc">${pathLabel(row.docId)}</span>
        <span class="score">${row.score.toFixed(4)}</span>
        ${row.label !== undefined ? html`<vscode-badge class="label-badge">${row.label > 0 ? `relevant ${row.label}` : 'irrelevant'}</vscode-badge>` : nothing}
      </div>
      ${row.headingPath.length ? html`<div class="heading">${row.headingPath.join(' › ')}</div>` : nothing}
      <div class="preview">${row.preview}</div>
      <div class="ranks">${ALL_RETRIEVERS.filter((x) => x !== retriever && x in row.ranks).map((x) => html`<span>${x}: ${row.ranks[x] ?? '—'}</span>`)}</div>
      <div class="explain">${explain(row.explanation)}</div>
      <div class="actions">
        <vscode-button secondary class="mark-relevant" @click=${(e: Event) => { e.stopPropagation(); void this.label(row, 2); }}>Relevant</vscode-button>
        <vscode-button secondary class="mark-irrelevant" @click=${(e: Event) => { e.stopPropagation(); void this.label(row, 0); }}>Irrelevant</vscode-button>
      </div>
    </li>`;
  }

  /**
   * Under the query, above the result cards: each labeled span missed, by which retriever, and why, linking to the
   * span ("1 labeled span missed by dense: exact-match — keyword #1, hybrid #1").
   */
  private missSummary(view: SearchView): TemplateResult | typeof nothing {
    const missed = view.missed;
    if (!missed.length) {
      const labeled = Object.values(view.columns).some((rows) => rows?.some((r) => (r.label ?? 0) > 0));
      return view.queryId && labeled ? html`<section class="miss-summary" data-misses="0"><p>No labeled span missed: every retriever has them in its top ${view.k}.</p></section>` : nothing;
    }
    const many = missed.length > 1;
    const reveal = (e: Event, m: MissedSpan) => { e.preventDefault(); void messenger.request('reveal', { docId: m.docId, start: m.start, end: m.end }); };
    return html`<section class="miss-summary" data-misses=${missed.length}>
      ${many ? html`<p><strong>${missHeading(missed.length, view.k)}</strong></p>` : nothing}
      ${missed.map((m) => {
        const line = missLine(m, view.k, many);
        return html`<p class="miss-line" data-category=${m.category ?? ''} data-missed-by=${line.missedBy.join(' ')}><a href="#" title=${`${m.docId} [${m.start}, ${m.end}): ${m.quote}`} @click=${(e: Event) => reveal(e, m)}>${line.text}</a>${m.evidence ? html` <span class="muted">(${m.evidence})</span>` : nothing}</p>`;
      })}
    </section>`;
  }

  private missed(missed: MissedSpan[], view: SearchView): TemplateResult {
    if (!missed.length) return html``;
    return html`<section class="missed"><h2>${plural(missed.length, 'missed labeled span')}</h2>
      <ol class="hits">${missed.map((m) => html`<li class="hit missed-span" tabindex="0"
          @click=${() => void messenger.request('reveal', { docId: m.docId, start: m.start, end: m.end })}>
        <div class="hit-head"><span class="doc">${pathLabel(m.docId)}</span><vscode-badge>grade ${m.grade}</vscode-badge>
          ${m.category ? html`<vscode-badge class="category">${m.category}</vscode-badge>` : nothing}</div>
        ${m.whatIf ? html`<div class="what-if muted">${m.whatIf}</div>` : nothing}
        <div class="preview">${m.quote}</div>
        <div class="ranks">${Object.entries(m.positions).map(([r, p]) => html`<span>${r}: ${p?.rank ?? 'not retrieved'}</span>`)}</div>
        ${m.evidence ? html`<div class="explain">${m.evidence}</div>` : nothing}
        <div class="actions"><vscode-button secondary class="missed-neighbourhood"
          @click=${(e: Event) => { e.stopPropagation(); this.openNeighbourhood(view.query, view.queryId); }}>Neighbourhood</vscode-button></div>
      </li>`)}</ol></section>`;
  }
}

function fieldError(message: string | undefined): TemplateResult | typeof nothing {
  return message ? html`<div class="field-error" role="alert">${message}</div>` : nothing;
}

function explain(e: ScoreExplanation): TemplateResult {
  switch (e.kind) {
    case 'keyword':
      return html`BM25 ${e.bm25.toFixed(3)} = ${e.terms.map((t, i) => html`${i ? ' + ' : ''}<span class="term" title=${`${t.queryTerm} → ${t.matchedTerm} in ${t.field}`}>${t.matchedTerm}${t.field === 'title' ? '[title]' : ''}:${t.contribution.toFixed(2)}</span>`)}`;
    case 'dense':
      return html`cosine ${e.cosine.toFixed(4)}`;
    case 'hybrid':
      return html`${e.method}: keyword #${e.keyword.rank ?? '—'} → ${e.keyword.contribution.toFixed(4)} + dense #${e.dense.rank ?? '—'} → ${e.dense.contribution.toFixed(4)} = ${e.fused.toFixed(4)}`;
    case 'rerank':
      return html`cross-encoder ${e.crossEncoderScore.toFixed(3)} · ${e.base} #${e.baseRank} → shift ${e.shift > 0 ? '+' : ''}${e.shift}`;
  }
}

/** Arrow keys move between results in a column. */
function onListKey(e: KeyboardEvent): void {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const current = (e.target as HTMLElement).closest('li');
  const next = e.key === 'ArrowDown' ? current?.nextElementSibling : current?.previousElementSibling;
  if (next instanceof HTMLElement) {
    next.focus();
    e.preventDefault();
  }
}
