import * as vscode from 'vscode';

/** The webview panels that show results: they share one editor group instead of each opening another split. */
export const RESULT_VIEW_TYPES = ['retrievalLens.inspector', 'retrievalLens.baseline', 'retrievalLens.readiness', 'retrievalLens.neighbourhood'] as const;

/** A tab's webview view type as the workbench reports it (e.g. "mainThreadWebview-retrievalLens.inspector"). */
function isResultTab(tab: vscode.Tab): boolean {
  const input = tab.input;
  return input instanceof vscode.TabInputWebview && RESULT_VIEW_TYPES.some((t) => input.viewType === t || input.viewType.endsWith(`-${t}`));
}

/** The group that already holds a result view, if any (the active group first). */
function resultGroup(): vscode.TabGroup | undefined {
  const groups = vscode.window.tabGroups;
  if (groups.activeTabGroup.tabs.some(isResultTab)) return groups.activeTabGroup;
  return groups.all.find((g) => g.tabs.some(isResultTab));
}

/**
 * Where a result view opens: in the group that already shows one (so the inspector, the baseline, the report and the
 * neighbourhood are tabs of one wide group, not ever narrower splits); else in the active group, taking its width
 * (beside the walkthrough as a tab, not a third column), unless that group shows a file being read, which the
 * results then sit beside.
 */
export function resultColumn(): vscode.ViewColumn {
  const existing = resultGroup();
  if (existing) return existing.viewColumn;
  const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return active instanceof vscode.TabInputText ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
}

/** Where a revealed document opens: the first group, or the second when the results hold the first. */
export function documentColumn(): vscode.ViewColumn {
  return resultGroup()?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
}
