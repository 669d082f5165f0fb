import * as vscode from 'vscode';
import { Messenger, type WireMessage } from '../../../protocol/messenger';
import { NEIGHBOURHOOD_TO_HOST_CHECKS, type HostToNeighbourhood, type NeighbourhoodState, type NeighbourhoodToHost } from '../../../protocol/neighbourhood';
import { resultColumn } from '../result-column';
import { webviewHtml, webviewOptions } from '../webview-html';

export const NEIGHBOURHOOD_VIEW_TYPE = 'retrievalLens.neighbourhood';

/** The tab names the retriever the neighbourhood was drawn through, when it is not the local dense one. */
const panelTitle = (state: NeighbourhoodState) => (state.retriever ? `Query Neighbourhood — ${state.retriever}` : 'Query Neighbourhood');

/**
 * Host side of the query neighbourhood view: one panel, showing the latest state it was given. Messages from the
 * webview are held to NEIGHBOURHOOD_TO_HOST_CHECKS; the document text it shows is rendered as text by lit.
 */
export class NeighbourhoodPanel implements vscode.Disposable {
  static current: NeighbourhoodPanel | undefined;
  readonly messenger: Messenger<NeighbourhoodToHost, HostToNeighbourhood>;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, state: NeighbourhoodState, reveal: (docId: string, start: number, end: number) => Promise<unknown>, log: vscode.LogOutputChannel): NeighbourhoodPanel {
    const existing = NeighbourhoodPanel.current;
    if (existing) {
      existing.state = state;
      existing.panel.title = panelTitle(state);
      existing.messenger.notify('show', state);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(NEIGHBOURHOOD_VIEW_TYPE, panelTitle(state), { viewColumn: resultColumn(), preserveFocus: true }, { ...webviewOptions(extensionUri), retainContextWhenHidden: false });
    return new NeighbourhoodPanel(panel, extensionUri, state, reveal, log);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private state: NeighbourhoodState,
    reveal: (docId: string, start: number, end: number) => Promise<unknown>,
    log: vscode.LogOutputChannel,
  ) {
    NeighbourhoodPanel.current = this;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'retrieval-lens.svg');
    this.messenger = new Messenger<NeighbourhoodToHost, HostToNeighbourhood>((m: WireMessage) => void panel.webview.postMessage(m), (e) => log.warn(`neighbourhood: ${e}`), NEIGHBOURHOOD_TO_HOST_CHECKS);
    this.messenger.on('ready', () => this.state);
    this.messenger.on('reveal', async ({ docId, start, end }) => {
      await reveal(docId, start, end);
    });
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'Query Neighbourhood', 'neighbourhood');
    this.disposables.push(panel.webview.onDidReceiveMessage((m) => this.messenger.receive(m)), panel.onDidDispose(() => this.dispose()));
  }

  dispose(): void {
    if (NeighbourhoodPanel.current === this) NeighbourhoodPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
