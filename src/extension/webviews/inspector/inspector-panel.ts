import * as vscode from 'vscode';
import { INSPECTOR_TO_HOST_CHECKS, type HostToWebview, type InspectorGuideToHost, type InspectorToHost } from '../../../protocol/inspector';
import { Messenger, type WireMessage } from '../../../protocol/messenger';
import { resultColumn } from '../result-column';
import { webviewHtml, webviewOptions } from '../webview-html';

export const INSPECTOR_VIEW_TYPE = 'retrievalLens.inspector';

/** Handlers for what the webview asks; the controller owns the index and the eval set. */
export type InspectorHandlers = {
  [M in Exclude<keyof InspectorToHost, keyof InspectorGuideToHost>]: (params: InspectorToHost[M][0]) => Promise<InspectorToHost[M][1]> | InspectorToHost[M][1];
};
/** With the newcomer's guide (inspector-guide.ts): every request the app may send. */
export type AllInspectorHandlers = InspectorHandlers & {
  [M in keyof InspectorGuideToHost]: (params: InspectorGuideToHost[M][0]) => Promise<InspectorGuideToHost[M][1]> | InspectorGuideToHost[M][1];
};

/** Host side of the Query Inspector: one panel at a time, restored after reload by a serializer. */
export class InspectorPanel implements vscode.Disposable {
  static current: InspectorPanel | undefined;
  readonly messenger: Messenger<InspectorToHost, HostToWebview>;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, handlers: AllInspectorHandlers, log: vscode.LogOutputChannel): InspectorPanel {
    if (InspectorPanel.current) {
      InspectorPanel.current.panel.reveal();
      return InspectorPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, 'Query Inspector', resultColumn(), {
      ...webviewOptions(extensionUri),
      retainContextWhenHidden: false,
    });
    return new InspectorPanel(panel, extensionUri, handlers, log);
  }

  static registerSerializer(extensionUri: vscode.Uri, handlers: AllInspectorHandlers, log: vscode.LogOutputChannel): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        panel.webview.options = webviewOptions(extensionUri);
        new InspectorPanel(panel, extensionUri, handlers, log);
      },
    });
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    handlers: AllInspectorHandlers,
    log: vscode.LogOutputChannel,
  ) {
    InspectorPanel.current = this;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'retrieval-lens.svg');
    this.messenger = new Messenger<InspectorToHost, HostToWebview>(
      (m: WireMessage) => void panel.webview.postMessage(m),
      (e) => log.warn(`inspector: ${e}`),
      INSPECTOR_TO_HOST_CHECKS,
    );
    for (const method of Object.keys(handlers) as Array<keyof InspectorToHost>) {
      this.messenger.on(method, handlers[method] as never);
    }
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'Query Inspector');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => this.messenger.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  dispose(): void {
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
