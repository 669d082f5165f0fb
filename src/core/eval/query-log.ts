import { seededRandom } from './significance';
import * as crypto from 'node:crypto';
import { InputError } from '../io/input-error';
import { readCsvRecords, readTextLines } from '../io/text-lines';
import type { EvalQuery, Split } from './evalset-types';

/**
 * Query logs → unjudged eval-set queries.
 *
 * Reading: JSONL (one object per line, the query in `field`, default "query"), CSV (a header row naming the column,
 * default "query"; RFC 4180 quoting), or plain text (one query per line); gzip is detected by content.
 *
 * Matching: a query's match key is its text in Unicode NFC, lower-cased, with every run of whitespace folded to one
 * space and the ends trimmed. Lines with the same key are one query; the first spelling seen is kept for display
 * (NFC, whitespace folded).
 *
 * Near-duplicates (NEAR_DUPLICATE_RULE): two queries are merged when their loose keys (the match key with every
 * Unicode punctuation and symbol character removed and whitespace folded again) are equal, or when both loose keys
 * are at least 8 characters long, differ by exactly one edit (insert, delete, substitute, or swap of two adjacent
 * characters) and contain the same digits in the same order — so "pasword reset" joins "password reset" but
 * "QS-4091" never joins "QS-4092". Queries are visited from the most frequent down; each joins the most frequent
 * earlier representative it is near (never a chain of merges), and the merged query keeps the representative's
 * display text and the summed frequency.
 */
export const NEAR_DUPLICATE_RULE =
  'same loose key (punctuation and symbols removed), or loose keys of 8+ characters one edit apart (insert, delete, substitute, adjacent swap) with identical digits; merged into the more frequent query';

export type QueryLogFormat = 'jsonl' | 'csv' | 'text';
export type SampleStrategy = 'top' | 'random' | 'proportional';

export interface SkippedLine {
  line: number;
  reason: string;
}

export interface LogQuery {
  /** Display text: the first spelling of the most frequent variant. */
  text: string;
  /** Match key (NFC, case and whitespace folded). */
  key: string;
  /** Lines of the log this query (with its merged near-duplicates) accounts for. */
  frequency: number;
  /** The first line it appears on. */
  firstLine: number;
  /** Other spellings merged into it as near-duplicates (their display texts). */
  merged: string[];
}

export interface QueryLogRead {
  file: string;
  format: QueryLogFormat;
  /** Lines (or CSV records, header excluded) read. */
  linesRead: number;
  /** Lines that held a query. */
  queryLines: number;
  /** Distinct match keys. */
  unique: number;
  /** Distinct match keys folded into another query as near-duplicates. */
  merged: number;
  skipped: SkippedLine[];
  /** Queries after merging, most frequent first (ties: match key order). */
  queries: LogQuery[];
}

/** Longest query text kept; longer lines are skipped (they are pasted documents, not queries). */
export const MAX_QUERY_CHARS = 1000;

export function formatFromName(file: string): QueryLogFormat {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return 'jsonl';
  if (name.endsWith('.csv')) return 'csv';
  return 'text';
}

