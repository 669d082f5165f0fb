import type * as vscode from 'vscode';
import type { EvalQuery } from '../../../core/eval/evalset-types';
import type { ExampleQuery } from '../../../protocol/inspector';
import type { AllInspectorHandlers } from './inspector-panel';

/** The inspector state kept across closing and reopening the panel (the webview's own state ends with the panel). */
const STATE_KEY = 'retrievalLens.inspectorState';
/** Failure kinds in the order a newcomer learns most from: the two retrievers failing in opposite ways, then chunking. */
const KIND_ORDER = ['exact-match', 'semantic', 'chunking'];

/**
 * Up to three eval queries to try, one per failure kind, from what the eval set records: a judgment whose note says
 * "designed: <kind>" (the demo's labels say which failure they were written to show). Eval split only; kinds in
 * KIND_ORDER first, then in the order they appear.
 */
export function exampleQueries(queries: readonly EvalQuery[], max = 3): ExampleQuery[] {
  const byKind = new Map<string, ExampleQuery>();
  for (const q of queries) {
    if (q.split !== 'eval') continue;
    for (const j of q.judgments) {
      const kind = /^designed:\s*([\w-]+)/.exec(j.note ?? '')?.[1];
      if (kind && !byKind.has(kind)) byKind.set(kind, { id: q.id, text: q.text, kind });
    }
  }
  const rank = (k: string) => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : KIND_ORDER.length);
  return [...byKind.values()].sort((a, b) => rank(a.kind) - rank(b.kind)).slice(0, max);
}

/** The guide's requests: examples and the kept state, read from the eval set and the workspace state. */
export function guideHandlers(evalSet: { queries(): EvalQuery[] }, workspaceState: vscode.Memento, onState?: (state: unknown) => void): Pick<AllInspectorHandlers, 'guide' | 'keepState'> {
  return {
    guide: () => ({ examples: exampleQueries(evalSet.queries()), state: workspaceState.get(STATE_KEY) }),
    keepState: async ({ state }) => {
      await workspaceState.update(STATE_KEY, state);
      onState?.(state);
    },
  };
}
