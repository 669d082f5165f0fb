import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { externalReadinessLine } from '../core/diagnose/external-readiness';
import { buildReadinessReport, renderReadinessMarkdown } from '../core/diagnose/readiness-report';
import { loadEvalTarget } from '../core/eval/eval-target';
import type { Grade } from '../core/eval/evalset-types';
import { WorkspaceIndex } from '../core/index/workspace-index';
import { writeFileAtomic } from '../core/io/atomic-write';
import { workspaceWriteRefusal } from '../core/workspace-trust';
import type { RetrieverName } from '../core/retrieve/types';
import type { HostInfo } from '../protocol';
import { Annotations } from './annotations';
import { runBaseline, showBaselineResults } from './baseline-view';
import { configuredColumns, configuredRankings, evaluateConfiguredRetrievers, setSecret } from './configured-retrievers';
import { EvalSetService } from './eval-set-service';
import { EvalSetTree } from './eval-set-tree';
import { firstRun } from './first-run';
import { IndexService, readConfig } from './index-service';
import { JudgingQueue, registerJudgingQueue } from './judging-queue';
import { InspectorController, revealSpan } from './inspector-controller';
import { InspectorPanel } from './inspector-panel';
import { AdapterService } from './adapter-service';
import { MissedSpanActions, SHOW_NEIGHBOURHOOD } from './neighbourhood-actions';
import { queryNeighbourhood } from './neighbourhood-host';
import { NeighbourhoodPanel } from './neighbourhood-panel';
import { trainAdapterCommand } from './train-adapter-command';
import type { NeighbourhoodState } from '../protocol';

const started = performance.now();

export interface RetrievalLensApi {
  activationMs: number;
  indexService: IndexService;
  evalSet: EvalSetService;
  inspector: InspectorController;
  annotations: Annotations;
}

