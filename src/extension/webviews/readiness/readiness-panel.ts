import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ReadinessReport } from '../../../core/diagnose/readiness-report';
import { writeFileAtomic } from '../../../core/io/atomic-write';
import { Messenger, type WireMessage } from '../../../protocol/messenger';
import { READINESS_TO_HOST_CHECKS, type HostToReadiness, type ReadinessToHost, type ReadinessView } from '../../../protocol/readiness';
import { resultColumn } from '../result-column';
import { webviewHtml, webviewOptions } from '../webview-html';
import { readinessView } from './readiness-model';

export const READINESS_VIEW_TYPE = 'retrievalLens.readiness';

let current: { panel: vscode.WebviewPanel; view: ReadinessView; messenger: Messenger<ReadinessToHost, HostToReadiness> } | undefined;

/**
 * The readiness report app (webview-ui/readiness/), drawn from the structured report by its view model. The Markdown
 * (as the CLI's `diagnose --markdown` writes it) is saved beside the extension's storage and opened from the app's
 * "Open as Markdown"; its "Train Query Adapter" button runs the trial (no toast: it would cover the report that just opened). Messages from the app are held to READINESS_TO_HOST_CHECKS.
 */
export async function showReadinessReport(env: { context: vscode.ExtensionContext; log: vscode.LogOutputChannel; storageDir: string }, report: ReadinessReport, markdown: string): Promise<void> {
  const file = path.join(env.storageDir, 'readiness-report.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, markdown);
  const view = readinessView(report);
  if (current) {
    current.view = view;
    current.messenger.notify('show', view);
    current.panel.reveal(undefined, true);
  } else {
    const extensionUri = env.context.extensionUri;
    const panel = vscode.window.createWebviewPanel(READINESS_VIEW_TYPE, 'Fine-Tune Readiness', resultColumn(), webviewOptions(extensionUri));
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'retrieval-lens.svg');
    const messenger = new Messenger<ReadinessToHost, HostToReadiness>((m: WireMessage) => void panel.webview.postMessage(m), (e) => env.log.warn(`readiness: ${e}`), READINESS_TO_HOST_CHECKS);
    const host = { panel, view, messenger };
    current = host;
    messenger.on('ready', () => host.view);
    messenger.on('trainAdapter', async () => {
      await vscode.commands.executeCommand('retrievalLens.trainAdapter');
    });
    messenger.on('openMarkdown', async () => {
      await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(file));
    });
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'Fine-Tune Readiness', 'readiness');
    const received = panel.webview.onDidReceiveMessage((m) => messenger.receive(m));
    panel.onDidDispose(() => {
      received.dispose();
      if (current === host) current = undefined;
    });
  }
}
