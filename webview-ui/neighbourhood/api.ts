import type { HostToNeighbourhood, NeighbourhoodToHost } from '../../src/protocol/neighbourhood';
import { appMessenger } from '../shared/vscode-api';

/** The neighbourhood view's side of the typed protocol (src/protocol/neighbourhood.ts). */
export const messenger = appMessenger<HostToNeighbourhood, NeighbourhoodToHost>();
