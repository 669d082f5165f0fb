import { html, nothing, svg, type SVGTemplateResult, type TemplateResult } from 'lit';
import type { BeforeAfter, NeighbourhoodView, NeighbourPoint } from '../../src/protocol/neighbourhood';
import type { NeighbourhoodState } from '../../src/protocol/neighbourhood';
import { messenger } from './api';
import { ViewApp } from '../shared/view-app';
import { pathLabel } from '../shared/path-label';
import { CONFUSER_EXPLAIN, PCA_EXPLAIN } from '../../src/protocol/words';

const W = 600;
const H = 400;
const PAD = 28;
const ROLE: Record<NeighbourPoint['role'], string> = { relevant: 'relevant (labeled)', confuser: 'confuser (closer than a relevant chunk)', retrieved: 'retrieved (top K)' };

/** Retrieved, then confusers, then relevant chunks on top: the labeled points are never hidden under others. */
const drawOrder = (points: NeighbourPoint[]) => {
  const rank = { retrieved: 0, confuser: 1, relevant: 2 } as const;
  return points.map((_, i) => i).sort((a, b) => rank[points[a].role] - rank[points[b].role] || a - b);
};

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));
const rank = (r: number | null) => (r === null ? '>100' : `#${r}`);

/**
 * The query neighbourhood: an SVG scatter (PCA of the neighbourhood; the query before and after the adapter) and
 * a table with the exact cosines, distances and ranks. Every string from a document is a lit text binding: shown,
 * never parsed as HTML.
 */
export class NeighbourhoodApp extends ViewApp<NeighbourhoodState> {
  constructor(root: HTMLElement) {
    super(root, { onShow: (f) => messenger.on('show', f), ready: () => messenger.request('ready', {}) });
  }


