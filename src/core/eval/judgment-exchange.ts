import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../io/input-error';
import { readJsonl } from '../corpus/jsonl';
import { writeFileAtomic } from '../io/atomic-write';
import { csvField, readCsvRecords, readTextLines } from '../io/text-lines';
import { documentQrels } from './chunk-relevance';
import type { EvalSetFile } from './evalset-file';
import type { EvalQuery, Grade } from './evalset-types';
import { matchKey } from './query-log';

/**
 * Judgment exchange with other relevance tools: Quepid-style CSV (`query,docid,rating`, the query by its text),
 * TREC qrels (`qid iter docno grade`) and BEIR qrels (`query-id<TAB>corpus-id<TAB>score`), imported into a
 * workspace eval set as document judgments.
 *
 * DOC_ID_RULE: a foreign document id names a workspace file when, after turning `\` into `/` and dropping a leading
 * `./`, it equals (1) a workspace path exactly, else (2) exactly one workspace path without its extension
 * ("docs/guides/retries" → docs/guides/retries.md), else (3) exactly one file's name, with or without extension
 * ("retries.md", "retries"). An id that matches several files at the first step that matches anything is ambiguous;
 * ambiguous and unknown ids are reported with their line numbers and never imported.
 */
export const DOC_ID_RULE = 'exact workspace path, else the one path without its extension, else the one file name (with or without extension); ambiguous or unknown ids are reported by line';

export type JudgmentFormat = 'quepid' | 'trec' | 'beir';

export interface JudgmentRow {
  line: number;
  /** TREC and BEIR name queries by id; Quepid by text. */
  query: { id: string } | { text: string };
  docRef: string;
  grade: number;
}

export type DocMapping = { docId: string; how: 'exact' | 'without extension' | 'file name' } | { error: string };

/** Maps foreign document ids to workspace paths by DOC_ID_RULE. */
export class DocIdMapper {
  private readonly exact = new Set<string>();
  private readonly noExt = new Map<string, string[]>();
  private readonly base = new Map<string, string[]>();

  constructor(docIds: Iterable<string>) {
    const push = (m: Map<string, string[]>, k: string, v: string) => {
      const list = m.get(k) ?? [];
      if (!list.includes(v)) list.push(v);
      m.set(k, list);
    };
    for (const id of docIds) {
      this.exact.add(id);
      const ext = path.posix.extname(id);
      if (ext) push(this.noExt, id.slice(0, -ext.length), id);
      const b = path.posix.basename(id);
      push(this.base, b, id);
      const bExt = path.posix.extname(b);
      if (bExt) push(this.base, b.slice(0, -bExt.length), id);
    }
  }

