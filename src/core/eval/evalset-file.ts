import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../io/input-error';
import { removeStaleTemps, withFileLock, writeFileAtomic } from '../io/atomic-write';
import { judgmentKey, mergeEvalSets, type EvalSetConflict } from './evalset-merge';
import type { EvalQuery, Grade, Judgment } from './evalset-types';

export type { EvalSetConflict } from './evalset-merge';

/** What a save did beyond writing this writer's changes. */
export interface SaveResult {
  /** True when the file had changed on disk since it was read, and the changes were merged judgment by judgment. */
  merged: boolean;
  /** Judgments (or queries) both writers changed differently: the disk's version was kept. Show these to the user. */
  conflicts: EvalSetConflict[];
  /** Queries added here under an id another writer had taken meanwhile: old id -> the id written. */
  renamed: Map<string, string>;
}

/** Where a workspace keeps its eval set. */
export const EVALSET_PATH = '.retrieval-lens/evalset.jsonl';

/**
 * The eval set file: one EvalQuery JSON object per line (diff-friendly: a label changes one line). Blank lines and
 * lines starting with `//` or `#` are comments and are kept. Saving rewrites only the lines of queries that changed,
 * keeps every other byte as the user wrote it, appends new queries, and replaces the file atomically.
 */
export class EvalSetFile {
  private lines: string[];
  private readonly lineOf = new Map<string, number>();
  private readonly queries = new Map<string, EvalQuery>();
  private readonly dirty = new Set<string>();
  private eol: string;
  /** The file's text when last read or written, and its queries then: the base of a three-way merge. */
  private baseText: string;
  private base: EvalQuery[];

  private constructor(readonly file: string, text: string) {
    this.baseText = text;
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    this.lines = text.length ? text.split(/\r?\n/) : [];
    if (this.lines.length && this.lines[this.lines.length - 1] === '') this.lines.pop();
    this.lines.forEach((line, i) => {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('//') || trimmed.startsWith('#')) return;
      const q = parseQueryLine(file, i + 1, trimmed);
      if (this.queries.has(q.id)) throw new InputError(file, i + 1, `duplicate query id "${q.id}" (first on line ${(this.lineOf.get(q.id) ?? 0) + 1})`);
      this.queries.set(q.id, q);
      this.lineOf.set(q.id, i);
    });
    this.base = clone([...this.queries.values()]);
  }

  /** Loads the file; a missing file is an empty eval set. Malformed content throws InputError (file:line: problem). */
  static load(file: string): EvalSetFile {
    return new EvalSetFile(file, readText(file));
  }

  static forWorkspace(root: string): EvalSetFile {
    return EvalSetFile.load(path.join(root, EVALSET_PATH));
  }

  all(): EvalQuery[] {
    return [...this.queries.values()];
  }

  get(id: string): EvalQuery | undefined {
    return this.queries.get(id);
  }

  /** Adds or replaces a query. */
  upsert(query: EvalQuery): void {
    validateQuery(this.file, undefined, query);
    this.queries.set(query.id, query);
    this.dirty.add(query.id);
  }

  /** A fresh id like q12 not used yet. */
  nextId(): string {
    let n = this.queries.size + 1;
    while (this.queries.has(`q${n}`)) n++;
    return `q${n}`;
  }

  addJudgment(queryId: string, judgment: Judgment): void {
    const q = this.queries.get(queryId);
    if (!q) throw new Error(`no query ${queryId} in ${this.file}`);
    const key = judgmentKey(judgment);
    this.upsert({ ...q, judgments: [...q.judgments.filter((j) => judgmentKey(j) !== key), judgment] });
  }

  removeJudgment(queryId: string, index: number): void {
    const q = this.queries.get(queryId);
    if (!q || index < 0 || index >= q.judgments.length) throw new Error(`no judgment ${index} on query ${queryId}`);
    this.upsert({ ...q, judgments: q.judgments.filter((_, i) => i !== index) });
  }

  removeQuery(queryId: string): void {
    if (!this.queries.delete(queryId)) return;
    this.dirty.add(queryId);
  }

  /**
   * Writes this writer's changes, never losing another writer's. Under `<file>.lock` the file is read again; if it
   * changed since this object read it (another window, the CLI), the changes are merged judgment by judgment
   * (see mergeEvalSets) onto what is on disk, and conflicts are returned, not resolved silently. Only the lines of
   * queries that differ from the disk's are rewritten; every other byte is kept. The write is atomic and fsync'd
   * (temp file, fsync, rename, fsync of the folder). A file on disk that no longer parses is never overwritten:
   * the InputError naming its line is thrown instead.
   */
  save(): SaveResult {
    return withFileLock(this.file, () => {
      const result: SaveResult = { merged: false, conflicts: [], renamed: new Map() };
      const diskText = readText(this.file);
      if (diskText !== this.baseText) {
        const disk = new EvalSetFile(this.file, diskText);
        const m = mergeEvalSets(this.base, [...this.queries.values()], disk.all());
        result.merged = true;
        result.conflicts = m.conflicts;
        result.renamed = m.renamed;
        // Rebase onto the disk's lines: a query is rewritten only where the merge differs from the disk.
        const want = new Map(m.queries.map((q) => [q.id, q]));
        this.lines = disk.lines;
        this.eol = disk.eol;
        this.lineOf.clear();
        for (const [k, v] of disk.lineOf) this.lineOf.set(k, v);
        this.queries.clear();
        this.dirty.clear();
        for (const q of m.queries) {
          this.queries.set(q.id, q);
          if (JSON.stringify(disk.get(q.id)) !== JSON.stringify(q)) this.dirty.add(q.id);
        }
        for (const q of disk.all()) if (!want.has(q.id)) this.dirty.add(q.id);
      }
      if (!this.dirty.size && !result.merged) return result;
      const lines = [...this.lines];
      const removedLines = new Set<number>();
      for (const id of this.dirty) {
        const q = this.queries.get(id);
        const at = this.lineOf.get(id);
        if (at !== undefined) {
          if (q) lines[at] = JSON.stringify(q);
          else removedLines.add(at);
        } else if (q) {
          lines.push(JSON.stringify(q));
        }
      }
      const kept = lines.filter((_, i) => !removedLines.has(i));
      const text = kept.length ? kept.join(this.eol) + this.eol : '';
      if (text !== diskText) writeFileAtomic(this.file, text);
      removeStaleTemps(this.file);
      // Re-read positions from what was written; it is the base of the next save.
      const fresh = new EvalSetFile(this.file, text);
      this.lines = fresh.lines;
      this.lineOf.clear();
      for (const [k, v] of fresh.lineOf) this.lineOf.set(k, v);
      this.queries.clear();
      for (const q of fresh.all()) this.queries.set(q.id, q);
      this.dirty.clear();
      this.baseText = text;
      this.base = fresh.base;
      return result;
    });
  }
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** The file's text; a missing file is empty. */
function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
}

