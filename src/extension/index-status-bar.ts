import * as vscode from 'vscode';
import type { IndexStatus } from '../protocol';

/**
 * The index's status bar item: state and chunk count (a shield in Restricted Mode); the tooltip lists documents,
 * chunker, model, stale files, the last message and what Restricted Mode limits. Click opens the Query Inspector.
 */
export class IndexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('retrievalLens.index', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'Retrieval Lens index';
    this.item.command = 'retrievalLens.openInspector';
    this.item.show();
  }

  render(s: IndexStatus, limits: readonly string[]): void {
    const icon = s.state === 'indexing' ? '$(sync~spin)' : s.state === 'error' ? '$(error)' : s.state === 'ready' ? '$(search)' : '$(circle-slash)';
    this.item.text = s.state === 'ready' ? `${icon} ${s.chunks} chunks${s.staleFiles ? ` · ${s.staleFiles} stale` : ''}` : `${icon} Retrieval Lens: ${s.state === 'none' ? 'not indexed' : s.state}`;
    if (limits.length) this.item.text += ' $(shield)';
    // Messages and limits can quote settings or files (a model name, an error): appended as text, never as markdown.
    const md = new vscode.MarkdownString();
    md.isTrusted = false;
    md.supportHtml = false;
    md.appendMarkdown(`**Retrieval Lens index**\n\n- state: ${s.state}\n- documents: ${s.documents}\n- chunks: ${s.chunks}\n- chunker: `).appendText(s.chunker || '-');
    md.appendMarkdown('\n- model: ').appendText(s.model ?? '-');
    md.appendMarkdown(`\n- stale files: ${s.staleFiles}`);
    if (s.message) md.appendMarkdown('\n\n').appendText(s.message);
    if (limits.length) {
      md.appendMarkdown('\n\n**Restricted Mode** — this workspace is not trusted, so a repository you did not write cannot make Retrieval Lens load, download, contact or write anything:\n');
      for (const l of limits) md.appendMarkdown('\n- ').appendText(l);
    }
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
