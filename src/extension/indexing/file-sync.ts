import { plural } from '../../protocol/words';
import * as vscode from 'vscode';
import type { SourceDocument } from '../../core/corpus/document';
import { loadWorkspaceFile } from '../../core/corpus/load-folder';
import type { WorkspaceIndex } from '../../core/index/workspace-index';
import { readConfig } from '../config';

/** What file sync needs from the index's owner. */
export interface FileSyncHost {
  readonly root: string | undefined;
  /** The loaded index, if any: nothing is synced before the first build. */
  index(): WorkspaceIndex | undefined;
  relPath(uri: vscode.Uri): string | undefined;
  /** After a batch was applied or the stale count changed: documents, chunks and stale files to show. */
  changed(): void;
}

/**
 * Keeps the index in step with the files: a file saved, created, changed or deleted (in the editor or outside it,
 * e.g. a git checkout) is applied after a short quiet period, in batches, by the rules of a full build (globs,
 * default excludes, .gitignore), so only those files' chunks change and an excluded file never enters the index.
 * Unsaved edits of an indexed file make it "stale" until saved.
 */
export class FileSync implements vscode.Disposable {
  /** Indexed files edited in the editor since they were last indexed. */
  readonly stale = new Set<string>();
  private readonly pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly host: FileSyncHost,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const root = host.root;
    if (root) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, '**/*'));
      this.disposables.push(watcher, watcher.onDidCreate((u) => this.fileChanged(u)), watcher.onDidChange((u) => this.fileChanged(u)), watcher.onDidDelete((u) => this.fileChanged(u)));
    }
    this.disposables.push(
      vscode.workspace.onDidSaveTextDocument((d) => this.fileChanged(d.uri)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const rel = host.relPath(e.document.uri);
        if (rel && host.index()?.getDocument(rel) && e.contentChanges.length) {
          this.stale.add(rel);
          host.changed();
        }
      }),
    );
  }

  private fileChanged(uri: vscode.Uri): void {
    const rel = this.host.relPath(uri);
    if (!rel || !this.host.index()) return;
    this.pending.add(rel);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const batch = [...this.pending];
      this.pending.clear();
      this.syncing = this.syncing.then(() => this.syncFiles(batch)).catch((e: unknown) => this.log.error(`re-indexing ${batch.join(', ')} failed: ${e instanceof Error ? e.stack : e}`));
    }, 300);
  }

  private async syncFiles(paths: string[]): Promise<void> {
    const root = this.host.root;
    const index = this.host.index();
    if (!root || !index) return;
    const cfg = readConfig();
    const changes: Array<{ docId: string; doc: SourceDocument | null }> = [];
    for (const rel of paths) {
      const v = await loadWorkspaceFile(root, rel, { include: cfg.include, exclude: cfg.exclude });
      if ('doc' in v) changes.push({ docId: rel, doc: v.doc });
      else {
        // Gone or no longer indexable; a deleted folder takes every indexed document under it.
        for (const d of index.docs.keys()) if (d === rel || d.startsWith(`${rel}/`)) changes.push({ docId: d, doc: null });
      }
      this.stale.delete(rel);
    }
    const stats = await index.updateDocuments(changes);
    if (stats.added || stats.changed || stats.removed) {
      this.log.info(`re-indexed ${changes.map((c) => c.docId).join(', ')}: ${stats.added} added, ${stats.changed} changed, ${stats.removed} removed; ${plural(stats.chunksEmbedded, 'chunk')} embedded in ${stats.ms.toFixed(0)} ms`);
    }
    this.host.changed();
  }

  /** Resolves when file changes seen so far are in the index (tests and commands that must see them). */
  async settled(): Promise<void> {
    while (this.pending.size) await new Promise((r) => setTimeout(r, 100));
    await this.syncing;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