/** NFC, whitespace folded to single spaces, trimmed: the text shown. */
export function displayForm(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** NFC, lower case, whitespace folded: two lines with the same key are the same query. */
export function matchKey(text: string): string {
  return displayForm(text).toLowerCase().normalize('NFC');
}

/** The match key without punctuation and symbols: near-duplicates by punctuation share it. */
export function looseKey(text: string): string {
  return matchKey(text).replace(/[\p{P}\p{S}]+/gu, ' ').replace(/\s+/gu, ' ').trim();
}

/** Reads a query log into counted, merged queries with a line-numbered account of every skipped line. */
export async function readQueryLog(file: string, options: { format?: QueryLogFormat; field?: string } = {}): Promise<QueryLogRead> {
  const format = options.format ?? formatFromName(file);
  const field = options.field ?? 'query';
  const skipped: SkippedLine[] = [];
  const groups = new Map<string, { text: string; key: string; count: number; firstLine: number }>();
  let linesRead = 0;
  let queryLines = 0;
  const take = (raw: string, line: number) => {
    const text = displayForm(raw);
    if (!text) return skipped.push({ line, reason: 'empty query' });
    if (text.length > MAX_QUERY_CHARS) return skipped.push({ line, reason: `query longer than ${MAX_QUERY_CHARS} characters` });
    queryLines++;
    const key = matchKey(text);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { text, key, count: 1, firstLine: line });
  };

  if (format === 'csv') {
    let header: string[] | undefined;
    let column = -1;
    for await (const r of readCsvRecords(readTextLines(file))) {
      if (!header) {
        if ('error' in r) throw new InputError(file, r.line, `header: ${r.error}`);
        if (!r.raw.trim()) continue;
        header = r.fields.map((f) => f.trim());
        column = header.findIndex((h) => h.toLowerCase() === field.toLowerCase());
        if (column < 0) {
          if (header.length === 1 && options.field === undefined) column = 0;
          else throw new InputError(file, r.line, `no column "${field}" in the header (columns: ${header.join(', ')}); name it with --field`);
        }
        continue;
      }
      linesRead++;
      if ('error' in r) {
        skipped.push({ line: r.line, reason: `malformed CSV: ${r.error}` });
        continue;
      }
      if (!r.raw.trim()) {
        skipped.push({ line: r.line, reason: 'blank line' });
        continue;
      }
      if (r.fields.length !== header.length) {
        skipped.push({ line: r.line, reason: `malformed CSV: ${r.fields.length} fields, the header has ${header.length}` });
        continue;
      }
      take(r.fields[column], r.line);
    }
    if (!header) throw new InputError(file, 1, 'empty CSV: expected a header row naming the query column');
  } else {
    for await (const { text, line } of readTextLines(file)) {
      linesRead++;
      if (!text.trim()) {
        skipped.push({ line, reason: 'blank line' });
        continue;
      }
      if (format === 'text') {
        take(text, line);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        skipped.push({ line, reason: `invalid JSON: ${e instanceof Error ? e.message : e}` });
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        skipped.push({ line, reason: 'not a JSON object' });
        continue;
      }
      const v = getField(value as Record<string, unknown>, field);
      if (v === undefined || v === null) skipped.push({ line, reason: `no "${field}" field` });
      else if (typeof v !== 'string') skipped.push({ line, reason: `"${field}" is ${Array.isArray(v) ? 'an array' : typeof v}, not a string` });
      else take(v, line);
    }
  }

  const ordered = [...groups.values()].sort(byFrequency);
  const { queries, mergedKeys } = mergeNearDuplicates(ordered);
  return { file, format, linesRead, queryLines, unique: groups.size, merged: mergedKeys, skipped, queries };
}

