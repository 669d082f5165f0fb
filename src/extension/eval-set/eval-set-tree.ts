import * as vscode from 'vscode';
import type { EvalQuery, Judgment } from '../../core/eval/evalset-types';
import { chunkQrels } from '../../core/eval/chunk-relevance';
import { readConfig } from '../config';
import type { EvalSetService } from './eval-set-service';
import type { IndexService } from '../indexing/index-service';
import { describeHoles, type PoolItem } from '../../core/eval/pool';
import { cachedJudgeLabels, describeQueryValue } from '../../core/judge/queue-order';
import { agreementBadge, queueEntryDescription } from '../../core/judge/queue-text';
import { poolItemKey, type JudgingQueue, type PoolItemNode, type PoolQueryNode } from './judging-queue';
import { markdownCodeBlock, md, safeMarkdown } from '../safe-markdown';
import { plural } from '../../protocol/words';
import { buildRow, infoItem, labelsProblemRow, poolInfo, type InfoNode } from './judging-rows';
import { labelsNeededRow, latestReadiness, type LatestReadiness } from './labels-needed-row';

type Node =
  | { kind: 'query'; query: EvalQuery }
  | { kind: 'judgment'; query: EvalQuery; judgment: Judgment; index: number }
  | { kind: 'queue'; query: EvalQuery }
  | { kind: 'unjudged'; query: EvalQuery; chunkId: string; docId: string; start: number; end: number; preview: string; rank: number }
  | { kind: 'pool' }
  | PoolQueryNode
  | PoolItemNode
  | InfoNode;

