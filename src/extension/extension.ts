import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { workspaceWriteRefusal } from '../core/settings/workspace-trust';
import type { HostInfo } from '../protocol/inspector';
import { AdapterService } from './adapt/adapter-service';
import { Annotations } from './annotations/annotations';
import { COMMANDS } from './commands';
import { JudgingFlow } from './eval-set/judging-flow';
import { registerCommands } from './commands/registry';
import { showNeighbourhood } from './commands/show-neighbourhood';
import { editorSwitch } from './config';
import { configuredColumns, configuredPoolRetrievers } from './retrievers/configured-retrievers';
import { EvalSetService } from './eval-set/eval-set-service';
import { EvalSetTree } from './eval-set/eval-set-tree';
import { firstRun } from './indexing/first-run';
import { trackWalkthrough } from './indexing/walkthrough-progress';
import { IndexService } from './indexing/index-service';
import { InspectorController } from './webviews/inspector/inspector-host';
import { MissDiagnoses } from './diagnosis/miss-diagnoses';
import { InspectorPanel } from './webviews/inspector/inspector-panel';
import { guideHandlers } from './webviews/inspector/inspector-guide';
import { JudgingQueue } from './eval-set/judging-queue';
import { MissedSpanActions } from './webviews/neighbourhood/neighbourhood-actions';
import type { Services } from './services';

const started = performance.now();

export interface RetrievalLensApi {
  activationMs: number;
  indexService: IndexService;
  evalSet: EvalSetService;
  inspector: InspectorController;
  annotations: Annotations;
}

/**
 * Activation wires the services, views and providers and registers the commands (src/extension/commands/): no model
 * or index is loaded until first needed.
 */
export function activate(context: vscode.ExtensionContext): RetrievalLensApi {
  const log = vscode.window.createOutputChannel('Retrieval Lens', { log: true });
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const storageDir = context.storageUri?.fsPath ?? context.globalStorageUri.fsPath;
  const indexService = new IndexService(context, log);
  const evalSet = new EvalSetService(root, log);
  evalSet.writeBlocked = () => workspaceWriteRefusal(vscode.workspace.isTrusted);
  const hostInfo = (): HostInfo => ({ extensionVersion: String(context.extension.packageJSON.version), vscodeVersion: vscode.version, activationMs });
  const adapters = new AdapterService(root, log);
  // One miss diagnosis per (eval query, index, settings), read by the inspector, the Problems entries, the baseline and the report.
  const diagnoses = new MissDiagnoses();
  const inspector = new InspectorController(
    indexService,
    evalSet,
    hostInfo,
    (index, query, k, filter, labeled, recorded) => configuredColumns(context, index, query, k, filter, log, labeled, { root: indexService.root, names: recorded ?? [] }),
    adapters,
    // Runs on a user action, after `services` below is made.
    async (query, queryId, retriever) => {
      await showNeighbourhood(services, query, queryId, retriever);
    },
    diagnoses,
  );
  const annotations = new Annotations(indexService, evalSet, inspector);
  const judgingQueue = new JudgingQueue(evalSet, indexService, (index) => configuredPoolRetrievers(context, index, log, indexService.root), (m) => log.warn(m));
  const tree = new EvalSetTree(evalSet, indexService, judgingQueue);
  const treeView = vscode.window.createTreeView('retrievalLens.evalSet', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const judging = new JudgingFlow(judgingQueue, treeView as vscode.TreeView<unknown>, (item) => tree.poolItemNode(item), { evalSet, indexService, log });
  const handlers = { ...inspector.handlers(), ...guideHandlers(evalSet, context.workspaceState) };
  const openInspector = () => InspectorPanel.show(context.extensionUri, handlers, log);
  const services: Services = { context, log, root, storageDir, indexService, evalSet, adapters, inspector, annotations, judging, openInspector, diagnoses };

  indexService.onDidChange((s) => {
    InspectorPanel.current?.messenger.notify('indexStatus', s);
    InspectorPanel.current?.messenger.notify('adapterStatus', inspector.adapterStatus());
  });
  // Loaded on every change (not only while the inspector is open), so a refused adapter is reported at once.
  // (Computed before the optional call: `a?.notify(x, f())` would skip f() with no panel open.)
  adapters.onDidChange(() => {
    const status = inspector.adapterStatus();
    InspectorPanel.current?.messenger.notify('adapterStatus', status);
  });
  const walkthrough = trackWalkthrough({ onIndex: indexService.onDidChange, onSearch: inspector.onDidSearch, onEvalSet: evalSet.onDidChange, judgments: () => evalSet.queries().reduce((n, q) => n + q.judgments.length, 0) });
  evalSet.onDidChange(() => InspectorPanel.current?.messenger.notify('evalQueries', { queries: evalSet.queries().map((q) => ({ id: q.id, text: q.text, split: q.split })), recorded: inspector.recordedRuns() }));

  context.subscriptions.push(
    log,
    walkthrough,
    indexService,
    adapters,
    evalSet,
    annotations,
    tree,
    { dispose: () => inspector.dispose() },
    judgingQueue,
    treeView,
    judging,
    InspectorPanel.registerSerializer(context.extensionUri, handlers, log),
    vscode.languages.registerCodeActionsProvider([{ scheme: 'file' }], new MissedSpanActions(inspector), { providedCodeActionKinds: MissedSpanActions.kinds }),
    ...registerCommands(services, COMMANDS),
  );
  if (editorSwitch('indexOnOpen') && evalSet.filePath && fs.existsSync(evalSet.filePath)) {
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
