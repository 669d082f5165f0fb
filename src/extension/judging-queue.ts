import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Grade } from '../core/eval/evalset-types';
import { DEFAULT_TRAIN_SHARE, describeQueryLogImport, type SampleStrategy } from '../core/eval/query-log';
import type { EvalQuery } from '../core/eval/evalset-types';
import { buildPool, describeHoles, judgingOrder, localRankings, type NamedRanking, type Pool, type PoolItem } from '../core/eval/pool';
import type { WorkspaceIndex } from '../core/index/workspace-index';
import type { RetrieverName } from '../core/retrieve/types';
import type { EvalSetService } from './eval-set-service';
import type { IndexService } from './index-service';

/** The pool key of a passage for a query: a skipped passage stays skipped while the session lasts. */
export function poolItemKey(item: PoolItem): string {
  return `${item.queryId}\u0000${item.docId}\u0000${item.start}`;
}

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
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly evalSet: EvalSetService,
    private readonly indexService: IndexService,
    /** The configured external retrievers' top K (consent-gated by the caller); none when absent. */
    private readonly externalRankings?: (index: WorkspaceIndex, queries: EvalQuery[], k: number) => Promise<NamedRanking[]>,
  ) {
    this.sub = evalSet.onDidChange(() => void this.refresh());
  }

  get built(): boolean {
    return !!this.rankings;
  }

  /** Items still to judge (skipped ones left out). */
  items(): PoolItem[] {
    return (this.pool?.items ?? []).filter((i) => !this.skipped.has(poolItemKey(i)));
  }

  async build(k: number): Promise<Pool | undefined> {
    const index = await this.indexService.ensureIndex();
    if (!index) return undefined;
    const retrievers: RetrieverName[] = index.embedder ? ['keyword', 'dense', 'hybrid'] : ['keyword'];
    const queries = judgingOrder(this.evalSet.queries());
    this.k = k;
    this.skipped.clear();
    this.order = queries.map((q) => q.id);
    const { rankings } = await localRankings(index, queries, retrievers, k);
    this.local = retrievers;
    this.rankings = [...rankings, ...((await this.externalRankings?.(index, queries, k)) ?? [])];
    this.pool = buildPool(queries, rankings, k);
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
      const { rankings } = await localRankings(index, fresh, this.local, this.k);
      const external = this.rankings.length > this.local.length ? ((await this.externalRankings?.(index, fresh, this.k)) ?? []) : [];
      for (const r of [...rankings, ...external]) for (const [qid, hits] of r.results) this.rankings.find((x) => x.retriever === r.retriever)?.results.set(qid, hits);
      this.order.push(...fresh.map((q) => q.id));
    }
    this.pool = buildPool(queries, this.rankings, this.k);
    this.emitter.fire();
  }

  skip(item: PoolItem): void {
    this.skipped.add(poolItemKey(item));
    this.emitter.fire();
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

/** Shows a pooled passage in the editor without taking focus from the queue (so the next keystroke judges). */
async function previewPassage(indexService: IndexService, item: PoolItem): Promise<void> {
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

/**
 * Commands of the judging queue: build it, judge the selected passage 0–3 (keys 0–3 while the Eval Set view has
 * focus and a pooled passage is selected), skip it (S), and import a query log. A judgment is a span label of the
 * passage, exactly like Mark Relevant.
 */
export function registerJudgingQueue(
  queue: JudgingQueue,
  view: vscode.TreeView<unknown>,
  nodeFor: (item: PoolItem) => PoolItemNode,
  deps: { evalSet: EvalSetService; indexService: IndexService; log: vscode.LogOutputChannel },
): vscode.Disposable[] {
  const { evalSet, indexService, log } = deps;
  const asItem = (n: unknown): PoolItem | undefined => ((n as { kind?: string } | undefined)?.kind === 'pool-item' ? (n as PoolItemNode).item : undefined);
  /**
   * The passage last selected (or moved to after a judgment). TreeView.selection can be empty for a moment while a
   * refresh replaces the judged row, so a key pressed then still grades the passage the user sees selected.
   */
  let current: PoolItem | undefined;
  const selected = (arg?: unknown): PoolItem | undefined => {
    const queued = new Set(queue.items().map(poolItemKey));
    if (arg !== undefined) return [asItem(arg)].find((i) => i && queued.has(poolItemKey(i)));
    return [asItem(view.selection[0]), current].find((i) => i && queued.has(poolItemKey(i)));
  };
  /** After judging or skipping, select the passage that took its place so the next key judges it. */
  const advance = async (position: number) => {
    const items = queue.items();
    const next = items[Math.min(position, items.length - 1)];
    if (!next) return;
    current = next;
    await vscode.commands.executeCommand('setContext', 'retrievalLens.pooledItemSelected', true);
    await view.reveal(nodeFor(next), { select: true, focus: true });
  };
  const topK = () => vscode.workspace.getConfiguration('retrievalLens').get<number>('topK', 10);
  return [
    view.onDidChangeSelection((e) => {
      // A refresh that removes the judged passage clears the selection for a moment before the next one is
      // selected: keep the keys live through it (with nothing selected they do nothing).
      if (!e.selection.length) return;
      const item = asItem(e.selection[0]);
      current = item;
      void vscode.commands.executeCommand('setContext', 'retrievalLens.pooledItemSelected', !!item);
      if (item) void previewPassage(indexService, item).catch((err: unknown) => log.warn(`cannot show ${item.docId}: ${err instanceof Error ? err.message : err}`));
    }),
    vscode.commands.registerCommand('retrievalLens.buildJudgingQueue', async () => {
      const pool = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: pooling the top K of every retriever' }, () => queue.build(topK()));
      if (!pool) return undefined;
      log.info(`judging queue: ${pool.items.length} passages over ${pool.queries} queries; Hole@${pool.k}: ${describeHoles(pool.holes)}`);
      await advance(0);
      return { items: pool.items.length, holes: pool.holes };
    }),
    vscode.commands.registerCommand('retrievalLens.judgePooled', async (grade: Grade, arg?: unknown) => {
      const item = selected(arg);
      const index = indexService.index;
      log.debug(`judgePooled ${grade}: ${item ? `${item.docId} [${item.start}, ${item.end})` : 'no pooled passage selected'}`);
      if (!item || !index) return;
      const doc = index.getDocument(item.docId);
      if (!doc) return;
      const position = queue.items().findIndex((i) => poolItemKey(i) === poolItemKey(item));
      evalSet.label(item.queryId, item.docId, doc.text, item.start, item.end, grade);
      log.info(`judged pooled ${item.docId} [${item.start}, ${item.end}) grade ${grade} for ${item.queryId}`);
      await queue.refresh();
      await advance(Math.max(0, position));
    }),
    vscode.commands.registerCommand('retrievalLens.skipPooled', async (arg?: unknown) => {
      const item = selected(arg);
      if (!item) return;
      const position = queue.items().findIndex((i) => poolItemKey(i) === poolItemKey(item));
      queue.skip(item);
      await advance(Math.max(0, position));
    }),
    vscode.commands.registerCommand('retrievalLens.importQueryLog', async (fileArg?: string, optionsArg?: { sample?: number; strategy?: SampleStrategy; seed?: number; trainShare?: number }) => {
      let file = fileArg;
      if (!file) {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import Queries', title: 'Query log: JSONL, CSV or one query per line (gzip too)', filters: { 'Query logs': ['jsonl', 'ndjson', 'csv', 'txt', 'log', 'gz'], 'All files': ['*'] } });
        if (!picked?.[0]) return undefined;
        file = picked[0].fsPath;
      }
      let options = optionsArg;
      if (!options) {
        const strategy = await vscode.window.showQuickPick(
          [
            { label: 'top', description: 'the most frequent queries', value: 'top' as const },
            { label: 'proportional', description: 'frequency-proportional random sample (representative of traffic)', value: 'proportional' as const },
            { label: 'random', description: 'uniform random sample of distinct queries (reaches the long tail)', value: 'random' as const },
          ],
          { title: 'Sample which queries?' },
        );
        if (!strategy) return undefined;
        const sample = await vscode.window.showInputBox({ title: 'How many queries?', prompt: 'Empty imports every distinct query', value: '50', validateInput: (v) => (!v.trim() || (Number.isInteger(Number(v)) && Number(v) > 0) ? undefined : 'A positive whole number, or empty for all') });
        if (sample === undefined) return undefined;
        const share = await vscode.window.showInputBox({ title: 'Share for the train split', prompt: 'The rest are eval queries; the split follows from each query, so re-imports agree', value: String(DEFAULT_TRAIN_SHARE), validateInput: (v) => (Number(v) >= 0 && Number(v) <= 1 && v.trim() !== '' ? undefined : 'A number from 0 to 1') });
        if (share === undefined) return undefined;
        options = { strategy: strategy.value, sample: sample.trim() ? Number(sample) : undefined, seed: 1, trainShare: Number(share) };
      }
      try {
        const summary = await evalSet.importQueryLog(file, options);
        const lines = describeQueryLogImport(summary, 200);
        for (const l of lines) log.info(l);
        if (queue.built) await queue.refresh();
        void vscode.window
          .showInformationMessage(`Retrieval Lens: added ${summary.added.length} queries from ${path.basename(file)} — ${summary.linesRead} lines read, ${summary.unique} unique, ${summary.merged} merged, ${summary.skipped.length} skipped, ${summary.alreadyPresent.length} already there.`, 'Show Details', 'Build Judging Queue')
          .then((a) => {
            if (a === 'Show Details') log.show();
            if (a === 'Build Judging Queue') void vscode.commands.executeCommand('retrievalLens.buildJudgingQueue');
          });
        return summary;
      } catch (e) {
        void vscode.window.showErrorMessage(`Retrieval Lens: ${e instanceof Error ? e.message : e}`);
        return undefined;
      }
    }),
  ];
}
