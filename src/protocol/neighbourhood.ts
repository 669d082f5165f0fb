/** The query neighbourhood view's messages (webview-ui/neighbourhood ↔ src/extension/webviews/neighbourhood). */
import type { NeighbourhoodView } from '../core/adapt/neighbourhood';
import type { AdapterStatus } from './inspector';
import { span, type Check } from './messenger';

export type { BeforeAfter, NeighbourhoodView, NeighbourPoint } from '../core/adapt/neighbourhood';
/** What the query neighbourhood view shows: the view model, or why there is none. */
export interface NeighbourhoodState {
  view?: NeighbourhoodView;
  error?: string;
  adapter: AdapterStatus;
  /** The external retriever (an inspector column's name) the neighbourhood was drawn through; absent for the local dense one. */
  retriever?: string;
}

/** Neighbourhood webview → host. */
export interface NeighbourhoodToHost {
  ready: [Record<string, never>, NeighbourhoodState];
  reveal: [{ docId: string; start: number; end: number }, void];
}

export const NEIGHBOURHOOD_TO_HOST_CHECKS: { [M in keyof NeighbourhoodToHost]: Check } = {
  ready: () => undefined,
  reveal: (p) => span(p, false),
};

/** Host → neighbourhood webview. */
export interface HostToNeighbourhood {
  show: [NeighbourhoodState, void];
}
