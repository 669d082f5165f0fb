import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChunkerConfig } from '../core/chunking/chunk';
import { chunkerKey } from '../core/chunking/chunker-key';
import { buildDocument } from '../core/corpus/build-document';
import type { SourceDocument } from '../core/corpus/document';
import { loadFolderCorpus, loadWorkspaceFile } from '../core/corpus/load-folder';
import { defaultEmbeddingProcesses, EmbedderPool } from '../core/embed/embedder-pool';
import { WorkerCrossEncoder } from '../core/embed/worker-models';
import { WorkspaceIndex } from '../core/index/workspace-index';
import type { KeywordConfig } from '../core/retrieve/types';
import { checkSetting, retrievalSettings, SETTING_KEYS, type WorkspaceSettings } from '../core/workspace-settings';
import { BUILT_IN_MODEL, decideTrust, pickSetting, type TrustDecision } from '../core/workspace-trust';
import type { IndexStatus } from '../protocol';

const warned = new Set<string>();

/**
 * Reads retrievalLens.* settings into core configs, by the same rules as the CLI (src/core/workspace-settings.ts):
 * only values the user set count (unset ones keep the engine's defaults), and an invalid value is reported once and
 * replaced by its default.
 */
export function readConfig() {
  const c = vscode.workspace.getConfiguration('retrievalLens');
  const set: Record<string, unknown> = {};
  const trusted = vscode.workspace.isTrusted;
  const ignored: string[] = [];
  for (const key of SETTING_KEYS) {
    const i = c.inspect(key);
    // In an untrusted workspace a restricted setting's workspace and folder values are not used (see workspace-trust.ts).
    const { value, ignored: skipped } = pickSetting(key, { folder: i?.workspaceFolderValue, workspace: i?.workspaceValue, user: i?.globalValue }, trusted);
    if (skipped) ignored.push(key);
    if (value === undefined) continue;
    const problem = checkSetting(key, value);
    if (!problem) set[key] = value;
    else if (!warned.has(problem)) {
      warned.add(problem);
      void vscode.window.showWarningMessage(`Retrieval Lens: ${problem}; using the default.`);
    }
  }
  const s = set as WorkspaceSettings;
  const dl = c.inspect<boolean>('allowModelDownload');
  const download = pickSetting('allowModelDownload', { folder: dl?.workspaceFolderValue, workspace: dl?.workspaceValue, user: dl?.globalValue }, trusted);
  if (download.ignored) ignored.push('allowModelDownload');
  const trust = decideTrust(trusted, { model: s.embeddingModel ?? 'use-lite', reranker: s.rerankerModel ?? '', allowDownload: download.value ?? true }, ignored);
  return {
    ...retrievalSettings(s, 'markdown'),
    include: s.include ?? ['**/*'],
    exclude: s.exclude ?? [],
    model: trust.model,
    dtype: s.embeddingDtype ?? 'q8',
    embeddingProcesses: s.embeddingProcesses ?? defaultEmbeddingProcesses(),
    reranker: trust.reranker,
    allowDownload: trust.allowDownload,
    topK: s.topK ?? 10,
    trust,
  };
}

/** Settings that change what the index holds (a rebuild applies them); the rest apply to the next search. */
const INDEX_SETTINGS = ['include', 'exclude', 'chunker', 'chunkSize', 'chunkOverlap', 'keywordStemming', 'keywordStopWords', 'embeddingModel', 'embeddingDtype', 'rerankerModel'];

/**
 * Owns the workspace index: built on command (never at activation), models in processes of their own, progress
 * with cancel, incremental re-index of saved, created and deleted files, skipped files and timings in the log.
 */
