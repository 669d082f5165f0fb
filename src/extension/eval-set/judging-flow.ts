import * as vscode from 'vscode';
import type { Grade } from '../../core/eval/evalset-types';
import { progressOf } from './judging-rows';
import { describeHoles, type PoolItem } from '../../core/eval/pool';
import { readConfig } from '../config';
import type { IndexService } from '../indexing/index-service';
import type { EvalSetService } from './eval-set-service';
import { poolItemKey, previewPassage, type JudgingQueue, type PoolItemNode } from './judging-queue';

/** What the judging flow works with (the services it needs, not the whole Services: no circle back to them). */
export interface JudgingDeps {
  evalSet: EvalSetService;
  indexService: IndexService;
  log: vscode.LogOutputChannel;
}

/**
 * The judging flow of the Eval Set view: build the pooled queue, judge the selected passage 0–3 (keys 0–3 while the
 * view has focus and a pooled passage is selected), skip it (S). A judgment is a span label of the passage, exactly
 * like Mark Relevant; after each, the passage that took its place is selected so the next key judges it.
 */
export class JudgingFlow implements vscode.Disposable {
  /**
   * The passage last selected (or moved to after a judgment). TreeView.selection can be empty for a moment while a
   * refresh replaces the judged row, so a key pressed then still grades the passage the user sees selected.
   */
  private current: PoolItem | undefined;
  private readonly sub: vscode.Disposable;

  constructor(
    readonly queue: JudgingQueue,
    private readonly view: vscode.TreeView<unknown>,
    private readonly nodeFor: (item: PoolItem) => PoolItemNode,
    private readonly s: JudgingDeps,
  ) {
    this.sub = view.onDidChangeSelection((e) => {
      // A refresh that removes the judged passage clears the selection for a moment before the next one is
      // selected: keep the keys live through it (with nothing selected they do nothing).
      if (!e.selection.length) return;
      const item = asItem(e.selection[0]);
      this.current = item;
      void vscode.commands.executeCommand('setContext', 'retrievalLens.pooledItemSelected', !!item);
      if (item) void previewPassage(s.indexService, item).catch((err: unknown) => s.log.warn(`cannot show ${item.docId}: ${err instanceof Error ? err.message : err}`));
    });
  }

  private selected(arg?: unknown): PoolItem | undefined {
    const queued = new Set(this.queue.items().map(poolItemKey));
    if (arg !== undefined) return [asItem(arg)].find((i) => i && queued.has(poolItemKey(i)));
    return [asItem(this.view.selection[0]), this.current].find((i) => i && queued.has(poolItemKey(i)));
  }

  /** After judging or skipping, select the passage that took its place so the next key judges it. */
  private async advance(position: number): Promise<void> {
    const items = this.queue.items();
    const next = items[Math.min(position, items.length - 1)];
    if (!next) return;
    this.current = next;
    await vscode.commands.executeCommand('setContext', 'retrievalLens.pooledItemSelected', true);
    await this.view.reveal(this.nodeFor(next), { select: true, focus: true });
  }

  async build() {
    const pool = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: pooling the top K of every retriever' }, () => this.queue.build(readConfig().topK));
    if (!pool) return undefined;
    progressOf(this.queue).start(pool.items.length);
    this.s.log.info(`judging queue: ${pool.items.length} passages over ${pool.queries} queries; Hole@${pool.k}: ${describeHoles(pool.holes)}`);
    await this.advance(0);
    return { items: pool.items.length, holes: pool.holes };
  }

  async judge(grade: Grade, arg?: unknown): Promise<void> {
    const item = this.selected(arg);
    const index = this.s.indexService.index;
    this.s.log.debug(`judgePooled ${grade}: ${item ? `${item.docId} [${item.start}, ${item.end})` : 'no pooled passage selected'}`);
    if (!item || !index) return;
    const doc = index.getDocument(item.docId);
    if (!doc) return;
    const position = this.queue.items().findIndex((i) => poolItemKey(i) === poolItemKey(item));
    this.s.evalSet.label(item.queryId, item.docId, doc.text, item.start, item.end, grade);
    this.s.log.info(`judged pooled ${item.docId} [${item.start}, ${item.end}) grade ${grade} for ${item.queryId}`);
    await this.queue.refresh();
    await this.advance(Math.max(0, position));
  }

  async skip(arg?: unknown): Promise<void> {
    const item = this.selected(arg);
    if (!item) return;
    const position = this.queue.items().findIndex((i) => poolItemKey(i) === poolItemKey(item));
    this.queue.skip(item);
    await this.advance(Math.max(0, position));
  }

  dispose(): void {
    this.sub.dispose();
  }
}

const asItem = (n: unknown): PoolItem | undefined => ((n as { kind?: string } | undefined)?.kind === 'pool-item' ? (n as PoolItemNode).item : undefined);
