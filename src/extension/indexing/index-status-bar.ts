import * as vscode from 'vscode';
import type { IndexStatus } from '../../protocol/inspector';

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
    // A plain-string tooltip is shown as text, never as Markdown: the chunker, model, message and limits can quote
    // settings or files (a model name, an error), and none of it is rendered.
    this.item.tooltip = [
      'Retrieval Lens index',
      `state: ${s.state}`,
      `documents: ${s.documents}`,
      `chunks: ${s.chunks}`,
      `chunker: ${s.chunker || '-'}`,
      `model: ${s.model ?? '-'}`,
      `stale files: ${s.staleFiles}`,
      ...(s.message ? ['', s.message] : []),
      ...(limits.length ? ['', 'Restricted Mode — this workspace is not trusted, so a repository you did not write cannot make Retrieval Lens load, download, contact or write anything:', ...limits.map((l) => `- ${l}`)] : []),
    ].join('\n');
  }

  dispose(): void {
    this.item.dispose();
  }
}
