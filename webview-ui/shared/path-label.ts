import { html, type TemplateResult } from 'lit';

/**
 * A workspace path that fits any width: the folders elide first (in the middle of the path), the file name stays, and
 * the full path is the hover text. Both parts are lit text bindings.
 */
export function pathLabel(path: string): TemplateResult {
  const cut = path.lastIndexOf('/') + 1;
  return html`<span class="elide" title=${path}><span class="elide-dir">${path.slice(0, cut)}</span><span class="elide-base">${path.slice(cut)}</span></span>`;
}
