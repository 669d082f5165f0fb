import * as vscode from 'vscode';
import type { Pool } from '../../core/eval/pool';
import { HOLE_EXPLAIN, plural } from '../../protocol/words';

/**
 * What the judging queue shows above its passages, as rows short enough for the default side bar width (a tree row
 * cannot wrap, so the header's content is spread over rows): progress ("3 of 446 judged"), the keys and what each
 * grade means, and Hole@K per retriever, updated as passages are graded. Before a queue is built, a labeled row
 * builds one.
 */
export interface InfoNode {
  kind: 'info';
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon: string;
  command?: vscode.Command;
}

/** How many pooled passages were judged since the queue was built. */
class Progress {
  total = 0;
  start(n: number): void {
    this.total = n;
  }
  /** Passages still in the pool are unjudged (skipped ones included); queries added later raise the total. */
  judged(pool: Pool): number {
    if (pool.items.length > this.total) this.total = pool.items.length;
    return this.total - pool.items.length;
  }
}

const progress = new WeakMap<object, Progress>();
export function progressOf(queue: object): Progress {
  let p = progress.get(queue);
  if (!p) progress.set(queue, (p = new Progress()));
  return p;
}

export const GRADE_KEYS = ['3 answers fully', '2 partly', '1 related', '0 not relevant'];

/** The rows over the pooled passages. */
export function poolInfo(queue: object, pool: Pool | undefined): InfoNode[] {
  if (!pool) return [];
  const judged = progressOf(queue).judged(pool);
  const total = progressOf(queue).total;
  return [
    { kind: 'info', id: 'info:progress', label: `${judged} of ${total} judged`, description: `${plural(pool.items.length, 'passage')} left`, icon: 'checklist', tooltip: `${judged} of the ${total} pooled passages judged since the queue was built.` },
    { kind: 'info', id: 'info:keys', label: 'Keys: 0–3 grade, S skips', icon: 'keyboard', tooltip: `Select a passage and press a key: ${GRADE_KEYS.join(', ')}; S skips it.` },
    { kind: 'info', id: 'info:keys-high', label: GRADE_KEYS.slice(0, 2).join(' · '), icon: 'blank' },
    { kind: 'info', id: 'info:keys-low', label: GRADE_KEYS.slice(2).join(' · '), icon: 'blank' },
    ...pool.holes.map((h): InfoNode => ({
      kind: 'info',
      id: `info:hole:${h.retriever}`,
      label: `Hole@${pool.k} ${h.retriever}: ${Math.round(100 * h.hole)}%`,
      description: `${h.unjudged}/${h.total} unjudged`,
      icon: 'circle-large-outline',
      tooltip: HOLE_EXPLAIN(pool.k),
    })),
  ];
}

/**
 * The row that says the judge labels file cannot be read ("judge labels unreadable" · "judge-labels.jsonl:3"), with
 * the whole message (file, line, what is wrong) in its tooltip; the queue goes on without judge grades.
 */
export function labelsProblemRow(problem: string): InfoNode {
  const at = /([^/\\]+?:\d+):/.exec(problem)?.[1] ?? /([^/\\]+\.jsonl)/.exec(problem)?.[1];
  return { kind: 'info', id: 'info:labels-problem', label: 'Judge labels unreadable', description: at ? `${at} · not used` : 'not used', icon: 'warning', tooltip: `${problem}\n\nThe queue shows no judge grades until the file is fixed (or removed with Remove All Judge Labels).` };
}

/** The labeled button of an unbuilt queue. */
export function buildRow(): InfoNode {
  return { kind: 'info', id: 'info:build', label: 'Build judging queue…', description: 'pooled top K of every retriever', icon: 'inbox', tooltip: 'Pool the top K of every retriever for every query, each unjudged passage once, and grade them with the keys 0–3.', command: { command: 'retrievalLens.buildJudgingQueue', title: 'Build Judging Queue' } };
}

export function infoItem(n: InfoNode): vscode.TreeItem {
  const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
  item.id = n.id;
  item.description = n.description;
  item.tooltip = n.tooltip;
  item.iconPath = new vscode.ThemeIcon(n.icon);
  item.contextValue = 'info';
  if (n.command) item.command = n.command;
  return item;
}
