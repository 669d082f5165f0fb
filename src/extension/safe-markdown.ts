import * as vscode from 'vscode';
import type { MarkdownFragment } from './markdown-escape';

export { escapeThemeIcons, joinMarkdown, markdownCodeBlock, markdownCodeSpan, md, plainMessageText } from './markdown-escape';

/**
 * The one way src/extension makes a MarkdownString (hovers, tree item and status bar tooltips, decoration hover
 * messages): untrusted (no command links), no HTML, no theme icons, its content only fragments from
 * markdown-escape.ts, where every piece of workspace text is escaped. eslint.config.mjs refuses
 * `new vscode.MarkdownString`, `appendMarkdown` with a computed argument and `appendText` anywhere else.
 */
export function safeMarkdown(...parts: MarkdownFragment[]): vscode.MarkdownString {
  const out = new vscode.MarkdownString(undefined, false);
  out.isTrusted = false;
  out.supportHtml = false;
  out.supportThemeIcons = false;
  for (const p of parts) out.appendMarkdown(p.value);
  return out;
}
