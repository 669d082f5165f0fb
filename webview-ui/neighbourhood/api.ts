import type { HostToNeighbourhood, NeighbourhoodToHost } from '../../src/protocol';
import { appMessenger } from '../shared/vscode-api';

/** The neighbourhood view's side of the typed protocol (src/protocol.ts). */
export const messenger = appMessenger<HostToNeighbourhood, NeighbourhoodToHost>();
