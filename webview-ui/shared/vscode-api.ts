import { Messenger, type HostToWebview, type InspectorToHost } from '../../src/protocol';

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
  filterHeadingPath: string;
  filterModifiedAfter: string;
  /** Hybrid fusion overrides as typed; '' means "use the workspace settings". */
  fusionMethod: string;
  fusionDenseWeight: string;
  fusionNormalization: string;
  fusionRrfK: string;
  /** Show dense (and hybrid) with the query adapter beside the plain columns. */
  adapter: boolean;
  lastView?: unknown;
}

const DEFAULT_STATE: PersistedState = {
  query: '',
  k: 10,
  retrievers: ['keyword', 'dense', 'hybrid'],
  filterPath: '',
  filterLanguage: '',
  filterFrontMatter: '',
  filterHeadingPath: '',
  filterModifiedAfter: '',
  fusionMethod: '',
  fusionDenseWeight: '',
  fusionNormalization: '',
  fusionRrfK: '',
  adapter: true,
};

const api = acquireVsCodeApi<PersistedState>();

export const messenger = new Messenger<HostToWebview, InspectorToHost>(
  (m) => api.postMessage(m),
  (e) => console.warn(`[retrieval-lens] ${e}`),
);
window.addEventListener('message', (event: MessageEvent) => void messenger.receive(event.data));

export const state = {
  /** The saved state with defaults for fields an older version did not save. */
  load(): PersistedState {
    return { ...DEFAULT_STATE, ...api.getState() };
  },
  save(s: PersistedState): void {
    api.setState(s);
  },
};
