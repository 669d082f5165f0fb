import * as vscode from 'vscode';

/**
 * Ticks the walkthrough's steps as they are done: each sets a context key its step's completionEvents name
 * (package.json contributes.walkthroughs). Indexed: the index is ready; first query: a search in the inspector;
 * first label: a judgment added this session (the demo's eval set comes with labels, so having labels is not
 * enough). The baseline step ticks on its command.
 */
export function trackWalkthrough(events: {
  onIndex: vscode.Event<{ state: string }>;
  onSearch: vscode.Event<unknown>;
  onEvalSet: vscode.Event<unknown>;
  judgments: () => number;
}): vscode.Disposable {
  const set = (key: string) => void vscode.commands.executeCommand('setContext', `retrievalLens.walkthrough.${key}`, true);
  let labels = events.judgments();
  return vscode.Disposable.from(
    events.onIndex((s) => {
      if (s.state === 'ready') set('indexed');
    }),
    events.onSearch(() => set('searched')),
    events.onEvalSet(() => {
      const now = events.judgments();
      if (now > labels) set('labeled');
      labels = now;
    }),
  );
}
