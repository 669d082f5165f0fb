import * as vscode from 'vscode';
import type { NeighbourhoodState } from '../../protocol/neighbourhood';
import { readConfig } from '../config';
import { revealSpan } from '../webviews/inspector/inspector-host';
import { openInspectorRetriever } from '../retrievers/configured-retrievers';
import { queryNeighbourhood } from '../webviews/neighbourhood/neighbourhood-host';
import { NeighbourhoodPanel } from '../webviews/neighbourhood/neighbourhood-panel';
import type { Services } from '../services';
import type { CommandFactory } from './registry';

/**
 * The neighbourhood view of one query, with the configured adapter when it loads for this index; or drawn through an
 * inspector's external column by its name (`retriever`: a configured retriever the inspector may contact, or a recorded
 * run `trace:<name>`), which is opened for this drawing and disposed after.
 */
export async function showNeighbourhood(s: Services, query: string, queryId?: string, retriever?: string): Promise<NeighbourhoodState> {
  const loaded = s.adapters.load(s.indexService.index);
  let state: NeighbourhoodState;
  try {
    const index = await s.indexService.ensureIndex();
    if (!index) throw new Error('no index: open a folder and run "Retrieval Lens: Build Index"');
    const evalQuery = queryId ? s.evalSet.queries().find((q) => q.id === queryId) : undefined;
    const adapter = s.adapters.load(index);
    const through = retriever ? await openInspectorRetriever(s.context, index, retriever, s.log, s.indexService.root) : undefined;
    try {
      state = { view: await queryNeighbourhood(index, query, evalQuery, adapter.adapter, readConfig().topK, through), adapter: adapter.status, retriever };
    } finally {
      await through?.retriever.dispose?.();
    }
  } catch (e) {
    state = { error: e instanceof Error ? e.message : String(e), adapter: loaded.status, retriever };
  }
  NeighbourhoodPanel.show(s.context.extensionUri, state, (docId, start, end) => revealSpan(s.indexService, docId, start, end), s.log);
  return state;
}

/**
 * "Show Query Neighbourhood": from a missed span's quick fix or a link ({ query, queryId }), else for the active
 * eval query, else for a query typed in.
 */
export const showQueryNeighbourhood: CommandFactory = (s) => async (arg?: { query?: unknown; queryId?: unknown } | string) => {
  let query = typeof arg === 'object' && typeof arg.query === 'string' ? arg.query : undefined;
  let queryId = typeof arg === 'object' && typeof arg.queryId === 'string' ? arg.queryId : typeof arg === 'string' ? arg : undefined;
  const known = queryId ? s.evalSet.queries().find((q) => q.id === queryId) : undefined;
  if (!query && known) query = known.text;
  if (!query) {
    const active = s.evalSet.queries().find((q) => q.id === s.evalSet.activeQueryId);
    const text = await vscode.window.showInputBox({ title: 'Query neighbourhood', prompt: 'The query whose neighbourhood to show', value: active?.text ?? '' });
    if (!text?.trim()) return undefined;
    query = text;
    queryId = active && active.text === text ? active.id : undefined;
  }
  return showNeighbourhood(s, query, queryId);
};