  protected template(): TemplateResult {
    const s = this.view;
    if (this.error) return html`<div class="error" role="alert">${this.error}</div>`;
    if (!s) return html`<p class="hint">Loading…</p>`;
    if (!s.view) return html`<h2>Query neighbourhood${s.retriever ? html` through <span class="nb-retriever">${s.retriever}</span>` : nothing}</h2><div class="error nb-error" role="alert">${s.error ?? 'nothing to show'}</div>`;
    const v = s.view;
    return html`<section class="nb" data-adapter=${v.adapterId ?? ''} data-retriever=${s.retriever ?? 'dense'}>
      <h2 class="nb-title">Neighbourhood of “${v.query}”${v.queryId ? html` <span class="muted">(${v.queryId})</span>` : nothing}${s.retriever ? html` through <span class="nb-retriever">${s.retriever}</span>` : nothing}</h2>
      ${s.retriever
        ? html`<p class="muted nb-through">Retrieved and ranked by ${s.retriever} (its hits stand for the workspace chunks they hold), drawn in the index's embedding space; the query adapter applies to the local dense ranking only, so none is shown.</p>`
        : html`<p class="muted nb-adapter">${v.adapterId ? html`Before and after the query adapter ${v.adapterId}: it moves only the query; the chunks stay where the model put them.` : html`No query adapter applied (${s.adapter.message ?? s.adapter.state}): the query as the model embeds it.`}</p>`}
      ${this.summary(v)}
      ${this.legend(v)}
      ${this.plot(v)}
      <p class="muted nb-pca" title=${PCA_EXPLAIN}>PC1 and PC2 are the two directions in which these vectors differ most. 2-D by PCA on these ${v.points.length + (v.queryAfter ? 2 : 1)} vectors: the axes keep ${(100 * v.explained[0]).toFixed(0)}% and ${(100 * v.explained[1]).toFixed(0)}% of their variance; closeness in the picture is approximate, the cosines in the table are exact.</p>
      ${this.table(v, s.retriever ? `${s.retriever} rank` : 'dense rank')}
    </section>`;
  }

  private summary(v: NeighbourhoodView): TemplateResult {
    const line = (name: string, x: BeforeAfter, higherIsBetter: boolean) => {
      const moved = x.before !== null && x.after !== null ? x.after - x.before : null;
      const cls = moved === null || Math.abs(moved) < 1e-9 ? '' : (moved > 0) === higherIsBetter ? 'better' : 'worse';
      return html`<li>${name}: ${f3(x.before)}${v.adapterId ? html` → <span class=${cls}>${f3(x.after)}</span>` : nothing}</li>`;
    };
    const s = v.summary;
    return html`<ul class="nb-summary">
      ${line('mean cosine to the relevant chunks', s.relevantCosine, true)}
      ${line('mean cosine to the confusers (chunks not labeled relevant that outrank a relevant one)', s.confuserCosine, false)}
      ${line('margin (lowest relevant − highest non-relevant cosine; > 0 means every relevant chunk ranks first)', s.margin, true)}
      <li>relevant chunks in the top ${v.k}: ${s.relevantInTopK.before ?? '—'}${v.adapterId ? html` → ${s.relevantInTopK.after ?? '—'}` : nothing} of ${v.points.filter((p) => p.role === 'relevant').length}</li>
    </ul>`;
  }

  private legend(v: NeighbourhoodView): TemplateResult {
    return html`<div class="nb-legend">
      <span><span class="dot relevant"></span>relevant</span><span class="explained" title=${CONFUSER_EXPLAIN}><span class="dot confuser"></span>confuser</span><span><span class="dot retrieved"></span>retrieved</span>
      <span><span class="dot q-before"></span>query</span>${v.queryAfter ? html`<span><span class="dot q-after"></span>query + adapter</span>` : nothing}
    </div>`;
  }

  private plot(v: NeighbourhoodView): TemplateResult {
    const all = [...v.points, v.queryBefore, ...(v.queryAfter ? [v.queryAfter] : [])];
    const xs = all.map((p) => p.x);
    const ys = all.map((p) => p.y);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    // One scale on both axes (distances in the picture keep their proportions), centred.
    const scale = Math.min((W - 2 * PAD) / Math.max(x1 - x0, 1e-9), (H - 2 * PAD) / Math.max(y1 - y0, 1e-9));
    const sx = (x: number) => W / 2 + (x - (x0 + x1) / 2) * scale;
    const sy = (y: number) => H / 2 - (y - (y0 + y1) / 2) * scale;
    const marker = (p: NeighbourPoint, i: number): SVGTemplateResult => {
      const cx = sx(p.x), cy = sy(p.y);
      const shape = p.role === 'confuser'
        ? svg`<rect x=${cx - 5} y=${cy - 5} width="10" height="10" class=${p.role}></rect>`
        : svg`<circle cx=${cx} cy=${cy} r="5.5" class=${p.role}></circle>`;
      return svg`<g class="nb-point" data-chunk=${p.chunkId} data-role=${p.role}>${shape}<text x=${cx + 7} y=${cy + 3}>${i + 1}</text>
        <title>${i + 1}. ${p.docId} [${p.start}, ${p.end}) · ${ROLE[p.role]} · cosine ${f3(p.cosineBefore)}${p.cosineAfter !== null ? ` → ${f3(p.cosineAfter)}` : ''}</title></g>`;
    };
    const qb = v.queryBefore, qa = v.queryAfter;
    return html`<svg class="nb-plot" role="img" aria-label="query neighbourhood, PCA" viewBox="0 0 ${W} ${H}">
      <line class="axis" x1=${PAD} x2=${W - PAD} y1=${H / 2} y2=${H / 2}></line><line class="axis" x1=${W / 2} x2=${W / 2} y1=${PAD} y2=${H - PAD}></line>
      <text class="axis-label" x=${W - PAD} y=${H / 2 + 14} text-anchor="end">PC1<title>${PCA_EXPLAIN}</title></text><text class="axis-label" x=${W / 2 - 4} y=${PAD - 6} text-anchor="end">PC2<title>${PCA_EXPLAIN}</title></text>
      ${drawOrder(v.points).map((i) => marker(v.points[i], i))}
      ${qa ? svg`<line class="move" x1=${sx(qb.x)} y1=${sy(qb.y)} x2=${sx(qa.x)} y2=${sy(qa.y)}></line>` : nothing}
      <g class="nb-query" data-which="before"><path class="q-before" d="M ${sx(qb.x)} ${sy(qb.y) - 8} L ${sx(qb.x) + 8} ${sy(qb.y)} L ${sx(qb.x)} ${sy(qb.y) + 8} L ${sx(qb.x) - 8} ${sy(qb.y)} Z"></path><text x=${sx(qb.x) + 10} y=${sy(qb.y) - 6}>query</text><title>the query</title></g>
      ${qa ? svg`<g class="nb-query" data-which="after"><path class="q-after" d="M ${sx(qa.x)} ${sy(qa.y) - 8} L ${sx(qa.x) + 8} ${sy(qa.y)} L ${sx(qa.x)} ${sy(qa.y) + 8} L ${sx(qa.x) - 8} ${sy(qa.y)} Z"></path><text x=${sx(qa.x) + 10} y=${sy(qa.y) + 14}>+ adapter</text><title>the query with the adapter</title></g>` : nothing}
    </svg>`;
  }

  private table(v: NeighbourhoodView, rankName: string): TemplateResult {
    const after = !!v.adapterId;
    return html`<table class="nb-table">
      <thead><tr><th>#</th><th>role</th><th>chunk</th><th>grade</th><th class="nb-rank-name">${rankName}</th><th>cosine</th><th>distance</th><th>text</th></tr></thead>
      <tbody>${v.points.map((p, i) => html`<tr class="point" tabindex="0" data-chunk=${p.chunkId} data-role=${p.role}
          @click=${() => void messenger.request('reveal', { docId: p.docId, start: p.start, end: p.end })}
          @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') void messenger.request('reveal', { docId: p.docId, start: p.start, end: p.end }); }}>
        <td class="num">${i + 1}</td>
        <td class="role-${p.role}" title=${p.role === 'confuser' ? CONFUSER_EXPLAIN : ''}>${p.role}</td>
        <td class="nb-doc">${pathLabel(p.docId)} [${p.start}, ${p.end})</td>
        <td class="num" data-label="grade">${p.grade ?? '—'}</td>
        <td class="num nb-rank" data-label=${rankName}>${rank(p.rankBefore)}${after ? ` → ${rank(p.rankAfter)}` : ''}</td>
        <td class="num" data-label="cosine">${f3(p.cosineBefore)}${after ? ` → ${f3(p.cosineAfter)}` : ''}</td>
        <td class="num" data-label="distance">${f3(p.distanceBefore)}${after ? ` → ${f3(p.distanceAfter)}` : ''}</td>
        <td><div class="nb-preview">${p.preview}</div></td>
      </tr>`)}</tbody>
    </table>`;
  }
}
