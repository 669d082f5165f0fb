import * as vscode from 'vscode';
import type { Grade } from '../../core/eval/evalset-types';
import type { Services } from '../services';
import type { CommandFactory } from './registry';
import { escapeThemeIcons, plainMessageText } from '../safe-markdown';

/**
 * "Mark Relevant" / "Mark Irrelevant": the selection in the editor becomes a span label for a query picked from the
 * eval set (the active one first) or typed as a new one, with a grade picked unless the command was given one.
 */
export const markRelevant: CommandFactory = (s) => (grade?: Grade) => labelSelection(s, grade);
export const markIrrelevant: CommandFactory = (s) => () => labelSelection(s, 0);

function selectionTarget(s: Services): { editor: vscode.TextEditor; docId: string; start: number; end: number } | undefined {
  const editor = vscode.window.activeTextEditor;
  const docId = editor && s.indexService.relPath(editor.document.uri);
  if (!editor || !docId || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('Select the text that answers the query, then run this command.');
    return undefined;
  }
  return { editor, docId, start: editor.document.offsetAt(editor.selection.start), end: editor.document.offsetAt(editor.selection.end) };
}

/** Recent (active) query first, then the rest, then "New query…". */
async function pickQuery(s: Services): Promise<{ id?: string; text: string } | undefined> {
  const queries = s.evalSet.queries();
  const active = s.evalSet.activeQueryId;
  // Quick pick labels and descriptions render `$(name)` as an icon: query texts and ids are shown as written.
  const items: Array<vscode.QuickPickItem & { id?: string; text?: string }> = [
    ...queries.filter((q) => q.id === active).map((q) => ({ label: escapeThemeIcons(q.text), description: escapeThemeIcons(`${q.id} · ${q.split} · active`), id: q.id, text: q.text })),
    ...queries.filter((q) => q.id !== active).reverse().map((q) => ({ label: escapeThemeIcons(q.text), description: escapeThemeIcons(`${q.id} · ${q.split}`), id: q.id, text: q.text })),
    { label: '$(add) New query…', alwaysShow: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Mark relevant for which query?', placeHolder: 'Type to filter queries', matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.id) return { id: picked.id, text: picked.text ?? picked.label };
  const text = await vscode.window.showInputBox({ title: 'New query', prompt: 'The question a user would ask that this text answers', validateInput: (v) => (v.trim() ? undefined : 'Type a query') });
  return text ? { text } : undefined;
}

async function labelSelection(s: Services, gradeArg?: Grade): Promise<void> {
  const t = selectionTarget(s);
  if (!t) return;
  const q = await pickQuery(s);
  if (!q) return;
  let grade = gradeArg;
  if (grade === undefined) {
    const g = await vscode.window.showQuickPick(
      [
        { label: '3 — answers the query fully', grade: 3 as Grade },
        { label: '2 — answers it partly', grade: 2 as Grade },
        { label: '1 — related, useful context', grade: 1 as Grade },
        { label: '0 — not relevant', grade: 0 as Grade },
      ],
      { title: 'Relevance grade' },
    );
    if (!g) return;
    grade = g.grade;
  }
  try {
    const id = s.evalSet.ensureQuery(q.text, q.id);
    s.evalSet.label(id, t.docId, t.editor.document.getText(), t.start, t.end, grade);
    s.log.info(`labeled ${t.docId} [${t.start}, ${t.end}) grade ${grade} for ${id}`);
    void vscode.window.setStatusBarMessage(escapeThemeIcons(`Retrieval Lens: labeled grade ${grade} for "${q.text}"`), 4000);
  } catch (e) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${e instanceof Error ? e.message : e}`));
  }
}