  map(ref: string): DocMapping {
    const id = ref.trim().replace(/\\/g, '/').replace(/^\.\//, '');
    if (!id) return { error: 'empty document id' };
    if (this.exact.has(id)) return { docId: id, how: 'exact' };
    for (const [m, how] of [
      [this.noExt, 'without extension'],
      [this.base, 'file name'],
    ] as const) {
      const hits = m.get(id);
      if (hits?.length === 1) return { docId: hits[0], how };
      if (hits && hits.length > 1) return { error: `document id "${ref}" is ambiguous: ${hits.slice(0, 5).join(', ')}${hits.length > 5 ? ', …' : ''}` };
    }
    return { error: `document id "${ref}" names no workspace file` };
  }
}

/** Reads a judgment file into rows; a malformed line throws InputError (file:line), so nothing half-imports. */
export async function readJudgmentRows(file: string, format: JudgmentFormat): Promise<JudgmentRow[]> {
  const rows: JudgmentRow[] = [];
  const grade = (raw: string, line: number, what: string): number => {
    const g = Number(raw);
    if (!raw.trim() || !Number.isFinite(g) || !Number.isInteger(g)) throw new InputError(file, line, `${what} "${raw}" is not an integer`);
    return g;
  };
  if (format === 'quepid') {
    let cols: { query: number; doc: number; rating: number } | undefined;
    for await (const r of readCsvRecords(readTextLines(file))) {
      if ('error' in r) throw new InputError(file, r.line, `malformed CSV: ${r.error}`);
      if (!r.raw.trim()) continue;
      if (!cols) {
        const h = r.fields.map((f) => f.trim().toLowerCase().replace(/[\s_-]+/g, ''));
        cols = { query: h.indexOf('query'), doc: h.indexOf('docid'), rating: h.indexOf('rating') };
        if (cols.query < 0 || cols.doc < 0 || cols.rating < 0) throw new InputError(file, r.line, `expected the header "query,docid,rating", got "${r.raw}"`);
        continue;
      }
      const width = Math.max(cols.query, cols.doc, cols.rating) + 1;
      if (r.fields.length < width) throw new InputError(file, r.line, `expected ${width} fields, got ${r.fields.length}`);
      const text = r.fields[cols.query].trim();
      if (!text) throw new InputError(file, r.line, 'empty query');
      rows.push({ line: r.line, query: { text }, docRef: r.fields[cols.doc], grade: grade(r.fields[cols.rating], r.line, 'rating') });
    }
    if (!cols) throw new InputError(file, 1, 'empty file: expected the header "query,docid,rating"');
    return rows;
  }
  let first = true;
  for await (const { text, line } of readTextLines(file)) {
    if (!text.trim()) continue;
    if (format === 'beir') {
      const f = text.trim().split('\t');
      if (first) {
        first = false;
        if (f[0] !== 'query-id' || f[1] !== 'corpus-id' || f[2] !== 'score') throw new InputError(file, line, 'expected the header "query-id<TAB>corpus-id<TAB>score"');
        continue;
      }
      if (f.length !== 3) throw new InputError(file, line, `expected 3 tab-separated fields, got ${f.length}`);
      rows.push({ line, query: { id: f[0] }, docRef: f[1], grade: grade(f[2], line, 'score') });
    } else {
      const f = text.trim().split(/\s+/);
      if (f.length !== 4) throw new InputError(file, line, `expected 4 fields "qid iter docno grade", got ${f.length}`);
      rows.push({ line, query: { id: f[0] }, docRef: f[2], grade: grade(f[3], line, 'grade') });
    }
  }
  if (format === 'beir' && first) throw new InputError(file, 1, 'empty file: expected the header "query-id<TAB>corpus-id<TAB>score"');
  return rows;
}

/**
 * Query texts for TREC/BEIR ids: BEIR queries.jsonl (`_id`, `text`), TREC topics (`<top>` blocks with `<num>` and
 * `<title>`), or a TSV of `id<TAB>text`.
 */
export async function readQueryTexts(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let head: string;
  try {
    head = fs.readFileSync(file, 'utf8').slice(0, 4096);
  } catch (e) {
    throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
  if (/^\s*\{/.test(head)) {
    for await (const { value, line } of readJsonl(file)) {
      const id = value._id ?? value.id;
      if (typeof id !== 'string' && typeof id !== 'number') throw new InputError(file, line, 'missing "_id"');
      if (typeof value.text !== 'string') throw new InputError(file, line, `"text" of query ${id} is not a string`);
      out.set(String(id), value.text);
    }
    return out;
  }
  if (/<top>/i.test(head)) {
    let num: string | undefined;
    let numLine = 0;
    let titleOpen = false;
    let title = '';
    const finish = (line: number) => {
      if (num === undefined) throw new InputError(file, line, '<top> without <num>');
      if (!title.trim()) throw new InputError(file, numLine, `topic ${num} has no <title>`);
      out.set(num, title.trim().replace(/\s+/g, ' '));
      num = undefined;
      title = '';
      titleOpen = false;
    };
    for await (const { text, line } of readTextLines(file)) {
      const n = /<num>\s*(?:Number:)?\s*([^<\s]+)/i.exec(text);
      if (n) {
        num = n[1];
        numLine = line;
      }
      const t = /<title>\s*(?:Topic:)?\s*(.*?)\s*(?:<\/title>|$)/i.exec(text);
      if (t) {
        title = t[1];
        titleOpen = !/<\/title>/i.test(text);
        continue;
      }
      if (/<\/top>/i.test(text)) finish(line);
      else if (titleOpen) {
        if (/^\s*<(desc|narr)>/i.test(text)) titleOpen = false;
        else title += ` ${text.trim()}`;
      }
    }
    return out;
  }
  for await (const { text, line } of readTextLines(file)) {
    if (!text.trim()) continue;
    const tab = text.indexOf('\t');
    if (tab < 1 || !text.slice(tab + 1).trim()) throw new InputError(file, line, 'expected "id<TAB>text" (or use BEIR queries.jsonl or TREC topics)');
    out.set(text.slice(0, tab).trim(), text.slice(tab + 1).trim());
  }
  return out;
}

export interface JudgmentImportSummary {
  file: string;
  format: JudgmentFormat;
  rows: number;
  added: number;
  updated: number;
  unchanged: number;
  queriesCreated: string[];
  /** Rows not imported: unknown/ambiguous document, or a query id with no text. */
  unmapped: Array<{ line: number; reason: string }>;
  /** Document ids mapped by a rule other than an exact path. */
  mappedLoosely: number;
  /** Grades outside 0–3 clamped into it (negative TREC grades → 0, above 3 → 3): count and first line. */
  clamped: { count: number; firstLine?: number };
}

/**
 * Adds rows to the eval set as document judgments. A query is found by id (TREC, BEIR) or by its match key (Quepid,
 * same folding as query logs); missing ones are created (source "import") when their text is known. A judgment of
 * the same document for the same query is replaced when the grade differs and left alone when it is the same, so
 * importing a file twice changes nothing.
 */
export function applyJudgmentRows(evalSet: EvalSetFile, rows: JudgmentRow[], docIds: Iterable<string>, options: { file: string; format: JudgmentFormat; queryTexts?: Map<string, string> }): JudgmentImportSummary {
  const mapper = new DocIdMapper(docIds);
  const s: JudgmentImportSummary = { file: options.file, format: options.format, rows: rows.length, added: 0, updated: 0, unchanged: 0, queriesCreated: [], unmapped: [], mappedLoosely: 0, clamped: { count: 0 } };
  const byText = new Map<string, string>();
  for (const q of evalSet.all()) if (!byText.has(matchKey(q.text))) byText.set(matchKey(q.text), q.id);
  const now = new Date().toISOString();
  for (const row of rows) {
    const m = mapper.map(row.docRef);
    if ('error' in m) {
      s.unmapped.push({ line: row.line, reason: m.error });
      continue;
    }
    let query: EvalQuery | undefined;
    if ('id' in row.query) {
      query = evalSet.get(row.query.id);
      if (!query) {
        const text = options.queryTexts?.get(row.query.id);
        if (!text?.trim()) {
          s.unmapped.push({ line: row.line, reason: `query "${row.query.id}" is not in the eval set and has no text${options.queryTexts ? ' in the queries file' : ': pass --queries'}` });
          continue;
        }
        query = { id: row.query.id, text: text.trim(), split: 'eval', judgments: [], source: 'import' };
        evalSet.upsert(query);
        s.queriesCreated.push(query.id);
      }
    } else {
      const id = byText.get(matchKey(row.query.text));
      query = id ? evalSet.get(id) : undefined;
      if (!query) {
        query = { id: evalSet.nextId(), text: row.query.text.replace(/\s+/g, ' ').trim(), split: 'eval', judgments: [], source: 'import' };
        evalSet.upsert(query);
        byText.set(matchKey(query.text), query.id);
        s.queriesCreated.push(query.id);
      }
    }
    if (m.how !== 'exact') s.mappedLoosely++;
    const g = Math.max(0, Math.min(3, row.grade)) as Grade;
    if (g !== row.grade) {
      s.clamped.count++;
      s.clamped.firstLine ??= row.line;
    }
    const prior = query.judgments.find((j) => j.target.type === 'document' && j.target.docId === m.docId);
    if (prior && prior.grade === g) {
      s.unchanged++;
      continue;
    }
    evalSet.addJudgment(query.id, { grade: g, target: { type: 'document', docId: m.docId }, note: `imported from ${path.basename(options.file)}`, createdAt: now });
    if (prior) s.updated++;
    else s.added++;
  }
  return s;
}

export function describeJudgmentImport(s: JudgmentImportSummary, maxUnmapped = 20): string[] {
  const out = [
    `${s.file} (${s.format}): ${s.rows} judgments read; ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.unmapped.length} not imported; ${s.queriesCreated.length} queries created`,
  ];
  if (s.mappedLoosely) out.push(`${s.mappedLoosely} document ids matched a workspace file without extension or by file name`);
  if (s.clamped.count) out.push(`${s.clamped.count} grades outside 0–3 clamped into it (first on line ${s.clamped.firstLine})`);
  for (const u of s.unmapped.slice(0, maxUnmapped)) out.push(`not imported ${s.file}:${u.line}: ${u.reason}`);
  if (s.unmapped.length > maxUnmapped) out.push(`… and ${s.unmapped.length - maxUnmapped} more lines not imported`);
  return out;
}

/**
 * Quepid-style CSV: `query,docid,rating`, one row per judged document (a document takes the highest grade among its
 * span and document judgments, as document-level qrels do), queries by text.
 */
export function writeQuepidCsv(file: string, queries: EvalQuery[]): number {
  const qrels = documentQrels(queries);
  const rows = ['query,docid,rating'];
  for (const q of queries) for (const [doc, g] of qrels.get(q.id) ?? []) rows.push([q.text, doc, String(g)].map(csvField).join(','));
  writeFileAtomic(file, rows.join('\n') + '\n');
  return rows.length - 1;
}
