import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CommandFactory } from './registry';
import { plainMessageText } from '../safe-markdown';

/** The Eval Set view's item actions: each takes the tree node it was invoked on. */
export const deleteJudgment: CommandFactory = (s) => (n: { query: { id: string }; index: number }) => s.evalSet.removeJudgment(n.query.id, n.index);

export const deleteQuery: CommandFactory = (s) => async (n: { query: { id: string; text: string } }) => {
  const ok = await vscode.window.showWarningMessage(plainMessageText(`Delete the query "${n.query.text}" and all its judgments?`), { modal: true }, 'Delete');
  if (ok === 'Delete') s.evalSet.removeQuery(n.query.id);
};

export const toggleSplit: CommandFactory = (s) => (n: { query: { id: string; split: 'eval' | 'train' } }) => s.evalSet.setSplit(n.query.id, n.query.split === 'eval' ? 'train' : 'eval');

export const openEvalSetFile: CommandFactory = (s) => async () => {
  if (s.evalSet.filePath && fs.existsSync(s.evalSet.filePath)) await vscode.window.showTextDocument(vscode.Uri.file(s.evalSet.filePath));
};
