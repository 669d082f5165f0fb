import * as vscode from 'vscode';
import type { EvalQuery, Judgment } from '../core/eval/evalset-types';
import { chunkQrels } from '../core/eval/chunk-relevance';
import type { EvalSetService } from './eval-set-service';
import type { IndexService } from './index-service';

type Node =
  | { kind: 'query'; query: EvalQuery }
  | { kind: 'judgment'; query: EvalQuery; judgment: Judgment; index: number }
  | { kind: 'queue'; query: EvalQuery }
  | { kind: 'unjudged'; query: EvalQuery; chunkId: string; docId: string; start: number; end: number; preview: string; rank: number };

/** The Eval Set view: queries → judgments (grade, split, stale flags), plus a queue of unjudged chunks in the top K. */
export class EvalSetTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly evalSet: EvalSetService, private readonly indexService: IndexService) {
    this.sub = vscode.Disposable.from(evalSet.onDidChange(() => this.emitter.fire(undefined)), indexService.onDidChange(() => this.emitter.fire(undefined)));
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'query') {
      const item = new vscode.TreeItem(n.query.text, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `q:${n.query.id}`;
      const stale = n.query.judgments.filter((j) => this.isStale(j)).length;
      item.description = `${n.query.id} · ${n.query.split} · ${n.query.judgments.length} judgment(s)${stale ? ` · ${stale} stale` : ''}`;
      item.contextValue = 'query';
      item.iconPath = new vscode.ThemeIcon(n.query.split === 'eval' ? 'beaker' : 'mortar-board');
      item.command = { command: 'retrievalLens.inspectQuery', title: 'Inspect', arguments: [n.query.id] };
      return item;
    }
    if (n.kind === 'judgment') {
      const t = n.judgment.target;
      const quote = t.type === 'span' ? t.exact.replace(/\s+/g, ' ') : `(whole document)`;
      const item = new vscode.TreeItem(quote.length > 80 ? `${quote.slice(0, 80)}…` : quote, vscode.TreeItemCollapsibleState.None);
      item.id = `j:${n.query.id}:${n.index}`;
      const stale = this.isStale(n.judgment);
      item.description = `grade ${n.judgment.grade} · ${t.docId}${stale ? ' · stale' : ''}`;
      item.tooltip = n.judgment.note ?? undefined;
      item.contextValue = 'judgment';
      item.iconPath = new vscode.ThemeIcon(stale ? 'warning' : n.judgment.grade > 0 ? 'pass' : 'circle-slash');
      if (t.type === 'span') item.command = { command: 'retrievalLens.revealSpan', title: 'Reveal', arguments: [t.docId, t.start, t.end] };
      return item;
    }
    if (n.kind === 'queue') {
      const item = new vscode.TreeItem('To judge: unjudged chunks in the top K', vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `u:${n.query.id}`;
      item.iconPath = new vscode.ThemeIcon('inbox');
      return item;
    }
    const item = new vscode.TreeItem(`#${n.rank} ${n.preview}`, vscode.TreeItemCollapsibleState.None);
    item.description = n.docId;
    item.contextValue = 'unjudged';
    item.command = { command: 'retrievalLens.revealSpan', title: 'Reveal', arguments: [n.docId, n.start, n.end] };
    return item;
  }

  private isStale(j: Judgment): boolean {
    if (j.stale) return true;
    const doc = this.indexService.index?.getDocument(j.target.docId);
    return !!doc && j.target.type === 'span' && doc.text.slice(j.target.start, j.target.end) !== j.target.exact && !doc.text.includes(j.target.exact);
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (!n) return this.evalSet.queries().map((query) => ({ kind: 'query', query }));
    if (n.kind === 'query') {
      const children: Node[] = n.query.judgments.map((judgment, index) => ({ kind: 'judgment', query: n.query, judgment, index }));
      if (this.indexService.index) children.push({ kind: 'queue', query: n.query });
      return children;
    }
    if (n.kind === 'queue') {
      const index = this.indexService.index;
      if (!index) return [];
      const k = vscode.workspace.getConfiguration('retrievalLens').get<number>('topK', 10);
      const retriever = index.embedder ? 'hybrid' : 'keyword';
      const r = await index.search({ query: n.query.text, k, retrievers: [retriever], filter: n.query.filter, explain: false });
      const judged = chunkQrels([n.query], (d) => index.chunksOf(d)).get(n.query.id) ?? new Map();
      return (r.results[retriever] ?? [])
        .filter((h) => !judged.has(h.chunkId))
        .map((h) => {
          const c = index.getChunk(h.chunkId);
          return { kind: 'unjudged' as const, query: n.query, chunkId: h.chunkId, docId: h.docId, start: c?.start ?? 0, end: c?.end ?? 0, preview: (c?.text ?? '').replace(/\s+/g, ' ').slice(0, 70), rank: h.rank };
        });
    }
    return [];
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
