import * as vscode from 'vscode';
import type { IndexStatus } from '../../protocol/inspector';
import { md, safeMarkdown } from '../safe-markdown';

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
    // The chunker, model, message and limits can quote settings or files (a model name, an error): escaped text.
    this.item.tooltip = safeMarkdown(
      md`**Retrieval Lens index**\n\n- state: ${s.state}\n- documents: ${s.documents}\n- chunks: ${s.chunks}\n- chunker: ${s.chunker || '-'}`,
      md`\n- model: ${s.model ?? '-'}`,
      md`\n- stale files: ${s.staleFiles}`,
      ...(s.message ? [md`\n\n${s.message}`] : []),
      ...(limits.length
        ? [
            md`\n\n**Restricted Mode** — this workspace is not trusted, so a repository you did not write cannot make Retrieval Lens load, download, contact or write anything:\n`,
            ...limits.map((l) => md`\n- ${l}`),
          ]
        : []),
    );
  }

  dispose(): void {
    this.item.dispose();
  }
}
