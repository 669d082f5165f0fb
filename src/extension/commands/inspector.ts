import { revealSpan as reveal } from '../webviews/inspector/inspector-host';
import type { CommandFactory } from './registry';

/** The Query Inspector: open it, open it on an eval query (from the Eval Set view), reveal a hit's span. */
export const openInspector: CommandFactory = (s) => () => void s.openInspector();

export const inspectQuery: CommandFactory = (s) => (queryId: string) => {
  const q = s.evalSet.queries().find((x) => x.id === queryId);
  if (!q) return;
  s.evalSet.setActive(q.id);
  s.openInspector().messenger.notify('setQuery', { text: q.text, queryId: q.id });
};

export const revealSpan: CommandFactory = (s) => (docId: string, start: number, end: number) => reveal(s.indexService, docId, start, end);
