import * as vscode from 'vscode';
import { DEFAULT_EMBEDDING_MODEL } from '../../core/embed/model-download';
import { BUILT_IN_MODEL } from '../../core/settings/workspace-trust';
import { updateSetting } from '../config';
import type { CommandFactory } from './registry';

/**
 * "Select Embedding Model…": the default hub model, a faster one, the bundled USE-lite or a model folder, written to
 * the workspace's settings, then the index is built with it. In Restricted Mode it says why it cannot.
 */
export const selectEmbeddingModel: CommandFactory = (s) => async () => {
  if (!vscode.workspace.isTrusted) {
    const pick = await vscode.window.showWarningMessage(
      'Retrieval Lens: this workspace is not trusted (Restricted Mode), so it embeds with the built-in USE-lite only and writes no settings into the workspace. Trust the workspace to choose another model.',
      'Manage Workspace Trust',
    );
    if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  const pick = await vscode.window.showQuickPick(
    [
      { label: DEFAULT_EMBEDDING_MODEL, description: 'the default — downloaded once from the Hugging Face hub', value: DEFAULT_EMBEDDING_MODEL },
      { label: 'Xenova/all-MiniLM-L6-v2', description: 'faster, weaker — downloaded once from the Hugging Face hub', value: 'Xenova/all-MiniLM-L6-v2' },
      { label: BUILT_IN_MODEL, description: 'Universal Sentence Encoder lite — offline, ships with the extension', value: BUILT_IN_MODEL },
      { label: '$(folder) Local model folder…', description: 'a transformers.js model on disk', value: '' },
    ],
    { title: 'Embedding model for the workspace index' },
  );
  if (!pick) return;
  let value = pick.value;
  if (!value) {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' });
    if (!folder?.[0]) return;
    value = folder[0].fsPath;
  }
  s.indexService.dropIndex(); // dropped first, so the settings change below asks no "rebuild?": this builds
  await updateSetting('embeddingModel', value);
  await s.indexService.build();
};
