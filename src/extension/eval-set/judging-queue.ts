import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvalQuery } from '../../core/eval/evalset-types';
import { buildPool, judgingOrder, retrieverRanking, type NamedRanking, type Pool, type PoolItem } from '../../core/eval/pool';
import { LocalRetriever } from '../../core/retrieve/local-retriever';
import type { RetrievalIndex } from '../../core/retrieve/searchable-index';
import { HumanQueueOrder, queryRanking, queryValues, type QueryValue, type QueueEntry, type QueueOrder } from '../../core/judge/queue-order';
import { JUDGE_LABELS_PATH } from '../../core/judge/judge-labels';
import { plainMessageText } from '../safe-markdown';
import { availableRetrievers, type RetrieverName } from '../../core/retrieve/types';
import type { EvalSetService } from './eval-set-service';
import type { IndexService } from '../indexing/index-service';
import type { PooledRetriever } from '../retrievers/configured-retrievers';

/** The pool key of a passage for a query: a skipped passage stays skipped while the session lasts. */
export function poolItemKey(item: PoolItem): string {
  return `${item.queryId}\u0000${item.docId}\u0000${item.start}`;
}

/** A retriever the queue pools, with how its hits become workspace documents. */
/**
 * The pooled judging queue of the Eval Set view: the top K of every local retriever, and of every configured
 * external retriever the user agreed to send queries to, for every query, each unjudged passage once. Rankings are searched once when the queue is built (and for queries added later); a judgment only
 * recomputes the pool from them, so judging is instant.
 */
export class JudgingQueue implements vscode.Disposable {
  private rankings: NamedRanking[] | undefined;
  private local: RetrieverName[] = [];
  private k = 10;
  private readonly skipped = new Set<string>();
  private order: string[] = [];
  private refreshing: Promise<void> = Promise.resolve();
  pool: Pool | undefined;
  private readonly humanOrder = new HumanQueueOrder(() => this.indexService.root);
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;
  /** `query`: the pool's order; `value`: label next (judge/queue-order.ts, valueOrder), ranked when chosen or built. */
  orderBy: QueueOrder = 'query';
  private ranking: Map<string, number> | undefined;
  private values: { pool: Pool; values: Map<string, QueryValue> } | undefined;
  /** The unreadable labels file (path, mtime, size) last warned about: the same one is not warned about again. */
  private warnedProblem: string | undefined;
  private labelsWatcher: vscode.FileSystemWatcher | undefined;

  constructor(
    private readonly evalSet: EvalSetService,
    private readonly indexService: IndexService,
    /** The configured retrievers the user allowed (consent-gated by the caller), opened for one pass: the queue disposes them. */
    private readonly externalRetrievers?: (index: RetrievalIndex) => Promise<PooledRetriever[]>,
    /** Where a query a retriever could not answer, or hits that map to no document, are reported. */
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.sub = evalSet.onDidChange(() => void this.refresh());
  }

  get built(): boolean {
    return !!this.rankings;
  }

  /** Items still to judge (skipped ones left out): disagreements with the LLM judge first (judge/queue-order.ts). */
  items(): QueueEntry[] {
    if (this.orderBy === 'value' && this.pool && !this.ranking) this.ranking = queryRanking(this.pool);
    const out = this.humanOrder.order(this.pool, () => this.evalSet.queries(), this.orderBy === 'value' ? this.ranking : undefined).filter((i) => !this.skipped.has(poolItemKey(i)));
    this.reportProblem();
    return out;
  }

  /** Why the judge labels could not be read (file and line), while they cannot; the queue works without them. */
  get labelsProblem(): string | undefined {
    return this.humanOrder.problem;
  }

  /** An unreadable judge labels file: one warning per version of the file (a fix, or a new break, is a new one). */
  private reportProblem(): void {
    const key = this.humanOrder.problemKey;
    if (!key || key === this.warnedProblem) return;
    this.warnedProblem = key;
    const problem = this.humanOrder.problem ?? '';
    this.warn(`judging queue: judge labels not used: ${problem}`);
    void vscode.window.showWarningMessage(plainMessageText(`Retrieval Lens: judge labels not used: ${problem}. The queue shows no judge grades until the file is fixed.`));
  }

  /**
   * Orders the unjudged passages by value (label next) or by query. The value ranking is taken now and kept while
   * the session lasts, so the query being judged keeps its place as its holes are filled.
   */
  setOrder(order: QueueOrder): void {
    this.orderBy = order;
    this.ranking = order === 'value' && this.pool ? queryRanking(this.pool) : undefined;
    void vscode.commands.executeCommand('setContext', 'retrievalLens.judgingOrder', order);
    this.emitter.fire();
  }

