import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChunkerConfig } from '../../core/chunking/chunk';
import { chunkerKey } from '../../core/chunking/chunker-key';
import { buildDocument } from '../../core/corpus/build-document';
import { loadFolderCorpus } from '../../core/corpus/load-folder';
import { indexFolderName } from '../../core/index/index-folder';
import { formatStageProgress, ProgressEta } from '../../core/index/progress-eta';
import { WorkspaceIndex } from '../../core/index/workspace-index';
import type { KeywordConfig } from '../../core/store/keyword-types';
import type { TrustDecision } from '../../core/settings/workspace-trust';
import type { IndexStatus } from '../../protocol/inspector';
import { needsRebuild, readConfig } from '../config';
import { FileSync } from './file-sync';
import { IndexStatusBar } from './index-status-bar';
import { ModelProcesses } from './model-processes';
import { plainMessageText } from '../safe-markdown';

/**
 * Owns the workspace index: built on command (never at activation), models in processes of their own, progress
 * with cancel, incremental re-index of saved, created and deleted files, skipped files and timings in the log.
 */
export class IndexService implements vscode.Disposable {
  private current: WorkspaceIndex | undefined;
  private building: Promise<WorkspaceIndex | undefined> | undefined;
  private status: IndexStatus = { state: 'none', documents: 0, chunks: 0, model: null, chunker: '', staleFiles: 0 };
  private readonly emitter = new vscode.EventEmitter<IndexStatus>();
  readonly onDidChange = this.emitter.event;
  private readonly statusBar = new IndexStatusBar();
  private readonly modelProcesses: ModelProcesses;
  private readonly sync: FileSync;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.render();
    this.modelProcesses = new ModelProcesses(context, log, () => {
      this.current = undefined;
      void this.build();
    });
    this.sync = new FileSync(
      {
        root: this.root,
        index: () => this.current,
        relPath: (uri) => this.relPath(uri),
        changed: () => this.setStatus({ documents: this.current?.docs.size ?? 0, chunks: this.current?.chunkMap.size ?? 0, staleFiles: this.sync.stale.size }),
      },
      log,
    );
    this.disposables.push(
      this.statusBar,
      this.emitter,
      this.modelProcesses,
      this.sync,
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChanged(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.render();
        if (!this.current) return;
        void vscode.window.showInformationMessage('Retrieval Lens: the workspace is trusted now; rebuild the index to use the models its settings name.', 'Rebuild Index').then((pick) => {
          if (pick) void this.build();
        });
      }),
    );
  }

  /** The loaded index (undefined before the first build); commands that need one call ensureIndex(). */
  get index(): WorkspaceIndex | undefined {
    return this.current;
  }

  /** Drops the loaded index, so the next use builds (a model switch builds at once instead of asking to rebuild). */
  dropIndex(): void {
    this.current = undefined;
  }

  get root(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  relPath(uri: vscode.Uri): string | undefined {
    const root = this.root;
    if (!root || uri.scheme !== 'file') return undefined;
    const rel = path.relative(root, uri.fsPath);
    return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
  }

  getStatus(): IndexStatus {
    return this.status;
  }

  private setStatus(patch: Partial<IndexStatus>): void {
    this.status = { ...this.status, ...patch };
    this.render();
    this.emitter.fire(this.status);
  }

  private render(): void {
    this.statusBar.render(this.status, this.trust().limits);
  }

  /** What the workspace's trust allows now (see src/core/settings/workspace-trust.ts). */
  trust(): TrustDecision {
    return readConfig().trust;
  }

  private restrictedNoticeShown = false;

  /** Says once per session, when the first index is built untrusted, what Restricted Mode limits and why. */
  private noticeRestricted(trust: TrustDecision): void {
    if (trust.trusted || this.restrictedNoticeShown) return;
    this.restrictedNoticeShown = true;
    this.log.warn(`Restricted Mode (untrusted workspace): ${trust.limits.join('; ')}`);
    void vscode.window
      .showWarningMessage(plainMessageText(`Retrieval Lens runs in Restricted Mode because this workspace is not trusted: ${trust.limits.join('; ')}.`), 'Manage Workspace Trust')
      .then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
      });
  }

  /** The index folder in the extension's workspace storage, named by the one rule (indexFolderName). */
  storageDir(chunker: ChunkerConfig, keyword: Partial<KeywordConfig>, model: string): string {
    const base = this.context.storageUri?.fsPath ?? path.join(this.context.globalStorageUri.fsPath, 'no-workspace');
    return path.join(base, 'index', indexFolderName(chunker, keyword, model));
  }

  /** The index, building or loading it first when needed (with a cancellable progress notification). */
  async ensureIndex(): Promise<WorkspaceIndex | undefined> {
    if (this.current) return this.current;
    return this.build();
  }

  build(): Promise<WorkspaceIndex | undefined> {
    if (this.building) return this.building;
    this.building = this.doBuild().finally(() => (this.building = undefined));
    return this.building;
  }

  private async doBuild(): Promise<WorkspaceIndex | undefined> {
    const root = this.root;
    if (!root) {
      void vscode.window.showWarningMessage('Retrieval Lens needs an open folder to index.');
      return undefined;
    }
    const cfg = readConfig();
    this.noticeRestricted(cfg.trust);
    this.setStatus({ state: 'indexing', message: undefined, chunker: chunkerKey(cfg.chunker), model: cfg.model });
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: indexing', cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          const t0 = performance.now();
          const eta = new ProgressEta();
          progress.report({ message: 'reading files' });
          const corpus = await loadFolderCorpus(root, { include: cfg.include, exclude: cfg.exclude, signal: controller.signal });
          for (const s of corpus.skipped) (s.reason === 'unsupported-type' ? this.log.debug : this.log.info).call(this.log, `skipped ${s.path}: ${s.reason} — ${s.detail}`);
          const { embedder, crossEncoder } = await this.modelProcesses.models(cfg.model, cfg.reranker, cfg.dtype, cfg.allowDownload, (m) => progress.report({ message: m }), cfg.embeddingProcesses);
          // The index holds (and its folder is named for) the model actually used: the fallback's, when there was one.
          if (!embedder) this.setStatus({ model: null });
          else if (embedder.info.id !== cfg.model) this.setStatus({ model: embedder.info.id });
          const { index, stats, rebuilt, migrated } = await WorkspaceIndex.openOrBuild(corpus, {
            chunker: cfg.chunker,
            keyword: cfg.keyword,
            search: { fusion: cfg.fusion, rerank: cfg.rerank },
            embedder,
            crossEncoder,
            storageDir: this.storageDir(cfg.chunker, cfg.keyword, embedder?.info.id ?? 'none'),
            // The readiness report's what-if indexes reuse this index's vectors for chunk texts it already embedded.
            embeddingCacheGroup: root,
            signal: controller.signal,
            onProgress: ({ phase, done, total }) => progress.report({ message: formatStageProgress(eta.update(phase, done, total)) }),
          });
          if (rebuilt && rebuilt !== 'no saved index') this.log.warn(`index rebuilt: ${rebuilt}`);
          if (migrated) this.log.info(`index migrated: ${migrated}`);
          this.log.info(
            `indexed ${index.docs.size} documents, ${index.chunkMap.size} chunks (${stats.added} added, ${stats.changed} changed, ${stats.removed} removed, ${stats.unchanged} unchanged; ${stats.chunksEmbedded} embedded, ${stats.embeddingCacheHits} from cache) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
          );
          this.current = index;
          this.sync.stale.clear();
          this.setStatus({ state: 'ready', documents: index.docs.size, chunks: index.chunkMap.size, staleFiles: 0, message: `${corpus.skipped.filter((s) => s.reason !== 'unsupported-type').length} files skipped (see the Retrieval Lens log)` });
          return index;
        },
      );
    } catch (e) {
      const cancelled = e instanceof Error && (e.name === 'AbortError' || /cancel|abort/i.test(e.message));
      this.setStatus({ state: this.current ? 'ready' : cancelled ? 'none' : 'error', message: cancelled ? 'indexing cancelled' : String(e instanceof Error ? e.message : e) });
      if (!cancelled) {
        this.log.error(`indexing failed: ${e instanceof Error ? e.stack : e}`);
        void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: indexing failed: ${e instanceof Error ? e.message : e}`));
      }
      return this.current;
    }
  }

  /** Search settings apply to the loaded index at once; index settings ask for a rebuild. */
  private onConfigChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!this.current || !e.affectsConfiguration('retrievalLens')) return;
    const cfg = readConfig();
    this.current.searchDefaults = { fusion: cfg.fusion, rerank: cfg.rerank };
    if (!needsRebuild(e)) return;
    this.setStatus({ message: 'index settings changed: run Build Index to apply them' });
    void vscode.window.showInformationMessage('Retrieval Lens: the index settings changed.', 'Rebuild Index').then((pick) => {
      if (pick) void this.build();
    });
  }

  /** Resolves when file changes seen so far are in the index (tests and commands that must see them). */
  settled(): Promise<void> {
    return this.sync.settled();
  }

  /** The document as the editor has it now (unsaved edits included), for chunk previews of open files. */
  documentFromEditor(doc: vscode.TextDocument) {
    const rel = this.relPath(doc.uri);
    return rel ? buildDocument(rel, doc.getText()).doc : undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