/** The Eval Set view: queries → judgments (grade, split, stale flags), plus a queue of unjudged chunks in the top K. */
export class EvalSetTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;

  private readonly poolNode: Node = { kind: 'pool' };

  constructor(
    private readonly evalSet: EvalSetService,
    private readonly indexService: IndexService,
    private readonly queue?: JudgingQueue,
    /** The latest readiness report's "how many labels are enough" (labels-needed-row.ts): a row, redrawn when a report arrives. */
    private readonly readiness: LatestReadiness = latestReadiness,
  ) {
    this.sub = vscode.Disposable.from(
      evalSet.onDidChange(() => this.emitter.fire(undefined)),
      readiness.onDidChange(() => this.emitter.fire(undefined)),
      indexService.onDidChange(() => this.emitter.fire(undefined)),
      ...(queue ? [queue.onDidChange(() => this.emitter.fire(undefined))] : []),
    );
  }

  /** The tree node of a pooled passage (for TreeView.reveal). */
  poolItemNode(item: PoolItem): PoolItemNode {
    return { kind: 'pool-item', item };
  }

  getParent(n: Node): Node | undefined {
    if (n.kind === 'pool-item') return { kind: 'pool-query', queryId: n.item.queryId, text: n.item.queryText };
    return n.kind === 'pool-query' ? this.poolNode : undefined;
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'info') return infoItem(n);
    if (n.kind === 'pool') {
      const pool = this.queue?.pool;
      const left = this.queue?.items().length ?? 0;
      const item = new vscode.TreeItem(`Judging queue: ${plural(left, 'pooled passage')}`, vscode.TreeItemCollapsibleState.Expanded);
      item.id = 'pool';
      item.iconPath = new vscode.ThemeIcon('inbox');
      item.contextValue = 'pool';
      if (pool) {
        item.description = `Hole@${pool.k}: ${pool.holes.map((h) => `${h.retriever} ${Math.round(100 * h.hole)}%`).join(' · ')}`;
        const badge = this.indexService.root ? agreementBadge(this.evalSet.queries(), cachedJudgeLabels(this.indexService.root).labels) : '';
        if (badge) item.description = `${item.description} · ${badge}`;
        // Retriever names come from the workspace's settings: escaped text in the tooltip.
        item.tooltip = safeMarkdown(
          md`The top ${pool.k} of every retriever, each unjudged passage once. Select one and press **0–3** to grade it (3 answers fully, 0 not relevant) or **S** to skip.\n\nHole@${pool.k} (share of each retriever's top ${pool.k} with no judgment): ${describeHoles(pool.holes)}`,
        );
      }
      return item;
    }
    if (n.kind === 'pool-query') {
      const left = this.queue?.items().filter((i) => i.queryId === n.queryId).length ?? 0;
      const item = new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `pq:${n.queryId}`;
      item.description = `${left} to judge`;
      const value = this.queue?.orderBy === 'value' ? this.queue.queryValue(n.queryId) : undefined;
      if (value) {
        // Why the query is up where it is, short enough for the side bar: "3 holes · disagree 0.67".
        item.description = describeQueryValue(value);
        item.tooltip = `Label next: ${plural(value.holes, 'pooled passage')} no human judged (holes), weighing ${value.weight.toFixed(2)} by the ranks the retrievers gave them; the retrievers' top ${this.queue?.pool?.k ?? ''} lists disagree ${value.disagreement.toFixed(2)} (1 − mean pairwise overlap). Value ${value.value.toFixed(2)}.`;
      }
      item.iconPath = new vscode.ThemeIcon('search');
      item.contextValue = 'pooledQuery';
      return item;
    }
    if (n.kind === 'pool-item') {
      const p = n.item;
      const preview = (p.text ?? '').replace(/\s+/g, ' ').trim();
      const item = new vscode.TreeItem(preview.length > 70 ? `${preview.slice(0, 70)}…` : preview || p.docId, vscode.TreeItemCollapsibleState.None);
      item.id = `p:${poolItemKey(p)}`;
      item.description = queueEntryDescription(p);
      // The query text, document id, retriever names and passage come from the workspace: escaped text and a code
      // block whose fence the passage cannot close, so `![x](http://…)` or `[x](command:…)` is shown, never rendered.
      item.tooltip = safeMarkdown(
        md`**Query:** ${p.queryText}\n\n**${p.docId}** \[${p.start}, ${p.end}) · ${p.hits.map((h) => `${h.retriever} #${h.rank}`).join(', ')}`,
        markdownCodeBlock((p.text ?? '').slice(0, 1200)),
        md`Press **0–3** to grade, **S** to skip.`,
      );
      item.contextValue = 'pooledPassage';
      item.iconPath = new vscode.ThemeIcon('circle-large-outline');
      item.accessibilityInformation = { label: `For query ${p.queryText}: ${preview.slice(0, 200)} in ${p.docId}. Press 0 to 3 to grade, S to skip.` };
      return item;
    }
    if (n.kind === 'query') {
      const item = new vscode.TreeItem(n.query.text, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `q:${n.query.id}`;
      const stale = n.query.judgments.filter((j) => this.isStale(j)).length;
      item.description = `${n.query.id} · ${n.query.split} · ${plural(n.query.judgments.length, 'judgment')}${stale ? ` · ${stale} stale` : ''}`;
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
      item.tooltip = n.judgment.note ? safeMarkdown(md`${n.judgment.note}`) : undefined;
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
    if (!n) {
      const queries = this.evalSet.queries();
      const head: Node[] = this.queue?.built ? [this.poolNode] : this.queue && queries.length ? [buildRow()] : [];
      // How many labels are enough, from the session's latest readiness report (or a row that runs it).
      if (queries.length) head.push(labelsNeededRow(this.readiness.get(this.indexService.root)));
      return [...head, ...queries.map((query): Node => ({ kind: 'query', query }))];
    }
    if (n.kind === 'pool') {
      const seen = new Map<string, Node>();
      for (const i of this.queue?.items() ?? []) if (!seen.has(i.queryId)) seen.set(i.queryId, { kind: 'pool-query', queryId: i.queryId, text: i.queryText });
      const problem = this.queue?.labelsProblem;
      return [...(problem ? [labelsProblemRow(problem)] : []), ...(this.queue ? poolInfo(this.queue, this.queue.pool) : []), ...seen.values()];
    }
    if (n.kind === 'pool-query') return (this.queue?.items() ?? []).filter((i) => i.queryId === n.queryId).map((item) => this.poolItemNode(item));
    if (n.kind === 'query') {
      const children: Node[] = n.query.judgments.map((judgment, index) => ({ kind: 'judgment', query: n.query, judgment, index }));
      if (this.indexService.index) children.push({ kind: 'queue', query: n.query });
      return children;
    }
    if (n.kind === 'queue') {
      const index = this.indexService.index;
      if (!index) return [];
      const k = readConfig().topK;
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
