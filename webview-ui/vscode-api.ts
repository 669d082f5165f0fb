import { Messenger, type HostToWebview, type WebviewToHost } from '../src/protocol';

interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export interface PersistedState {
  query: string;
  queryId?: string;
  k: number;
  retrievers: string[];
  filterPath: string;
  filterLanguage: string;
  filterFrontMatter: string;
  lastView?: unknown;
}

const api = acquireVsCodeApi<PersistedState>();

export const messenger = new Messenger<HostToWebview, WebviewToHost>(
  (m) => api.postMessage(m),
  (e) => console.warn(`[retrieval-lens] ${e}`),
);
window.addEventListener('message', (event: MessageEvent) => void messenger.receive(event.data));

export const state = {
  load(): PersistedState | undefined {
    return api.getState();
  },
  save(s: PersistedState): void {
    api.setState(s);
  },
};