/** A field by name, or a dotted path into nested objects ("request.q") when no field has the dotted name. */
function getField(obj: Record<string, unknown>, field: string): unknown {
  if (field in obj) return obj[field];
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function byFrequency(a: { count: number; key: string }, b: { count: number; key: string }): number {
  return b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** See NEAR_DUPLICATE_RULE. Input most frequent first; output keeps that order with summed frequencies. */
export function mergeNearDuplicates(groups: Array<{ text: string; key: string; count: number; firstLine: number }>): { queries: LogQuery[]; mergedKeys: number } {
  const reps: LogQuery[] = [];
  const byLoose = new Map<string, number>();
  /** Deletion variants of representatives' loose keys (8+ chars) → representative indexes, for one-edit lookups. */
  const byDeletion = new Map<string, number[]>();
  const looseOf: string[] = [];
  let mergedKeys = 0;
  for (const g of groups) {
    const loose = looseKey(g.text) || g.key;
    let rep = byLoose.get(loose);
    if (rep === undefined && [...loose].length >= 8) {
      const candidates = new Set<number>();
      for (const v of [loose, ...deletions(loose)]) for (const r of byDeletion.get(v) ?? []) candidates.add(r);
      rep = [...candidates].sort((a, b) => a - b).find((r) => oneEditApart(looseOf[r], loose) && digits(looseOf[r]) === digits(loose));
    }
    if (rep !== undefined) {
      reps[rep].frequency += g.count;
      reps[rep].merged.push(g.text);
      reps[rep].firstLine = Math.min(reps[rep].firstLine, g.firstLine);
      mergedKeys++;
      continue;
    }
    const i = reps.length;
    reps.push({ text: g.text, key: g.key, frequency: g.count, firstLine: g.firstLine, merged: [] });
    looseOf.push(loose);
    byLoose.set(loose, i);
    if ([...loose].length >= 8) {
      for (const v of [loose, ...deletions(loose)]) {
        const list = byDeletion.get(v) ?? [];
        list.push(i);
        byDeletion.set(v, list);
      }
    }
  }
  // Merging can reorder frequencies: sort again (stable on ties by key).
  reps.sort((a, b) => b.frequency - a.frequency || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { queries: reps, mergedKeys };
}

function deletions(s: string): string[] {
  const cs = [...s];
  const out = new Set<string>();
  for (let i = 0; i < cs.length; i++) out.add([...cs.slice(0, i), ...cs.slice(i + 1)].join(''));
  return [...out];
}

function digits(s: string): string {
  return s.replace(/\D+/g, '');
}

/** Exactly one insert, delete, substitution or adjacent transposition apart (code points). */
export function oneEditApart(aStr: string, bStr: string): boolean {
  const a = [...aStr];
  const b = [...bStr];
  if (aStr === bStr || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1).join('') === b.slice(i + 1).join('')) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2).join('') === b.slice(i + 2).join(''); // swap
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return long.slice(i + 1).join('') === short.slice(i).join('');
}

/** The seeded generator of the significance tests (mulberry32): the same seed gives the same sample. */
export { seededRandom };

/**
 * Samples n queries (all when n is absent or ≥ the count). `top`: the n most frequent. `random`: uniform without
 * replacement (a seeded Fisher–Yates shuffle). `proportional`: frequency-proportional without replacement — each draw
 * picks among the queries not drawn yet with probability frequency / (their total frequency), the distribution
 * OpenSearch SRW's pptss sampler draws by redrawing duplicates; computed with Efraimidis–Spirakis keys u^(1/f).
 * Every strategy is deterministic per seed, and a larger n extends a smaller n's sample (same seed).
 * The result keeps the sampled queries in frequency order.
 */
export function sampleQueries(queries: LogQuery[], n: number | undefined, strategy: SampleStrategy, seed = 1): LogQuery[] {
  const count = n === undefined ? queries.length : Math.max(0, Math.min(n, queries.length));
  const ordered = [...queries].sort((a, b) => b.frequency - a.frequency || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let picked: LogQuery[];
  if (strategy === 'top') picked = ordered.slice(0, count);
  else if (strategy === 'random') {
    const rnd = seededRandom(seed);
    const a = [...ordered];
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rnd() * (a.length - i));
      [a[i], a[j]] = [a[j], a[i]];
    }
    picked = a.slice(0, count);
  } else {
    const rnd = seededRandom(seed);
    // log(u) / f orders like u^(1/f) and keeps precision for large frequencies.
    const keyed = ordered.map((q, i) => ({ q, i, k: Math.log(1 - rnd()) / q.frequency }));
    keyed.sort((x, y) => y.k - x.k || x.i - y.i);
    picked = keyed.slice(0, count).map((x) => x.q);
  }
  const rank = new Map(ordered.map((q, i) => [q, i]));
  return picked.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
}

/**
 * Train or eval, from the query's match key alone: sha256(key) read as a fraction below `trainShare` is train. The
 * same query lands in the same split whatever else is sampled, and on every re-import.
 */
export function assignSplit(key: string, trainShare: number): Split {
  const h = crypto.createHash('sha256').update(key, 'utf8').digest();
  return h.readUInt32BE(0) / 4294967296 < trainShare ? 'train' : 'eval';
}

/** A stable id from the match key: the same log query gets the same id in every import. */
export function logQueryId(key: string): string {
  return `log-${crypto.createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 10)}`;
}

export interface ImportPlan {
  /** New queries to add, in frequency order. */
  added: EvalQuery[];
  /** Sampled queries the eval set already has (by match or loose key): never changed. */
  existing: Array<{ text: string; id: string }>;
}

/**
 * Which sampled queries to add: a sampled query whose match key or loose key equals an existing query's is already
 * there and is left alone (its text, split, judgments, everything). The sample is drawn from the log alone, before
 * existing queries are set aside, so importing the same log twice adds nothing.
 */
