import type { HostToWebview, InspectorToHost } from '../../src/protocol/inspector';
import { appMessenger, vscodeApi } from '../shared/vscode-api';
import { availableRetrievers } from '../../src/protocol/inspector';

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
  /** Recorded runs (`trace:<name>`) ticked as columns. */
  recorded?: string[];
  lastView?: unknown;
}

const DEFAULT_STATE: PersistedState = {
  query: '',
  k: 10,
  retrievers: availableRetrievers({ dense: true, rerank: false }),
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

/** The Query Inspector's side of the typed protocol. */
export const messenger = appMessenger<HostToWebview, InspectorToHost>();

export const state = {
  /** The saved state with defaults for fields an older version did not save. */
  load(): PersistedState {
    return { ...DEFAULT_STATE, ...(vscodeApi().getState() as Partial<PersistedState> | undefined) };
  },
  save(s: PersistedState): void {
    vscodeApi().setState(s);
  },
};
