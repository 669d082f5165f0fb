import { setSecret as store } from '../retrievers/configured-retrievers';
import type { CommandFactory } from './registry';

/** "Set Secret…": a key for a configured retriever or endpoint, into the editor's secret storage. */
export const setSecret: CommandFactory = (s) => () => store(s.context);