  /** How many holes a pooled query has and how much its retrievers disagree (the value order's reasons). */
  queryValue(queryId: string): QueryValue | undefined {
    if (!this.pool) return undefined;
    if (this.values?.pool !== this.pool) this.values = { pool: this.pool, values: queryValues(this.pool) };
    return this.values.values.get(queryId);
  }

  /** Judge labels written by the CLI or by hand change the queue (and a broken file is reported) without a rebuild. */
  private watchLabels(): void {
    const root = this.indexService.root;
    if (this.labelsWatcher || !root) return;
    this.labelsWatcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), JUDGE_LABELS_PATH));
    const changed = () => this.emitter.fire();
    this.labelsWatcher.onDidChange(changed);
    this.labelsWatcher.onDidCreate(changed);
    this.labelsWatcher.onDidDelete(changed);
  }

  async build(k: number): Promise<Pool | undefined> {
    const index = await this.indexService.ensureIndex();
    if (!index) return undefined;
    const retrievers = availableRetrievers({ dense: !!index.embedder, rerank: false });
    const queries = judgingOrder(this.evalSet.queries());
    this.k = k;
    this.skipped.clear();
    this.order = queries.map((q) => q.id);
    this.local = retrievers;
    this.rankings = await this.rank(index, queries, true);
    this.pool = buildPool(queries, this.rankings, k);
    this.ranking = this.orderBy === 'value' ? queryRanking(this.pool) : undefined;
    this.watchLabels();
    this.emitter.fire();
    return this.pool;
  }

  /**
   * Recomputes the pool from the eval set, serialised (a judgment and the file watcher both ask for it). The query
   * order is fixed when the queue is built, so the query being judged keeps its place; queries added since are
   * searched and queued after it.
   */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.doRefresh()).catch(() => undefined);
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    if (!this.rankings) return;
    const all = this.evalSet.queries();
    const known = new Map(this.order.map((id, i) => [id, i]));
    const fresh = judgingOrder(all.filter((q) => !known.has(q.id)));
    const queries: EvalQuery[] = [...all.filter((q) => known.has(q.id)).sort((a, b) => (known.get(a.id) ?? 0) - (known.get(b.id) ?? 0)), ...fresh];
    const index = this.indexService.index;
    if (fresh.length && index) {
      const rankings = await this.rank(index, fresh, this.rankings.length > this.local.length);
      for (const r of rankings) for (const [qid, hits] of r.results) this.rankings.find((x) => x.retriever === r.retriever)?.results.set(qid, hits);
      this.order.push(...fresh.map((q) => q.id));
    }
    this.pool = buildPool(queries, this.rankings, this.k);
    this.emitter.fire();
  }

  /**
   * Every pooled retriever's top K for these queries, through the one contract: the index's own retrievers, then
   * (with `external`) the configured ones, each disposed after its pass.
   */
  private async rank(index: RetrievalIndex, queries: EvalQuery[], external: boolean): Promise<NamedRanking[]> {
    const pooled: PooledRetriever[] = [...this.local.map((name) => ({ retriever: new LocalRetriever(index, name) })), ...(external ? ((await this.externalRetrievers?.(index)) ?? []) : [])];
    const out: NamedRanking[] = [];
    for (const p of pooled) {
      try {
        const r = await retrieverRanking(p.retriever, queries, index.documents(), this.k, { documentId: p.documentId });
        // A recorded run answers only the queries production asked: the others are no failure worth a line each.
        if (p.retriever.kind === 'recorded') {
          if (r.failures.length) this.warn(`judging queue: "${p.retriever.name}" recorded ${queries.length - r.failures.length} of ${queries.length} queries; only those are pooled from it`);
        } else for (const f of r.failures) this.warn(f.error);
        if (r.unplaced) this.warn(`judging queue: ${r.unplaced} hits of "${p.retriever.name}" map to no workspace document and cannot be judged`);
        out.push(r.ranking);
      } catch (err) {
        this.warn(`judging queue: retriever "${p.retriever.name}" failed: ${err instanceof Error ? err.message : err}`);
      } finally {
        await p.retriever.dispose?.();
      }
    }
    return out;
  }

  skip(item: PoolItem): void {
    this.skipped.add(poolItemKey(item));
    this.emitter.fire();
  }

  dispose(): void {
    this.sub.dispose();
    this.labelsWatcher?.dispose();
    this.emitter.dispose();
  }
}

/** Shows a pooled passage in the editor without taking focus from the queue (so the next keystroke judges). */
export async function previewPassage(indexService: IndexService, item: PoolItem): Promise<void> {
  const root = indexService.root;
  if (!root) return;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(root, ...item.docId.split('/'))));
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: true, preview: true });
  const range = new vscode.Range(doc.positionAt(item.start), doc.positionAt(item.end));
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
}

export interface PoolItemNode {
  kind: 'pool-item';
  item: PoolItem;
}

export interface PoolQueryNode {
  kind: 'pool-query';
  queryId: string;
  text: string;
}
