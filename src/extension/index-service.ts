import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChunkerConfig } from '../core/chunking/chunk';
import { CHUNKER_DEFAULTS } from '../core/chunking/chunker-registry';
import { chunkerKey } from '../core/chunking/chunker-key';
import { buildDocument } from '../core/corpus/build-document';
import { loadFolderCorpus, loadSingleFile } from '../core/corpus/load-folder';
import type { CrossEncoder, Embedder } from '../core/embed/embedder';
import { WorkerCrossEncoder, WorkerEmbedder } from '../core/embed/worker-models';
import { WorkspaceIndex } from '../core/index/workspace-index';
import type { IndexStatus } from '../protocol';

/** Reads retrievalLens.* settings into core configs. */
export function readConfig() {
  const c = vscode.workspace.getConfiguration('retrievalLens');
  const kind = c.get<ChunkerConfig['kind']>('chunker', 'markdown');
  const base = { ...(CHUNKER_DEFAULTS[kind] ?? CHUNKER_DEFAULTS.markdown) } as Record<string, unknown>;
  // Size and overlap override the chunker's own defaults only when the user set them (the defaults differ per chunker).
  const explicit = (key: string) => {
    const i = c.inspect<number>(key);
    return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
  };
  const size = explicit('chunkSize');
  const overlap = explicit('chunkOverlap');
  if (size !== undefined) {
    if ('size' in base) base.size = size;
    else if ('maxSize' in base) base.maxSize = size;
    else if ('sentences' in base) base.sentences = size;
  }
  if (overlap !== undefined && 'overlap' in base) base.overlap = overlap;
  return {
    chunker: base as ChunkerConfig,
    include: c.get<string[]>('include', ['**/*']),
    exclude: c.get<string[]>('exclude', []),
    model: c.get<string>('embeddingModel', 'use-lite'),
    dtype: c.get<'q8' | 'fp32'>('embeddingDtype', 'q8'),
    reranker: c.get<string>('rerankerModel', ''),
    allowDownload: c.get<boolean>('allowModelDownload', true),
    topK: c.get<number>('topK', 10),
    fusion: { method: c.get<'rrf' | 'weighted'>('fusion', 'weighted'), denseWeight: c.get<number>('denseWeight', 0.2), rrfK: c.get<number>('rrfK', 60) },
  };
}

/**
 * Owns the workspace index: built on command (never at activation), models in worker threads, progress with
 * cancel, incremental re-index on save, skipped files and timings in the log.
 */
