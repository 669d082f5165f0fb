import * as vscode from 'vscode';
import { buildWorkspaceReadiness } from '../webviews/readiness/readiness-host';
import { showReadinessReport as showReadinessView } from '../webviews/readiness/readiness-panel';
import type { CommandFactory } from './registry';

/**
 * "Fine-Tune Readiness Report": the report on the workspace's eval set (built by webviews/readiness/readiness-host.ts),
 * shown in the readiness view; then it offers the trial fine-tune.
 */
export const showReadinessReport: CommandFactory = (s) => async () => {
  const root = s.root;
  if (!root) return;
  const index = await s.indexService.ensureIndex();
  if (!index) return;
  const embedder = index.embedder;
  if (!embedder) {
    // A keyword-only index (retrievalLens.embeddingModel "none"): the report weighs dense, hybrid and a query adapter.
    void vscode.window.showWarningMessage('Retrieval Lens: the readiness report needs an embedding model, and this index is keyword only (setting retrievalLens.embeddingModel is "none"). Set a model to build the report.', 'Open Setting').then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'retrievalLens.embeddingModel');
    });
    return;
  }
  const { report, md } = await buildWorkspaceReadiness(s, root, index, embedder);
  await showReadinessView(s, report, md);
};
