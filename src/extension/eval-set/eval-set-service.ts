import { plural } from '../../protocol/words';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EVALSET_PATH, EvalSetFile, type EvalSetConflict, type SaveResult } from '../../core/eval/evalset-file';
import { judgmentKey } from '../../core/eval/evalset-merge';
import type { EvalQuery, Grade, Judgment } from '../../core/eval/evalset-types';
import type { QueryLogImportOptions, QueryLogImportSummary } from '../../core/eval/query-log';
import { importQueryLog } from '../../core/eval/query-log-import';
import { importTraces, type TraceImportOptions, type TraceImportPlan } from '../../core/eval/trace-import';
import { makeSpanTarget, reanchor } from '../../core/eval/span-anchor';
import { plainMessageText } from '../safe-markdown';

/** The workspace eval set: loaded lazily, re-read when the file changes, written atomically on every label. */
export class EvalSetService implements vscode.Disposable {
  private file: EvalSetFile | undefined;
  private error: string | undefined;
  activeQueryId: string | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(private readonly root: string | undefined, private readonly log: vscode.LogOutputChannel) {
    if (root) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, EVALSET_PATH));
      const reload = () => {
        this.file = undefined;
        this.emitter.fire();
      };
      this.disposables.push(watcher, watcher.onDidChange(reload), watcher.onDidCreate(reload), watcher.onDidDelete(reload));
    }
  }

  get filePath(): string | undefined {
    return this.root && path.join(this.root, EVALSET_PATH);
  }

  /** The eval set, or an empty list plus a logged, shown error when the file is malformed (never thrown). */
  load(): EvalSetFile | undefined {
    if (this.file || !this.filePath) return this.file;
    try {
      this.file = EvalSetFile.load(this.filePath);
      this.error = undefined;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (msg !== this.error) {
        this.log.error(msg);
        void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${msg}`));
      }
      this.error = msg;
      this.file = undefined;
    }
    return this.file;
  }

  queries(): EvalQuery[] {
    return this.load()?.all() ?? [];
  }

  activeQuery(): EvalQuery | undefined {
    return this.activeQueryId ? this.load()?.get(this.activeQueryId) : undefined;
  }

  setActive(id: string | undefined): void {
    this.activeQueryId = id;
    this.emitter.fire();
  }

  /** Finds or creates the query with this text; returns its id. */
  ensureQuery(text: string, id?: string, split: 'eval' | 'train' = 'eval'): string {
    const f = this.load();
    if (!f) throw new Error(this.error ?? 'no workspace folder');
    const existing = (id && f.get(id)) || f.all().find((q) => q.text.trim() === text.trim());
    if (existing) return existing.id;
    const newId = f.nextId();
    f.upsert({ id: newId, text: text.trim(), split, judgments: [] });
    const r = this.save(f);
    this.emitter.fire();
    return r.renamed.get(newId) ?? newId;
  }

  /** Labels [start, end) of a document's text for a query (replacing an earlier label of the same span). */
  label(queryId: string, docId: string, docText: string, start: number, end: number, grade: Grade): Judgment {
    const f = this.load();
    if (!f) throw new Error(this.error ?? 'no workspace folder');
    const judgment: Judgment = { grade, target: makeSpanTarget(docId, docText, start, end), createdAt: new Date().toISOString() };
    f.addJudgment(queryId, judgment);
    this.save(f);
    this.activeQueryId = queryId;
    this.emitter.fire();
    return judgment;
  }

  removeJudgment(queryId: string, index: number): void {
    const f = this.load();
    if (!f) return;
    f.removeJudgment(queryId, index);
    this.save(f);
    this.emitter.fire();
  }

  removeQuery(queryId: string): void {
    const f = this.load();
    if (!f) return;
    f.removeQuery(queryId);
    this.save(f);
    this.emitter.fire();
  }

  setSplit(queryId: string, split: 'eval' | 'train'): void {
    const f = this.load();
    const q = f?.get(queryId);
    if (!f || !q) return;
    f.upsert({ ...q, split });
    this.save(f);
    this.emitter.fire();
  }

  /**
   * Every write goes through here: EvalSetFile.save merges with whatever another window or the CLI wrote since
   * this window read the file; a judgment both changed differently is shown with the choice, never decided silently.
   */
  private save(f: EvalSetFile): SaveResult {
    if (this.writeBlocked) {
      const why = this.writeBlocked();
      if (why) {
        this.file = undefined; // drop the unsaved change: the in-memory set matches the file again
        throw new Error(why);
      }
    }
    let r: SaveResult;
    try {
      r = f.save();
    } catch (e) {
      this.file = undefined; // what is in memory was not written: read the file again next time
      throw e;
    }
    if (r.merged) this.log.info(`eval set changed on disk since it was read (another window or the CLI): merged, ${plural(r.conflicts.length, 'conflict')}`);
    for (const c of r.conflicts) this.showConflict(c);
    return r;
  }

  /** Set by the extension: returns why the eval set may not be written now (an untrusted workspace), or undefined. */
  writeBlocked: (() => string | undefined) | undefined;

  private showConflict(c: EvalSetConflict): void {
    this.log.warn(`eval set conflict: ${c.message}`);
    const ours = c.ours && 'grade' in c.ours ? c.ours : undefined;
    const theirs = c.theirs && 'grade' in c.theirs ? c.theirs : undefined;
    const useMine = c.target ? (ours ? `Use grade ${ours.grade} (this window)` : 'Remove it (this window)') : undefined;
    const keep = c.target ? (theirs ? `Keep grade ${theirs.grade} (on disk)` : 'Keep it removed (on disk)') : 'Open Eval Set File';
    void vscode.window.showWarningMessage(plainMessageText(`Retrieval Lens: conflicting labels. ${c.message}`), ...(useMine ? [useMine] : []), keep).then((pick) => {
      if (pick === 'Open Eval Set File') void vscode.commands.executeCommand('retrievalLens.openEvalSetFile');
      if (pick !== useMine || !c.target) return;
      try {
        const f = this.load();
        const q = f?.get(c.queryId);
        if (!f || !q) return;
        const key = judgmentKey({ grade: 0, target: c.target });
        if (ours) f.addJudgment(c.queryId, ours);
        else f.upsert({ ...q, judgments: q.judgments.filter((j) => judgmentKey(j) !== key) });
        this.save(f);
        this.emitter.fire();
      } catch (e) {
        void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${e instanceof Error ? e.message : e}`));
      }
    });
  }

  /** Adds a query log's sampled queries (unjudged, source "log"); existing queries are never changed. */
  async importQueryLog(logFile: string, options: QueryLogImportOptions): Promise<QueryLogImportSummary> {
    const blocked = this.writeBlocked?.();
    if (blocked) throw new Error(blocked);
    const f = this.load();
    if (!f) throw new Error(this.error ?? 'no workspace folder');
    const summary = await importQueryLog(f, logFile, options);
    if (summary.added.length) this.emitter.fire();
    return summary;
  }

  /**
   * Adds production traces: their sampled queries (unjudged, source "trace") to the eval set and what production
   * served to the recorded run `trace:<name>` under .retrieval-lens/traces (nothing is sent anywhere).
   */
  async importTraces(traceFile: string, name: string, options: TraceImportOptions): Promise<TraceImportPlan & { runFile: string }> {
    const blocked = this.writeBlocked?.();
    if (blocked) throw new Error(blocked);
    const f = this.load();
    if (!f || !this.root) throw new Error(this.error ?? 'no workspace folder');
    const result = await importTraces(f, this.root, traceFile, name, options);
    // Also with no query added: the recorded run changed, and the views that list runs read it on this event.
    this.emitter.fire();
    return result;
  }

  /** Span labels of one document for the active query (or all queries), re-anchored to its current text. */
  labelsIn(docId: string, text: string, queryId = this.activeQueryId): Array<{ queryId: string; index: number; grade: number; start: number; end: number; status: string }> {
    const out: Array<{ queryId: string; index: number; grade: number; start: number; end: number; status: string }> = [];
    for (const q of this.queries()) {
      if (queryId && q.id !== queryId) continue;
      q.judgments.forEach((j, index) => {
        if (j.target.type !== 'span' || j.target.docId !== docId) return;
        const a = reanchor(j.target, text);
        out.push({ queryId: q.id, index, grade: j.grade, start: a.start, end: a.end, status: a.status });
      });
    }
    return out;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