export class IndexService implements vscode.Disposable {
  index: WorkspaceIndex | undefined;
  private embedder: Embedder | undefined;
  private crossEncoder: CrossEncoder | undefined;
  private building: Promise<WorkspaceIndex | undefined> | undefined;
  private status: IndexStatus = { state: 'none', documents: 0, chunks: 0, model: null, chunker: '', staleFiles: 0 };
  private readonly stale = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<IndexStatus>();
  readonly onDidChange = this.emitter.event;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.statusBar = vscode.window.createStatusBarItem('retrievalLens.index', vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = 'Retrieval Lens index';
    this.statusBar.command = 'retrievalLens.openInspector';
    this.render();
    this.statusBar.show();
    this.disposables.push(
      this.statusBar,
      this.emitter,
      vscode.workspace.onDidSaveTextDocument((d) => void this.onSaved(d.uri)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const rel = this.relPath(e.document.uri);
        if (rel && this.index?.getDocument(rel) && e.contentChanges.length) {
          this.stale.add(rel);
          this.setStatus({ staleFiles: this.stale.size });
        }
      }),
    );
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
    const s = this.status;
    const icon = s.state === 'indexing' ? '$(sync~spin)' : s.state === 'error' ? '$(error)' : s.state === 'ready' ? '$(search)' : '$(circle-slash)';
    this.statusBar.text = s.state === 'ready' ? `${icon} ${s.chunks} chunks${s.staleFiles ? ` · ${s.staleFiles} stale` : ''}` : `${icon} Retrieval Lens: ${s.state === 'none' ? 'not indexed' : s.state}`;
    this.statusBar.tooltip = new vscode.MarkdownString(
      `**Retrieval Lens index**\n\n- state: ${s.state}\n- documents: ${s.documents}\n- chunks: ${s.chunks}\n- chunker: \`${s.chunker || '-'}\`\n- model: \`${s.model ?? '-'}\`\n- stale files: ${s.staleFiles}${s.message ? `\n\n${s.message}` : ''}`,
    );
  }

  storageDir(chunker: ChunkerConfig, model: string): string {
    const base = this.context.storageUri?.fsPath ?? path.join(this.context.globalStorageUri.fsPath, 'no-workspace');
    const safe = `${chunkerKey(chunker)}__${model}`.replace(/[^\w.=,-]+/g, '_').slice(0, 120);
    return path.join(base, 'index', safe);
  }

  private async models(model: string, reranker: string, dtype: 'q8' | 'fp32', allowDownload: boolean, progress: (m: string) => void) {
    if (!this.embedder || this.embedder.info.id !== model) {
      await this.embedder?.dispose();
      this.embedder = undefined;
      progress(`loading embedding model ${model}`);
      this.embedder = await WorkerEmbedder.start({
        model,
        dtype,
        allowRemote: allowDownload,
        cacheDir: path.join(this.context.globalStorageUri.fsPath, 'models'),
        onDownload: (file, loaded, total) => progress(`downloading ${file} ${total ? Math.round((100 * loaded) / total) : 0}%`),
      });
    }
    if ((this.crossEncoder?.info.id ?? '') !== reranker) {
      await this.crossEncoder?.dispose();
      this.crossEncoder = reranker ? await WorkerCrossEncoder.start({ model: reranker, dtype, allowRemote: allowDownload, cacheDir: path.join(this.context.globalStorageUri.fsPath, 'models') }) : undefined;
    }
    return { embedder: this.embedder, crossEncoder: this.crossEncoder ?? null };
  }

  /** The index, building or loading it first when needed (with a cancellable progress notification). */
  async ensureIndex(): Promise<WorkspaceIndex | undefined> {
    if (this.index) return this.index;
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
    this.setStatus({ state: 'indexing', message: undefined, chunker: chunkerKey(cfg.chunker), model: cfg.model });
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: indexing', cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          const t0 = performance.now();
          const corpus = await loadFolderCorpus(root, { include: cfg.include, exclude: cfg.exclude, signal: controller.signal });
          for (const s of corpus.skipped) (s.reason === 'unsupported-type' ? this.log.debug : this.log.info).call(this.log, `skipped ${s.path}: ${s.reason} — ${s.detail}`);
          const { embedder, crossEncoder } = await this.models(cfg.model, cfg.reranker, cfg.dtype, cfg.allowDownload, (m) => progress.report({ message: m }));
          const { index, stats, rebuilt } = await WorkspaceIndex.openOrBuild(corpus, {
            chunker: cfg.chunker,
            embedder,
            crossEncoder,
            storageDir: this.storageDir(cfg.chunker, cfg.model),
            signal: controller.signal,
            onProgress: ({ phase, done, total }) => progress.report({ message: `${phase} ${done}/${total}` }),
          });
          if (rebuilt && rebuilt !== 'no saved index') this.log.warn(`index rebuilt: ${rebuilt}`);
          this.log.info(
            `indexed ${index.docs.size} documents, ${index.chunkMap.size} chunks (${stats.added} added, ${stats.changed} changed, ${stats.removed} removed, ${stats.unchanged} unchanged; ${stats.chunksEmbedded} embedded, ${stats.embeddingCacheHits} from cache) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
          );
          this.index = index;
          this.stale.clear();
          this.setStatus({ state: 'ready', documents: index.docs.size, chunks: index.chunkMap.size, staleFiles: 0, message: `${corpus.skipped.filter((s) => s.reason !== 'unsupported-type').length} files skipped (see the Retrieval Lens log)` });
          return index;
        },
      );
    } catch (e) {
      const cancelled = e instanceof Error && (e.name === 'AbortError' || /cancel|abort/i.test(e.message));
      this.setStatus({ state: this.index ? 'ready' : cancelled ? 'none' : 'error', message: cancelled ? 'indexing cancelled' : String(e instanceof Error ? e.message : e) });
      if (!cancelled) {
        this.log.error(`indexing failed: ${e instanceof Error ? e.stack : e}`);
        void vscode.window.showErrorMessage(`Retrieval Lens: indexing failed: ${e instanceof Error ? e.message : e}`);
      }
      return this.index;
    }
  }

  /** On save: only the saved file is re-chunked and (for new text) re-embedded. */
  private async onSaved(uri: vscode.Uri): Promise<void> {
    const rel = this.relPath(uri);
    const root = this.root;
    if (!rel || !root || !this.index) return;
    const v = await loadSingleFile(root, rel);
    if ('skipped' in v) return;
    const stats = await this.index.updateDocument(rel, v.doc);
    this.stale.delete(rel);
    this.log.info(`re-indexed ${rel}: ${stats.chunksEmbedded} chunk(s) embedded in ${stats.ms.toFixed(0)} ms`);
    this.setStatus({ documents: this.index.docs.size, chunks: this.index.chunkMap.size, staleFiles: this.stale.size });
  }

  /** The document as the editor has it now (unsaved edits included), for chunk previews of open files. */
  documentFromEditor(doc: vscode.TextDocument) {
    const rel = this.relPath(doc.uri);
    return rel ? buildDocument(rel, doc.getText()).doc : undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    void this.embedder?.dispose();
    void this.crossEncoder?.dispose();
  }
}