function parseQueryLine(file: string, line: number, text: string): EvalQuery {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, line, `invalid JSON: ${e instanceof Error ? e.message : e}`);
  }
  validateQuery(file, line, value);
  return value as EvalQuery;
}

/** Checks every field an EvalQuery needs; the message names the field. */
export function validateQuery(file: string, line: number | undefined, value: unknown): asserts value is EvalQuery {
  const fail = (problem: string): never => {
    throw new InputError(file, line, problem);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('expected a JSON object with id, text, split and judgments');
  const q = value as Record<string, unknown>;
  if (typeof q.id !== 'string' || !q.id.trim()) fail('"id" must be a non-empty string');
  if (typeof q.text !== 'string' || !q.text.trim()) fail(`query ${q.id}: "text" must be a non-empty string`);
  if (q.split !== 'train' && q.split !== 'eval') fail(`query ${q.id}: "split" must be "train" or "eval", got ${JSON.stringify(q.split)}`);
  if (q.filter !== undefined && (typeof q.filter !== 'object' || q.filter === null || Array.isArray(q.filter))) fail(`query ${q.id}: "filter" must be an object`);
  if (!Array.isArray(q.judgments)) fail(`query ${q.id}: "judgments" must be an array`);
  if (q.source !== undefined && !['log', 'trace', 'import', 'synthetic'].includes(q.source as string)) fail(`query ${q.id}: "source" must be "log", "trace", "import" or "synthetic", got ${JSON.stringify(q.source)}`);
  if (q.traces !== undefined && (!Array.isArray(q.traces) || !q.traces.every((t) => typeof t === 'string' && t))) fail(`query ${q.id}: "traces" must be an array of trace ids`);
  if (q.frequency !== undefined && (!Number.isInteger(q.frequency) || (q.frequency as number) < 1)) fail(`query ${q.id}: "frequency" must be a positive integer, got ${JSON.stringify(q.frequency)}`);
  (q.judgments as unknown[]).forEach((j, i) => {
    const where = `query ${q.id}, judgment ${i + 1}`;
    if (typeof j !== 'object' || j === null) fail(`${where}: expected an object`);
    const jj = j as Record<string, unknown>;
    if (!isGrade(jj.grade)) fail(`${where}: "grade" must be 0, 1, 2 or 3, got ${JSON.stringify(jj.grade)}`);
    const t = jj.target as Record<string, unknown> | undefined;
    if (!t || typeof t !== 'object') fail(`${where}: missing "target"`);
    const target = t as Record<string, unknown>;
    if (typeof target.docId !== 'string' || !target.docId) fail(`${where}: target.docId must be a non-empty string`);
    if (target.type === 'span') {
      if (!Number.isInteger(target.start) || !Number.isInteger(target.end) || (target.start as number) < 0 || (target.end as number) <= (target.start as number)) {
        fail(`${where}: span start/end must be integers with 0 <= start < end`);
      }
      if (typeof target.exact !== 'string' || !target.exact) fail(`${where}: span "exact" must be the quoted text`);
      if (typeof target.prefix !== 'string' || typeof target.suffix !== 'string') fail(`${where}: span "prefix" and "suffix" must be strings`);
    } else if (target.type !== 'document') {
      fail(`${where}: target.type must be "span" or "document", got ${JSON.stringify(target.type)}`);
    }
  });
}

function isGrade(g: unknown): g is Grade {
  return g === 0 || g === 1 || g === 2 || g === 3;
}
