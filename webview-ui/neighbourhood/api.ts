import { Messenger, type HostToNeighbourhood, type NeighbourhoodToHost } from '../../src/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

/** The neighbourhood view's side of the typed protocol (src/protocol.ts). */
export const messenger = new Messenger<HostToNeighbourhood, NeighbourhoodToHost>(
  (m) => api.postMessage(m),
  (e) => console.warn(`[retrieval-lens] ${e}`),
);
window.addEventListener('message', (event: MessageEvent) => void messenger.receive(event.data));
