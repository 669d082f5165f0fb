import { Messenger } from '../../src/protocol/messenger';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

/** The webview's one handle on VS Code (acquireVsCodeApi may be called only once per page). */
export function vscodeApi(): VsCodeApi {
  return (api ??= acquireVsCodeApi());
}

/**
 * The app's side of the typed protocol (src/protocol/messenger.ts): `Incoming` is what the host sends, `Outgoing` what the app
 * sends. The host holds every message to its parameter checks; this side reports malformed ones to the console.
 */
export function appMessenger<Incoming, Outgoing>(): Messenger<Incoming, Outgoing> {
  const a = vscodeApi();
  const messenger = new Messenger<Incoming, Outgoing>(
    (m) => a.postMessage(m),
    (e) => console.warn(`[retrieval-lens] ${e}`),
  );
  window.addEventListener('message', (event: MessageEvent) => void messenger.receive(event.data));
  return messenger;
}
