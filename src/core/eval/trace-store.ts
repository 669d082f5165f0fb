import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../io/input-error';
import { writeFileAtomic } from '../io/atomic-write';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import type { TraceDocument, TraceFeedback, TraceFormat } from './traces/trace-model';

/**
 * A recorded production run: what production served for each imported trace, kept in the workspace at
 * `.retrieval-lens/traces/<name>/run.jsonl` (never sent anywhere). Line 1 is the header, then one trace per line:
 *
 *   {"kind":"retrieval-lens.recorded-run","version":1,"name":"prod","updatedAt":"…","sources":[{"file","format","importedAt","traces","answersDropped"}]}
 *   {"traceId":"…","query":"…","queryKey":"…","queryId":"log-…","timestamp":"…","retrieved":true,
 *    "documents":[{"rank":1,"id":"…","path":"…","text":"…","score":0.8}],"answer":"…",
 *    "feedback":[{"name":"user","score":0,"label":"thumbs_down","comment":"…"}],"source":{"file":"…","line":3}}
 *
 * Re-importing a trace id replaces that trace's line; the others stay. Removing the folder removes the run.
 */
export const TRACES_DIR = path.join('.retrieval-lens', 'traces');
export const RECORDED_RUN_FILE = 'run.jsonl';
export const RECORDED_RUN_KIND = 'retrieval-lens.recorded-run';

export interface RecordedTrace {
  traceId: string;
  /** The query as the trace asked it (display form). */
  query: string;
  /** The match key of the eval-set query it was grouped under (after near-duplicate merging). */
  queryKey: string;
  /** The eval-set query it became or matched, when it was sampled. */
  queryId?: string;
  timestamp?: string;
  /** False when the trace records no retrieval step at all (then `documents` is empty). */
  retrieved: boolean;
  documents: TraceDocument[];
  answer?: string;
  feedback: TraceFeedback[];
  source: { file: string; line?: number; path?: string };
}

export interface RecordedRunHeader {
  kind: typeof RECORDED_RUN_KIND;
  version: 1;
  name: string;
  updatedAt: string;
  sources: Array<{ file: string; format: TraceFormat; importedAt: string; traces: number; answersDropped: boolean }>;
  /** How served ids become workspace documents (the `documentId` rule of external retrievers); absent: path, else id. */
  documentId?: DocumentIdRule;
}

export interface RecordedRun {
  file: string;
  header: RecordedRunHeader;
  traces: RecordedTrace[];
}

/** Names usable as `trace:<name>`: letters, digits, `-`, `_`, `.` (not leading). */
export function checkRunName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) throw new Error(`trace run name "${name}": use letters, digits, "-", "_" or "." (up to 64, not starting with a dot)`);
}

export function recordedRunFile(workspace: string, name: string): string {
  checkRunName(name);
  return path.join(workspace, TRACES_DIR, name, RECORDED_RUN_FILE);
}

/** The names of the recorded runs in a workspace. */
export function recordedRunNames(workspace: string): string[] {
  const dir = path.join(workspace, TRACES_DIR);
  try {
    return fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, RECORDED_RUN_FILE))).sort();
  } catch {
    return [];
  }
}

/** Reads a recorded run; a line that is not a recorded trace is an InputError naming the file and line. */
export function readRecordedRun(file: string): RecordedRun {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
  const lines = text.split('\n');
  let header: RecordedRunHeader | undefined;
  const traces: RecordedTrace[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      throw new InputError(file, i + 1, `invalid JSON: ${e instanceof Error ? e.message : e}`);
    }
    if (!header) {
      const h = v as RecordedRunHeader;
      if (h?.kind !== RECORDED_RUN_KIND || h.version !== 1) throw new InputError(file, i + 1, `not a recorded run (expected a header with kind "${RECORDED_RUN_KIND}", version 1)`);
      if (h.documentId !== undefined) {
        const problem = documentIdProblem(h.documentId);
        if (problem) throw new InputError(file, i + 1, `documentId: ${problem}`);
      }
      header = h;
      return;
    }
    const t = v as RecordedTrace;
    if (typeof t?.traceId !== 'string' || typeof t.query !== 'string' || typeof t.queryKey !== 'string' || !Array.isArray(t.documents) || !Array.isArray(t.feedback)) {
      throw new InputError(file, i + 1, 'not a recorded trace (needs traceId, query, queryKey, documents, feedback)');
    }
    traces.push(t);
  });
  if (!header) throw new InputError(file, 1, 'empty: no recorded-run header');
  return { file, header, traces };
}

/** Merges traces into the run (same trace id: replaced, in place; new ones appended) and writes it atomically. */
export function writeRecordedRun(file: string, name: string, traces: RecordedTrace[], source: RecordedRunHeader['sources'][number], documentId?: DocumentIdRule): RecordedRun {
  const before = fs.existsSync(file) ? readRecordedRun(file) : undefined;
  const byId = new Map((before?.traces ?? []).map((t) => [t.traceId, t]));
  for (const t of traces) byId.set(t.traceId, t);
  const sources = [...(before?.header.sources ?? []).filter((s) => s.file !== source.file), source];
  const rule = documentId ?? before?.header.documentId;
  const header: RecordedRunHeader = { kind: RECORDED_RUN_KIND, version: 1, name, updatedAt: source.importedAt, sources, ...(rule ? { documentId: rule } : {}) };
  const all = [...byId.values()];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${[header, ...all].map((x) => JSON.stringify(x)).join('\n')}\n`);
  return { file, header, traces: all };
}

/** Why a documentId rule is unusable, or undefined: `from` id|path, `pattern` a valid regular expression, `replace` a string. */
export function documentIdProblem(rule: unknown): string | undefined {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return 'must be an object { from?: "id"|"path", pattern?, replace? }';
  const r = rule as Record<string, unknown>;
  if (r.from !== undefined && r.from !== 'id' && r.from !== 'path') return `from must be "id" or "path", got ${JSON.stringify(r.from)}`;
  if (r.replace !== undefined && typeof r.replace !== 'string') return 'replace must be a string';
  if (r.pattern !== undefined) {
    if (typeof r.pattern !== 'string') return 'pattern must be a regular expression string';
    try {
      new RegExp(r.pattern);
    } catch (e) {
      return `pattern is not a valid regular expression: ${e instanceof Error ? e.message : e}`;
    }
  }
  return undefined;
}