/** Activation registers commands, views and providers only: no model or index is loaded until first needed. */
export function activate(context: vscode.ExtensionContext): RetrievalLensApi {
  const log = vscode.window.createOutputChannel('Retrieval Lens', { log: true });
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const indexService = new IndexService(context, log);
  const evalSet = new EvalSetService(root, log);
  evalSet.writeBlocked = () => workspaceWriteRefusal(vscode.workspace.isTrusted);
  const hostInfo = (): HostInfo => ({ extensionVersion: String(context.extension.packageJSON.version), vscodeVersion: vscode.version, activationMs });
  const adapters = new AdapterService(root, log);
  const storageDir = context.storageUri?.fsPath ?? context.globalStorageUri.fsPath;
  /** The neighbourhood view of one query, with the configured adapter when it loads for this index. */
  const showNeighbourhood = async (query: string, queryId?: string): Promise<NeighbourhoodState> => {
    const loaded = adapters.load(indexService.index);
    let state: NeighbourhoodState;
    try {
      const index = await indexService.ensureIndex();
      if (!index) throw new Error('no index: open a folder and run "Retrieval Lens: Build Index"');
      const evalQuery = queryId ? evalSet.queries().find((q) => q.id === queryId) : undefined;
      const adapter = adapters.load(index);
      state = { view: await queryNeighbourhood(index, query, evalQuery, adapter.adapter, readConfig().topK), adapter: adapter.status };
    } catch (e) {
      state = { error: e instanceof Error ? e.message : String(e), adapter: loaded.status };
    }
    NeighbourhoodPanel.show(context.extensionUri, state, (docId, start, end) => revealSpan(indexService, docId, start, end), log);
    return state;
  };
  const inspector = new InspectorController(
    indexService,
    evalSet,
    hostInfo,
    (index, query, k, filter, labeled) => configuredColumns(context, index, query, k, filter, log, labeled),
    adapters,
    async (query, queryId) => {
      await showNeighbourhood(query, queryId);
    },
  );
  const annotations = new Annotations(indexService, evalSet, inspector);
  const judgingQueue = new JudgingQueue(evalSet, indexService, (index, queries, k) => configuredRankings(context, index, queries, k, log));
  const tree = new EvalSetTree(evalSet, indexService, judgingQueue);
  const handlers = inspector.handlers();
  let baselinePanel: vscode.WebviewPanel | undefined;

  const openInspector = () => {
    const panel = InspectorPanel.show(context.extensionUri, handlers, log);
    return panel;
  };
  indexService.onDidChange((s) => {
    InspectorPanel.current?.messenger.notify('indexStatus', s);
    InspectorPanel.current?.messenger.notify('adapterStatus', inspector.adapterStatus());
  });
  // Loaded on every change (not only while the inspector is open), so a refused adapter is reported at once.
  adapters.onDidChange(() => {
    const status = inspector.adapterStatus();
    InspectorPanel.current?.messenger.notify('adapterStatus', status);
  });
  evalSet.onDidChange(() => InspectorPanel.current?.messenger.notify('evalQueries', { queries: evalSet.queries().map((q) => ({ id: q.id, text: q.text, split: q.split })) }));

  const selectionTarget = (): { editor: vscode.TextEditor; docId: string; start: number; end: number } | undefined => {
    const editor = vscode.window.activeTextEditor;
    const docId = editor && indexService.relPath(editor.document.uri);
    if (!editor || !docId || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Select the text that answers the query, then run this command.');
      return undefined;
    }
    return { editor, docId, start: editor.document.offsetAt(editor.selection.start), end: editor.document.offsetAt(editor.selection.end) };
  };

  /** Recent (active) query first, then the rest, then "New query…". */
  const pickQuery = async (): Promise<{ id?: string; text: string } | undefined> => {
    const queries = evalSet.queries();
    const active = evalSet.activeQueryId;
    const items: Array<vscode.QuickPickItem & { id?: string }> = [
      ...queries.filter((q) => q.id === active).map((q) => ({ label: q.text, description: `${q.id} · ${q.split} · active`, id: q.id })),
      ...queries.filter((q) => q.id !== active).reverse().map((q) => ({ label: q.text, description: `${q.id} · ${q.split}`, id: q.id })),
      { label: '$(add) New query…', alwaysShow: true },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Mark relevant for which query?', placeHolder: 'Type to filter queries', matchOnDescription: true });
    if (!picked) return undefined;
    if (picked.id) return { id: picked.id, text: picked.label };
    const text = await vscode.window.showInputBox({ title: 'New query', prompt: 'The question a user would ask that this text answers', validateInput: (v) => (v.trim() ? undefined : 'Type a query') });
    return text ? { text } : undefined;
  };

  const label = async (gradeArg?: Grade) => {
    const t = selectionTarget();
    if (!t) return;
    const q = await pickQuery();
    if (!q) return;
    let grade = gradeArg;
    if (grade === undefined) {
      const g = await vscode.window.showQuickPick(
        [
          { label: '3 — answers the query fully', grade: 3 as Grade },
          { label: '2 — answers it partly', grade: 2 as Grade },
          { label: '1 — related, useful context', grade: 1 as Grade },
          { label: '0 — not relevant', grade: 0 as Grade },
        ],
        { title: 'Relevance grade' },
      );
      if (!g) return;
      grade = g.grade;
    }
    try {
      const id = evalSet.ensureQuery(q.text, q.id);
      evalSet.label(id, t.docId, t.editor.document.getText(), t.start, t.end, grade);
      log.info(`labeled ${t.docId} [${t.start}, ${t.end}) grade ${grade} for ${id}`);
      void vscode.window.setStatusBarMessage(`Retrieval Lens: labeled grade ${grade} for "${q.text}"`, 4000);
    } catch (e) {
      void vscode.window.showErrorMessage(`Retrieval Lens: ${e instanceof Error ? e.message : e}`);
    }
  };

  context.subscriptions.push(
    log,
    indexService,
    adapters,
    evalSet,
    annotations,
    tree,
    { dispose: () => inspector.dispose() },
    judgingQueue,
    ...(() => {
      const view = vscode.window.createTreeView('retrievalLens.evalSet', { treeDataProvider: tree, showCollapseAll: true });
      return [view, ...registerJudgingQueue(judgingQueue, view as vscode.TreeView<unknown>, (item) => tree.poolItemNode(item), { evalSet, indexService, log })];
    })(),
    InspectorPanel.registerSerializer(context.extensionUri, handlers, log),
    vscode.commands.registerCommand('retrievalLens.openInspector', () => void openInspector()),
    vscode.languages.registerCodeActionsProvider([{ scheme: 'file' }], new MissedSpanActions(inspector), { providedCodeActionKinds: MissedSpanActions.kinds }),
    vscode.commands.registerCommand(SHOW_NEIGHBOURHOOD, async (arg?: { query?: unknown; queryId?: unknown } | string) => {
      // From a code action or a link: { query, queryId }; from the palette: the active eval query, else ask.
      let query = typeof arg === 'object' && typeof arg.query === 'string' ? arg.query : undefined;
      let queryId = typeof arg === 'object' && typeof arg.queryId === 'string' ? arg.queryId : typeof arg === 'string' ? arg : undefined;
      const known = queryId ? evalSet.queries().find((q) => q.id === queryId) : undefined;
      if (!query && known) query = known.text;
      if (!query) {
        const active = evalSet.queries().find((q) => q.id === evalSet.activeQueryId);
        const text = await vscode.window.showInputBox({ title: 'Query neighbourhood', prompt: 'The query whose neighbourhood to show', value: active?.text ?? '' });
        if (!text?.trim()) return undefined;
        query = text;
        queryId = active && active.text === text ? active.id : undefined;
      }
      return showNeighbourhood(query, queryId);
    }),
    vscode.commands.registerCommand('retrievalLens.trainAdapter', () => trainAdapterCommand({ root, indexService, evalSet, adapters, log, storageDir })),
    vscode.commands.registerCommand('retrievalLens.setSecret', () => setSecret(context)),
    vscode.commands.registerCommand('retrievalLens.buildIndex', () => indexService.build()),
    vscode.commands.registerCommand('retrievalLens.toggleAnnotations', () => annotations.toggle()),
    vscode.commands.registerCommand('retrievalLens.markRelevant', (grade?: Grade) => label(grade)),
    vscode.commands.registerCommand('retrievalLens.markIrrelevant', () => label(0)),
    vscode.commands.registerCommand('retrievalLens.revealSpan', (docId: string, start: number, end: number) => revealSpan(indexService, docId, start, end)),
    vscode.commands.registerCommand('retrievalLens.inspectQuery', async (queryId: string) => {
      const q = evalSet.queries().find((x) => x.id === queryId);
      if (!q) return;
      evalSet.setActive(q.id);
      const panel = openInspector();
      panel.messenger.notify('setQuery', { text: q.text, queryId: q.id });
    }),
    vscode.commands.registerCommand('retrievalLens.deleteJudgment', (n: { query: { id: string }; index: number }) => evalSet.removeJudgment(n.query.id, n.index)),
    vscode.commands.registerCommand('retrievalLens.deleteQuery', async (n: { query: { id: string; text: string } }) => {
      const ok = await vscode.window.showWarningMessage(`Delete the query "${n.query.text}" and all its judgments?`, { modal: true }, 'Delete');
      if (ok === 'Delete') evalSet.removeQuery(n.query.id);
    }),
    vscode.commands.registerCommand('retrievalLens.toggleSplit', (n: { query: { id: string; split: 'eval' | 'train' } }) => evalSet.setSplit(n.query.id, n.query.split === 'eval' ? 'train' : 'eval')),
    vscode.commands.registerCommand('retrievalLens.openEvalSetFile', async () => {
      if (evalSet.filePath && fs.existsSync(evalSet.filePath)) await vscode.window.showTextDocument(vscode.Uri.file(evalSet.filePath));
    }),
    vscode.commands.registerCommand('retrievalLens.selectEmbeddingModel', async () => {
      if (!vscode.workspace.isTrusted) {
        const pick = await vscode.window.showWarningMessage(
          'Retrieval Lens: this workspace is not trusted (Restricted Mode), so it embeds with the built-in USE-lite only and writes no settings into the workspace. Trust the workspace to choose another model.',
          'Manage Workspace Trust',
        );
        if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
        return;
      }
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'Xenova/bge-small-en-v1.5', description: 'the default — downloaded once from the Hugging Face hub', value: 'Xenova/bge-small-en-v1.5' },
          { label: 'Xenova/all-MiniLM-L6-v2', description: 'faster, weaker — downloaded once from the Hugging Face hub', value: 'Xenova/all-MiniLM-L6-v2' },
          { label: 'use-lite', description: 'Universal Sentence Encoder lite — offline, ships with the extension', value: 'use-lite' },
          { label: '$(folder) Local model folder…', description: 'a transformers.js model on disk', value: '' },
        ],
        { title: 'Embedding model for the workspace index' },
      );
      if (!pick) return;
      let value = pick.value;
      if (!value) {
        const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' });
        if (!folder?.[0]) return;
        value = folder[0].fsPath;
      }
      indexService.index = undefined; // dropped first, so the settings change below asks no "rebuild?": this builds
      await vscode.workspace.getConfiguration('retrievalLens').update('embeddingModel', value, vscode.ConfigurationTarget.Workspace);
      await indexService.build();
    }),
    vscode.commands.registerCommand('retrievalLens.runBaseline', async (retrieversArg?: RetrieverName[]) => {
      const index = await indexService.ensureIndex();
      if (!index) return;
      let retrievers = retrieversArg;
      if (!retrievers) {
        const picked = await vscode.window.showQuickPick(
          (['keyword', 'dense', 'hybrid', 'rerank'] as RetrieverName[]).filter((r) => r !== 'rerank' || index.crossEncoder).map((r) => ({ label: r, picked: r !== 'rerank' })),
          { canPickMany: true, title: 'Retrievers to evaluate on the eval split' },
        );
        if (!picked?.length) return;
        retrievers = picked.map((p) => p.label as RetrieverName);
      }
      const cfg = readConfig();
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: running the baseline', cancellable: true }, async (progress, token) => {
        const loaded = adapters.load(index);
        const r = await runBaseline(index, evalSet.queries(), retrievers as RetrieverName[], cfg.topK, root, cfg.exclude, loaded.adapter);
        // Why there are no adapted runs, unless it is simply that none is set (the view says that itself).
        const note = loaded.status.setting || loaded.status.state === 'error' || /^(this workspace|no query adapter on)/.test(loaded.status.message ?? '') ? (loaded.status.message ?? '') : '';
        r.adapter = { id: loaded.adapter?.id, note, trained: loaded.status.trained };
        // Retrievers from retrievalLens.retrievers: contacted only in a trusted workspace, once the user allowed each;
        // their queries run with bounded concurrency, with progress, and Cancel stops sending them.
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        try {
          r.configured = await evaluateConfiguredRetrievers(context, index, evalSet.queries(), cfg.topK, log, { signal: controller.signal, progress: (message) => progress.report({ message }) });
        } catch (e) {
          if (!controller.signal.aborted) throw e;
          void vscode.window.showInformationMessage('Retrieval Lens: baseline cancelled while scoring the configured retrievers; the local results are shown.');
        }
        return r;
      });
      baselinePanel = showBaselineResults(result, baselinePanel);
      baselinePanel.onDidDispose(() => (baselinePanel = undefined));
      return result;
    }),
    vscode.commands.registerCommand('retrievalLens.showReadinessReport', async () => {
      if (!root) return;
      const index = await indexService.ensureIndex();
      if (!index?.embedder) return;
      const cfg = readConfig();
      const md = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: fine-tune readiness', cancellable: false }, async (progress) => {
        const target = await loadEvalTarget(root);
        const report = await buildReadinessReport(
          target,
          async (chunker, embedder, crossEncoder) => {
            if (embedder === index.embedder && JSON.stringify(chunker) === JSON.stringify(index.manifest.chunker)) return index;
            return (
              await WorkspaceIndex.openOrBuild(target.corpus, {
                chunker,
                keyword: index.options.keyword,
                search: index.searchDefaults,
                embedder,
                crossEncoder,
                storageDir: indexService.storageDir(chunker, index.options.keyword ?? {}, embedder?.info.id ?? 'none'),
              })
            ).index;
          },
          { baseline: index.embedder as NonNullable<typeof index.embedder>, alternatives: [], crossEncoder: index.crossEncoder, chunker: index.manifest.chunker },
          { k: Math.min(cfg.topK, 10), onProgress: (m) => progress.report({ message: m }) },
        );
        // Configured retrievers the user allowed, scored beside the baseline as the CLI's diagnose --retriever does.
        const k = report.baseline.k;
        progress.report({ message: 'scoring configured retrievers' });
        const configured = await evaluateConfiguredRetrievers(context, index, target.queries, k, log, { progress: (message) => progress.report({ message }) });
        for (const line of configured?.lines ?? []) {
          if (line.status !== 'scored' || !line.result) {
            (report.externalNotScored ??= []).push({ name: line.name, reason: `${line.status}${line.reason ? `: ${line.reason}` : ''}` });
            continue;
          }
          const scoring = { baseline: report.baseline.retriever as RetrieverName, level: report.levels.scored[0] ?? ('doc' as const), k };
          (report.external ??= []).push(await externalReadinessLine({ name: line.name, destination: line.destination, result: line.result }, index, target.queries, scoring));
        }
        return `${renderReadinessMarkdown(report)}\n\n---\n\nMeasure what adapting the model would gain on your own labels: run [Retrieval Lens: Train Query Adapter (trial fine-tune)](command:retrievalLens.trainAdapter) (command palette), then switch it on with retrievalLens.queryAdapter.\n`;
      });
      const file = path.join(context.storageUri?.fsPath ?? context.globalStorageUri.fsPath, 'readiness-report.md');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeFileAtomic(file, md);
      await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(file));
      void vscode.window.showInformationMessage('Retrieval Lens: the readiness report is open. Measure what a query adapter would gain on your labels?', 'Train Query Adapter').then((pick) => {
        if (pick) void vscode.commands.executeCommand('retrievalLens.trainAdapter');
      });
    }),
  );
  if (vscode.workspace.getConfiguration('retrievalLens').get<boolean>('indexOnOpen', false) && evalSet.filePath && fs.existsSync(evalSet.filePath)) {
    setTimeout(() => void indexService.build(), 0);
  }
  setTimeout(() => void firstRun(context, { openInspector: () => void openInspector(), build: () => void indexService.build() }, log), 0);

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, indexService, evalSet, inspector, annotations };
}

export function deactivate(): void {
  InspectorPanel.current?.dispose();
}
