import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../corpus/input-error';
import { writeFileAtomic } from '../io/atomic-write';
import type { EvalQuery, Grade, Judgment } from './evalset-types';

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
  private readonly eol: string;

  private constructor(readonly file: string, text: string) {
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
  }

  /** Loads the file; a missing file is an empty eval set. Malformed content throws InputError (file:line: problem). */
  static load(file: string): EvalSetFile {
    if (!fs.existsSync(file)) return new EvalSetFile(file, '');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
    }
    return new EvalSetFile(file, text);
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
    const same = (j: Judgment) => JSON.stringify(j.target) === JSON.stringify(judgment.target);
    this.upsert({ ...q, judgments: [...q.judgments.filter((j) => !same(j)), judgment] });
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

  /** Atomic write: temp file + fsync + rename. Untouched lines are written back byte for byte. */
  save(): void {
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
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, kept.length ? kept.join(this.eol) + this.eol : '');
    // Re-read positions from what was written.
    const fresh = new EvalSetFile(this.file, kept.length ? kept.join(this.eol) + this.eol : '');
    this.lines = fresh.lines;
    this.lineOf.clear();
    for (const [k, v] of fresh.lineOf) this.lineOf.set(k, v);
    this.dirty.clear();
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
  if (q.source !== undefined && q.source !== 'log' && q.source !== 'import') fail(`query ${q.id}: "source" must be "log" or "import", got ${JSON.stringify(q.source)}`);
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
