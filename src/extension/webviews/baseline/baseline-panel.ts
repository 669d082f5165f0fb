import * as vscode from 'vscode';
import { BASELINE_TO_HOST_CHECKS, type BaselineToHost, type BaselineView, type HostToBaseline } from '../../../protocol/baseline';
import { Messenger, type WireMessage } from '../../../protocol/messenger';
import { resultColumn } from '../result-column';
import { webviewHtml, webviewOptions } from '../webview-html';
import { baselineView } from './baseline-model';
import type { BaselineResult } from './baseline-host';

export const BASELINE_VIEW_TYPE = 'retrievalLens.baseline';

/** The panels this module opened, each with the view it shows and its side of the protocol. */
const hosts = new WeakMap<vscode.WebviewPanel, { view: BaselineView; messenger: Messenger<BaselineToHost, HostToBaseline> }>();

/**
 * The baseline results app (webview-ui/baseline/): metric bars per configuration, per-query wins and losses against
 * the baseline, the hybrid trade-off, the configured retrievers and the failure categories, drawn from the view
 * model. A query opens the Query Inspector on it; "Train a query adapter" runs the trial. Messages from the app are
 * held to BASELINE_TO_HOST_CHECKS. A re-run updates the open panel and brings it to the front.
 */
export function showBaselineResults(env: { context: vscode.ExtensionContext; log: vscode.LogOutputChannel }, result: BaselineResult, existing?: vscode.WebviewPanel): vscode.WebviewPanel {
  const view = baselineView(result);
  const open = existing && hosts.get(existing);
  if (existing && open) {
    open.view = view;
    open.messenger.notify('show', view);
    if (!existing.visible) existing.reveal(undefined, true);
    return existing;
  }
  const extensionUri = env.context.extensionUri;
  const panel = vscode.window.createWebviewPanel(BASELINE_VIEW_TYPE, 'Baseline Results', resultColumn(), webviewOptions(extensionUri));
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'retrieval-lens.svg');
  const messenger = new Messenger<BaselineToHost, HostToBaseline>((m: WireMessage) => void panel.webview.postMessage(m), (e) => env.log.warn(`baseline: ${e}`), BASELINE_TO_HOST_CHECKS);
  const host = { view, messenger };
  hosts.set(panel, host);
  messenger.on('ready', () => host.view);
  messenger.on('inspectQuery', async ({ queryId }) => {
    await vscode.commands.executeCommand('retrievalLens.inspectQuery', queryId);
  });
  messenger.on('trainAdapter', async () => {
    await vscode.commands.executeCommand('retrievalLens.trainAdapter');
  });
  panel.webview.html = webviewHtml(panel.webview, extensionUri, 'Baseline Results', 'baseline');
  const received = panel.webview.onDidReceiveMessage((m) => messenger.receive(m));
  panel.onDidDispose(() => received.dispose());
  return panel;
}