export class IndexService implements vscode.Disposable {
  index: WorkspaceIndex | undefined;
  private embedder: EmbedderPool | undefined;
  /** Model, dtype and process count the embedder was started with (switching any starts another; the index stays). */
  private embedderSpec = '';
  private crossEncoder: WorkerCrossEncoder | undefined;
  private building: Promise<WorkspaceIndex | undefined> | undefined;
  private status: IndexStatus = { state: 'none', documents: 0, chunks: 0, model: null, chunker: '', staleFiles: 0 };
  private readonly stale = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<IndexStatus>();
  readonly onDidChange = this.emitter.event;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pendingFiles = new Set<string>();
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.statusBar = vscode.window.createStatusBarItem('retrievalLens.index', vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = 'Retrieval Lens index';
    this.statusBar.command = 'retrievalLens.openInspector';
    this.render();
    this.statusBar.show();
    const root = this.root;
    if (root) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, '**/*'));
      this.disposables.push(watcher, watcher.onDidCreate((u) => this.fileChanged(u)), watcher.onDidChange((u) => this.fileChanged(u)), watcher.onDidDelete((u) => this.fileChanged(u)));
    }
    this.disposables.push(
      this.statusBar,
      this.emitter,
      vscode.workspace.onDidSaveTextDocument((d) => this.fileChanged(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChanged(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.render();
        if (!this.index) return;
        void vscode.window.showInformationMessage('Retrieval Lens: the workspace is trusted now; rebuild the index to use the models its settings name.', 'Rebuild Index').then((pick) => {
          if (pick) void this.build();
        });
      }),
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
    const limits = this.trust().limits;
    if (limits.length) this.statusBar.text += ' $(shield)';
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
    this.statusBar.tooltip = md;
  }

  /** What the workspace's trust allows now (see src/core/workspace-trust.ts). */
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
      .showWarningMessage(`Retrieval Lens runs in Restricted Mode because this workspace is not trusted: ${trust.limits.join('; ')}.`, 'Manage Workspace Trust')
      .then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
      });
  }

  /** One folder per chunker, keyword settings and model, so switching between them keeps each index. */
  storageDir(chunker: ChunkerConfig, keyword: Partial<KeywordConfig>, model: string): string {
    const base = this.context.storageUri?.fsPath ?? path.join(this.context.globalStorageUri.fsPath, 'no-workspace');
    const kw = Object.entries(keyword).map(([k, v]) => `${k}=${v}`).join(',');
    const safe = `${chunkerKey(chunker)}__${kw ? `${kw}__` : ''}${model}`.replace(/[^\w.=,-]+/g, '_').slice(0, 160);
    return path.join(base, 'index', safe);
  }

  private async models(model: string, reranker: string, dtype: 'q8' | 'fp32', allowDownload: boolean, progress: (m: string) => void, processes = defaultEmbeddingProcesses()) {
    // Second line of defence behind readConfig: nothing but the bundled model runs in an untrusted workspace.
    if (!vscode.workspace.isTrusted && (model !== BUILT_IN_MODEL || reranker || allowDownload)) throw new Error(`refusing to load "${model || reranker}" in an untrusted workspace`);
    if (!this.embedder?.alive || this.embedderSpec !== `${model} ${dtype} ${processes}`) {
      await this.embedder?.dispose();
      this.embedder = undefined;
      this.embedderSpec = `${model} ${dtype} ${processes}`;
      progress(`loading embedding model ${model}`);
      this.embedder = await EmbedderPool.start(
        {
          model,
          dtype,
          allowRemote: allowDownload,
          cacheDir: path.join(this.context.globalStorageUri.fsPath, 'models'),
          onDownload: (file, loaded, total) => progress(`downloading ${file} ${total ? Math.round((100 * loaded) / total) : 0}%`),
        },
        { processes },
      );
      this.log.info(`embedding with ${processes} model process(es) of ${model}, ${this.embedder.threads} onnxruntime thread(s) each`);
    }
    if ((this.crossEncoder?.info.id ?? '') !== reranker || (this.crossEncoder && !this.crossEncoder.alive)) {
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
    this.noticeRestricted(cfg.trust);
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
          const { embedder, crossEncoder } = await this.models(cfg.model, cfg.reranker, cfg.dtype, cfg.allowDownload, (m) => progress.report({ message: m }), cfg.embeddingProcesses);
          const { index, stats, rebuilt } = await WorkspaceIndex.openOrBuild(corpus, {
            chunker: cfg.chunker,
            keyword: cfg.keyword,
            search: { fusion: cfg.fusion, rerank: cfg.rerank },
            embedder,
            crossEncoder,
            storageDir: this.storageDir(cfg.chunker, cfg.keyword, cfg.model),
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

  /** Search settings apply to the loaded index at once; index settings ask for a rebuild. */
  private onConfigChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!this.index || !e.affectsConfiguration('retrievalLens')) return;
    const cfg = readConfig();
    this.index.searchDefaults = { fusion: cfg.fusion, rerank: cfg.rerank };
    if (!INDEX_SETTINGS.some((k) => e.affectsConfiguration(`retrievalLens.${k}`))) return;
    this.setStatus({ message: 'index settings changed: run Build Index to apply them' });
    void vscode.window.showInformationMessage('Retrieval Lens: the index settings changed.', 'Rebuild Index').then((pick) => {
      if (pick) void this.build();
    });
  }

  /**
   * A file saved, created, changed or deleted (in the editor or outside it, e.g. a git checkout): after a short
   * quiet period the batch is applied by the rules of a full build (globs, default excludes, .gitignore), so only
   * those files' chunks change and an excluded file never enters the index.
   */
  private fileChanged(uri: vscode.Uri): void {
    const rel = this.relPath(uri);
    if (!rel || !this.index) return;
    this.pendingFiles.add(rel);
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      const batch = [...this.pendingFiles];
      this.pendingFiles.clear();
      this.syncing = this.syncing.then(() => this.syncFiles(batch)).catch((e: unknown) => this.log.error(`re-indexing ${batch.join(', ')} failed: ${e instanceof Error ? e.stack : e}`));
    }, 300);
  }

  private async syncFiles(paths: string[]): Promise<void> {
    const root = this.root;
    const index = this.index;
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
      this.log.info(`re-indexed ${changes.map((c) => c.docId).join(', ')}: ${stats.added} added, ${stats.changed} changed, ${stats.removed} removed; ${stats.chunksEmbedded} chunk(s) embedded in ${stats.ms.toFixed(0)} ms`);
    }
    this.setStatus({ documents: index.docs.size, chunks: index.chunkMap.size, staleFiles: this.stale.size });
  }

  /** Resolves when file changes seen so far are in the index (tests and commands that must see them). */
  async settled(): Promise<void> {
    while (this.pendingFiles.size) await new Promise((r) => setTimeout(r, 100));
    await this.syncing;
  }

  /** The document as the editor has it now (unsaved edits included), for chunk previews of open files. */
  documentFromEditor(doc: vscode.TextDocument) {
    const rel = this.relPath(doc.uri);
    return rel ? buildDocument(rel, doc.getText()).doc : undefined;
  }

  dispose(): void {
    clearTimeout(this.syncTimer);
    for (const d of this.disposables) d.dispose();
    void this.embedder?.dispose();
    void this.crossEncoder?.dispose();
  }
}
