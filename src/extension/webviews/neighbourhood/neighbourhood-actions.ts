import * as vscode from 'vscode';
import type { InspectorController } from '../inspector/inspector-host';

export const SHOW_NEIGHBOURHOOD = 'retrievalLens.showNeighbourhood';

/**
 * A quick fix on each "missed for …" diagnostic (a labeled span the last inspector search did not retrieve):
 * "Show query neighbourhood" opens the neighbourhood view of that query.
 */
export class MissedSpanActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly inspector: InspectorController) {}

  provideCodeActions(_document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const view = this.inspector.lastView;
    if (!view) return [];
    const missed = context.diagnostics.filter((d) => d.source === 'Retrieval Lens' && d.message.startsWith('missed for '));
    return missed.map((d) => {
      const action = new vscode.CodeAction('Retrieval Lens: Show query neighbourhood (why this span was missed)', vscode.CodeActionKind.QuickFix);
      action.diagnostics = [d];
      action.command = { command: SHOW_NEIGHBOURHOOD, title: 'Show query neighbourhood', arguments: [{ query: view.query, queryId: view.queryId }] };
      return action;
    });
  }
}