export function planImport(sampled: LogQuery[], existing: EvalQuery[], options: { trainShare: number }): ImportPlan {
  const byKey = new Map<string, string>();
  for (const q of existing) {
    if (!byKey.has(`m:${matchKey(q.text)}`)) byKey.set(`m:${matchKey(q.text)}`, q.id);
    const loose = looseKey(q.text);
    if (loose && !byKey.has(`l:${loose}`)) byKey.set(`l:${loose}`, q.id);
  }
  const ids = new Set(existing.map((q) => q.id));
  const added: EvalQuery[] = [];
  const present: ImportPlan['existing'] = [];
  for (const s of sampled) {
    const hit = byKey.get(`m:${s.key}`) ?? byKey.get(`l:${looseKey(s.text)}`);
    if (hit) {
      present.push({ text: s.text, id: hit });
      continue;
    }
    let id = logQueryId(s.key);
    for (let n = 2; ids.has(id); n++) id = `${logQueryId(s.key)}-${n}`;
    ids.add(id);
    added.push({ id, text: s.text, split: assignSplit(s.key, options.trainShare), judgments: [], source: 'log', frequency: s.frequency });
  }
  return { added, existing: present };
}

export interface QueryLogImportOptions {
  format?: QueryLogFormat;
  field?: string;
  sample?: number;
  strategy?: SampleStrategy;
  seed?: number;
  /** Share of added queries assigned to train (0–1); the rest are eval. */
  trainShare?: number;
}

export interface QueryLogImportSummary extends Omit<QueryLogRead, 'queries'> {
  strategy: SampleStrategy;
  seed: number;
  sampled: number;
  added: EvalQuery[];
  alreadyPresent: ImportPlan['existing'];
  /** The merges made, for the summary: representative ← merged spellings. */
  merges: Array<{ text: string; merged: string[] }>;
}

export const DEFAULT_TRAIN_SHARE = 0.3;

/** Reads, samples and plans without writing: what importQueryLog would add to an eval set with these queries. */
export async function planQueryLogImport(file: string, existing: EvalQuery[], options: QueryLogImportOptions = {}): Promise<QueryLogImportSummary> {
  const strategy = options.strategy ?? 'top';
  const seed = options.seed ?? 1;
  const trainShare = options.trainShare ?? DEFAULT_TRAIN_SHARE;
  if (!(trainShare >= 0 && trainShare <= 1)) throw new RangeError(`train share must be from 0 to 1, got ${trainShare}`);
  const read = await readQueryLog(file, { format: options.format, field: options.field });
  const sampled = sampleQueries(read.queries, options.sample, strategy, seed);
  const plan = planImport(sampled, existing, { trainShare });
  const { queries, ...rest } = read;
  return { ...rest, strategy, seed, sampled: sampled.length, added: plan.added, alreadyPresent: plan.existing, merges: queries.filter((q) => q.merged.length).map((q) => ({ text: q.text, merged: q.merged })) };
}

/** One line per fact of the summary, skipped lines with their numbers (the first `maxSkipped`, then a count). */
export function describeQueryLogImport(s: QueryLogImportSummary, maxSkipped = 20): string[] {
  const out = [
    `${s.file} (${s.format}): ${s.linesRead} lines read, ${s.queryLines} queries, ${s.unique} unique, ${s.merged} merged as near-duplicates, ${s.skipped.length} skipped`,
    `sampled ${s.sampled} (${s.strategy}${s.strategy === 'top' ? '' : `, seed ${s.seed}`}); added ${s.added.length} (${s.added.filter((q) => q.split === 'eval').length} eval, ${s.added.filter((q) => q.split === 'train').length} train); ${s.alreadyPresent.length} already in the eval set`,
  ];
  for (const m of s.merges.slice(0, 10)) out.push(`merged into "${m.text}": ${m.merged.map((t) => `"${t}"`).join(', ')}`);
  if (s.merges.length > 10) out.push(`… and ${s.merges.length - 10} more merges`);
  for (const k of s.skipped.slice(0, maxSkipped)) out.push(`skipped ${s.file}:${k.line}: ${k.reason}`);
  if (s.skipped.length > maxSkipped) out.push(`… and ${s.skipped.length - maxSkipped} more skipped lines`);
  return out;
}
