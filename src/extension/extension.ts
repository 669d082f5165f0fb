import * as vscode from 'vscode';
import type { HostInfo } from '../protocol';
import { InspectorPanel, type InspectorHandlers } from './inspector-panel';

const started = performance.now();

/** Activation registers commands and views only: no model or index is loaded until first needed. */
export function activate(context: vscode.ExtensionContext): { activationMs: number } {
  const log = vscode.window.createOutputChannel('Retrieval Lens', { log: true });
  context.subscriptions.push(log);

  const hostInfo = (): HostInfo => ({
    extensionVersion: String(context.extension.packageJSON.version),
    vscodeVersion: vscode.version,
    activationMs,
  });

  const handlers: InspectorHandlers = {
    ping: ({ text }) => ({ echo: text, host: hostInfo() }),
    ready: () => ({
      host: hostInfo(),
      index: { state: 'none', documents: 0, chunks: 0, model: null, chunker: '', staleFiles: 0 },
      evalQueries: [],
      retrievers: ['keyword', 'dense', 'hybrid'],
    }),
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('retrievalLens.openInspector', () => {
      InspectorPanel.show(context.extensionUri, handlers, log);
    }),
    InspectorPanel.registerSerializer(context.extensionUri, handlers, log),
  );

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs };
}

export function deactivate(): void {
  InspectorPanel.current?.dispose();
}
