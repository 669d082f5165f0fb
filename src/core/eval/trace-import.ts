import * as path from 'node:path';
import { InputError } from '../io/input-error';
import { readTextLines } from '../io/text-lines';
import type { EvalQuery } from './evalset-types';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { DEFAULT_TRAIN_SHARE, displayForm, looseKey, matchKey, MAX_QUERY_CHARS, mergeNearDuplicates, planImport, sampleQueries, type SampleStrategy } from './query-log';
import type { EvalSetFile } from './evalset-file';
import { recordedRunFile, writeRecordedRun, type RecordedTrace } from './trace-store';
import { DEFAULT_FIELD_MAP, readGenericRecord, type TraceFieldMap } from './traces/generic-jsonl';
import { readLangfuseRecord } from './traces/langfuse';
import { readLangSmithRecord } from './traces/langsmith';
import { readOpenInferenceRecord } from './traces/openinference';
import { readOtlpRecord } from './traces/otlp';
import { clean, describeWhere, isObject, newSink, type RecordIssue, type TraceDocument, type TraceFeedback, type TraceFormat, type TraceSink, type TraceSpan, type Where } from './traces/trace-model';

/**
 * Production traces → what they asked, what was served, what was answered, and what the user said.
 *
 * Reading: JSONL (one record per line; a line that is a JSON array is several records) or one JSON document (an
 * array of records, or an object holding them under data / spans / runs / traces / observations / items; an OTLP
 * export is one record). gzip is detected by content. A record that cannot be read is skipped and named by file and
 * line (JSONL) or by its path in the document — never guessed.
 *
 * Assembling (span formats): spans are grouped by trace id. The served passages are the last RERANKER span's output
 * documents when there is one, else every RETRIEVER span's documents in start order (ranks renumbered from 1). The
 * query is the first retriever's input (the text production actually retrieved for), else the root span's input.
 * The answer is the root span's output, else the last LLM span's. Feedback is every annotation, score or feedback
 * record on any span of the trace or on the trace itself.
 */
export interface ImportedTrace {
  traceId: string;
  query?: string;
  /** False when no retrieval step was recorded. */
  retrieved: boolean;
  documents: TraceDocument[];
  answer?: string;
  feedback: TraceFeedback[];
  timestamp?: string;
  where: Where;
}

export interface TraceRead {
  file: string;
  format: TraceFormat;
  /** JSONL lines (or records of a JSON document) read. */
  recordsRead: number;
  spans: number;
  traces: ImportedTrace[];
  skipped: RecordIssue[];
}

export interface TraceReadOptions {
  format: TraceFormat;
  map?: TraceFieldMap;
}

const CONTAINER_KEYS = ['data', 'spans', 'runs', 'traces', 'observations', 'items', 'records', 'scores', 'feedback'];

export async function readTraceFile(file: string, options: TraceReadOptions): Promise<TraceRead> {
  const lines: Array<{ text: string; line: number }> = [];
  for await (const l of readTextLines(file)) lines.push(l);
  const sink = newSink();
  const base = path.basename(file);
  let recordsRead = 0;
  const record = (value: unknown, where: Where) => {
    recordsRead++;
    switch (options.format) {
      case 'openinference':
        return readOpenInferenceRecord(value, where, sink);
      case 'otlp':
        return readOtlpRecord(value, where, sink);
      case 'langfuse':
        return readLangfuseRecord(value, where, sink);
      case 'langsmith':
        return readLangSmithRecord(value, where, sink);
      case 'jsonl':
        return readGenericRecord(value, where, sink, options.map ?? DEFAULT_FIELD_MAP, `${base}:${where.line ?? where.path}`);
    }
  };
  const firstLine = lines.find((l) => l.text.trim());
  if (!firstLine) return { file, format: options.format, recordsRead: 0, spans: 0, traces: [], skipped: [] };
  if (parses(firstLine.text)) {
    for (const { text, line } of lines) {
      if (!text.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        recordsRead++;
        sink.skipped.push({ where: { line }, reason: `invalid JSON: ${e instanceof Error ? e.message : e}` });
        continue;
      }
      if (Array.isArray(value)) value.forEach((v, i) => record(v, { line, path: `[${i}]` }));
      else record(value, { line });
    }
  } else {
    const text = lines.map((l) => l.text).join('\n');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new InputError(file, lines[jsonErrorLine(text) - 1]?.line ?? firstLine.line, `invalid JSON (neither one JSON document nor one JSON value per line): ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    }
    for (const [v, p] of documentRecords(doc, options.format)) record(v, clean({ path: p }));
  }
  const traces = options.format === 'jsonl' ? wholeTraces(sink) : assemble(sink);
  return { file, format: options.format, recordsRead, spans: sink.spans.length, traces, skipped: sink.skipped };
}

/**
 * The 1-based line of the first syntax error: the position when the engine names one, else the shortest prefix
 * that fails with something other than "unexpected end" (a prefix before the error is only incomplete).
 */
function jsonErrorLine(text: string): number {
  const lineAt = (pos: number) => text.slice(0, pos).split('\n').length;
  const incomplete = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const m = /position (\d+)/.exec(String(e));
      return /end of (JSON )?input|unterminated|Unexpected end/i.test(String(e)) || (m !== null && Number(m[1]) >= n);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (incomplete(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lineAt(lo);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The records of one JSON document: an array's elements, the arrays under the container keys, else the object itself. */
function documentRecords(doc: unknown, format: TraceFormat): Array<[unknown, string | undefined]> {
  if (Array.isArray(doc)) return doc.map((v, i) => [v, `[${i}]`]);
  if (isObject(doc) && format !== 'otlp' && !(format === 'langfuse' && Array.isArray(doc.observations) && doc.id !== undefined)) {
    const out: Array<[unknown, string | undefined]> = [];
    for (const k of CONTAINER_KEYS) if (Array.isArray(doc[k])) (doc[k] as unknown[]).forEach((v, i) => out.push([v, `${k}[${i}]`]));
    if (out.length) return out;
  }
  return [[doc, undefined]];
}

/** Generic JSONL: lines with the same trace id are one trace (the first query, documents and answer win; feedback adds up). */
function wholeTraces(sink: TraceSink): ImportedTrace[] {
  const byId = new Map<string, ImportedTrace>();
  for (const w of sink.whole) {
    const t = byId.get(w.traceId);
    if (!t) {
      byId.set(w.traceId, { traceId: w.traceId, query: w.query, retrieved: w.documents !== undefined, documents: w.documents ?? [], answer: w.answer, feedback: [...w.feedback], timestamp: w.timestamp, where: w.where });
      continue;
    }
    t.query ??= w.query;
    if (!t.retrieved && w.documents) {
      t.retrieved = true;
      t.documents = w.documents;
    }
    t.answer ??= w.answer;
    t.timestamp ??= w.timestamp;
    t.feedback.push(...w.feedback);
  }
  return [...byId.values()];
}

/** Span formats: group by trace id and decide query, passages, answer and feedback (see the module comment). */
function assemble(sink: TraceSink): ImportedTrace[] {
  // LangSmith children written without trace_id point at their parent: follow parents to the root's trace.
  const traceOfSpan = new Map<string, string>();
  for (const s of sink.spans) if (s.spanId && !s.traceId.startsWith('run:')) traceOfSpan.set(s.spanId, s.traceId);
  for (const s of sink.spans) {
    let guard = 0;
    while (s.traceId.startsWith('run:') && guard++ < 100) {
      const parent = s.traceId.slice(4);
      const t = traceOfSpan.get(parent) ?? sink.spans.find((p) => p.spanId === parent)?.traceId;
      if (!t || t === s.traceId) {
        s.traceId = parent;
        break;
      }
      s.traceId = t;
    }
    if (s.spanId) traceOfSpan.set(s.spanId, s.traceId);
  }
  const groups = new Map<string, TraceSpan[]>();
  for (const s of sink.spans) {
    if (s.problem) sink.skipped.push({ where: s.where, reason: `trace "${s.traceId}"${s.spanId ? `, span "${s.spanId}"` : ''}: ${s.problem}` });
    const g = groups.get(s.traceId) ?? [];
    g.push(s);
    groups.set(s.traceId, g);
  }
  for (const f of sink.feedback) {
    const traceId = (f.spanId && traceOfSpan.get(f.spanId)) ?? (f.traceId && groups.has(f.traceId) ? f.traceId : undefined);
    const target = traceId ? groups.get(traceId)?.find((s) => s.spanId === f.spanId) ?? groups.get(traceId)?.[0] : undefined;
    if (!target) sink.skipped.push({ where: f.where, reason: `feedback for ${f.spanId ? `span/run "${f.spanId}"` : `trace "${f.traceId}"`}, which is in no trace of the file` });
    else target.feedback.push(f.feedback);
  }
  const out: ImportedTrace[] = [];
  for (const [traceId, spans] of groups) {
    spans.sort((a, b) => (a.start && b.start && a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.seq - b.seq));
    const ids = new Set(spans.map((s) => s.spanId).filter(Boolean));
    const root = spans.find((s) => !s.parentId || !ids.has(s.parentId)) ?? spans[0];
    const retrievers = spans.filter((s) => s.kind === 'retriever');
    const rerankers = spans.filter((s) => s.kind === 'reranker' && s.documents?.length);
    const served = rerankers.length ? (rerankers[rerankers.length - 1].documents ?? []) : retrievers.flatMap((s) => s.documents ?? []);
    const llms = spans.filter((s) => s.kind === 'llm' && s.answer);
    out.push({
      traceId,
      query: retrievers.find((s) => s.query)?.query ?? (root.kind !== 'llm' ? root.query : undefined) ?? spans.find((s) => s.kind === 'chain' && s.query)?.query,
      retrieved: retrievers.length > 0 || rerankers.length > 0,
      documents: served.map((d, i) => ({ ...d, rank: i + 1 })),
      answer: (root.kind !== 'retriever' ? root.answer : undefined) ?? llms[llms.length - 1]?.answer,
      feedback: spans.flatMap((s) => s.feedback),
      timestamp: root.start ?? spans.find((s) => s.start)?.start,
      where: root.where,
    });
  }
  return out;
}

export interface TraceImportOptions extends TraceReadOptions {
  sample?: number;
  strategy?: SampleStrategy;
  seed?: number;
  trainShare?: number;
  /** Drop answer texts and free-text feedback comments before anything is stored. */
  dropAnswers?: boolean;
  /** Stored with the run: how served ids become workspace documents. */
  documentId?: DocumentIdRule;
}

export interface TraceImportPlan {
  read: TraceRead;
  strategy: SampleStrategy;
  seed: number;
  /** Traces that gave a query. */
  withQuery: number;
  /** Distinct queries (after near-duplicate merging). */
  queries: number;
  /** Match keys merged into another query as near-duplicates. */
  merged: number;
  sampled: number;
  added: EvalQuery[];
  alreadyPresent: Array<{ text: string; id: string }>;
  /** Queries asked in more than one trace (the recorded retriever replays the latest). */
  repeated: Array<{ text: string; traces: number }>;
  /** Every trace with a query, as it will be stored. */
  recorded: RecordedTrace[];
}

/**
 * The same engine as import-queries: queries normalised to match keys, near-duplicates merged (NEAR_DUPLICATE_RULE),
 * sampled by strategy and seed, split by a hash of the key, and already-present queries left alone (planImport).
 * Added queries get source "trace" and the ids of the traces that asked them.
 */
export async function planTraceImport(file: string, existing: EvalQuery[], options: TraceImportOptions): Promise<TraceImportPlan> {
  const strategy = options.strategy ?? 'top';
  const seed = options.seed ?? 1;
  const trainShare = options.trainShare ?? DEFAULT_TRAIN_SHARE;
  if (!(trainShare >= 0 && trainShare <= 1)) throw new RangeError(`train share must be from 0 to 1, got ${trainShare}`);
  const read = await readTraceFile(file, options);
  const groups = new Map<string, { text: string; key: string; count: number; firstLine: number; traces: string[] }>();
  const keyOf = new Map<ImportedTrace, string>();
  read.traces.forEach((t, i) => {
    if (t.query === undefined) return void read.skipped.push({ where: t.where, reason: `trace "${t.traceId}": no query found (no retriever input, no root input)` });
    const text = displayForm(t.query);
    if (!text) return void read.skipped.push({ where: t.where, reason: `trace "${t.traceId}": empty query` });
    if (text.length > MAX_QUERY_CHARS) return void read.skipped.push({ where: t.where, reason: `trace "${t.traceId}": query longer than ${MAX_QUERY_CHARS} characters` });
    const key = matchKey(text);
    keyOf.set(t, key);
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.traces.push(t.traceId);
    } else groups.set(key, { text, key, count: 1, firstLine: t.where.line ?? i + 1, traces: [t.traceId] });
  });
  const ordered = [...groups.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { queries, mergedKeys } = mergeNearDuplicates(ordered);
  // Which representative each match key ended up in, and the traces of each representative.
  const repOf = new Map<string, string>();
  const tracesOf = new Map<string, string[]>();
  for (const q of queries) {
    const keys = [q.key, ...q.merged.map(matchKey)];
    for (const k of keys) repOf.set(k, q.key);
    tracesOf.set(q.key, keys.flatMap((k) => groups.get(k)?.traces ?? []));
  }
  const sampled = sampleQueries(queries, options.sample, strategy, seed);
  const plan = planImport(sampled, existing, { trainShare });
  const added = plan.added.map((q) => ({ ...q, source: 'trace' as const, traces: [...new Set(tracesOf.get(matchKey(q.text)) ?? [])].sort() }));
  const idOfRep = new Map<string, string>();
  for (const q of added) idOfRep.set(matchKey(q.text), q.id);
  for (const e of plan.existing) idOfRep.set(matchKey(e.text), e.id);
  const recorded: RecordedTrace[] = [];
  for (const t of read.traces) {
    const key = keyOf.get(t);
    if (key === undefined) continue;
    const rep = repOf.get(key) ?? key;
    recorded.push({
      traceId: t.traceId,
      query: displayForm(t.query as string),
      queryKey: rep,
      ...(idOfRep.has(rep) ? { queryId: idOfRep.get(rep) } : {}),
      ...(t.timestamp ? { timestamp: t.timestamp } : {}),
      retrieved: t.retrieved,
      documents: t.documents,
      ...(t.answer !== undefined && !options.dropAnswers ? { answer: t.answer } : {}),
      feedback: t.feedback.map((f) => clean(options.dropAnswers ? { ...f, comment: undefined } : { ...f })),
      source: { file: read.file, ...(t.where.line !== undefined ? { line: t.where.line } : {}), ...(t.where.path ? { path: t.where.path } : {}) },
    });
  }
  const repeated = queries.filter((q) => (tracesOf.get(q.key)?.length ?? 0) > 1).map((q) => ({ text: q.text, traces: tracesOf.get(q.key)?.length ?? 0 }));
  return { read, strategy, seed, withQuery: keyOf.size, queries: queries.length, merged: mergedKeys, sampled: sampled.length, added, alreadyPresent: plan.existing, repeated, recorded };
}

/** One line per fact of the import, skipped records with file and line (the first `maxSkipped`, then a count). */
export function describeTraceImport(p: TraceImportPlan, maxSkipped = 20): string[] {
  const r = p.read;
  const docs = p.recorded.reduce((s, t) => s + t.documents.length, 0);
  const withFeedback = p.recorded.filter((t) => t.feedback.length).length;
  const out = [
    `${r.file} (${r.format}): ${r.recordsRead} records read${r.format === 'jsonl' ? '' : `, ${r.spans} spans`}, ${r.traces.length} traces, ${p.withQuery} with a query, ${docs} passages served, ${withFeedback} with feedback, ${r.skipped.length} skipped`,
    `${p.queries} distinct queries, ${p.merged} merged as near-duplicates; sampled ${p.sampled} (${p.strategy}${p.strategy === 'top' ? '' : `, seed ${p.seed}`}); added ${p.added.length} (${p.added.filter((q) => q.split === 'eval').length} eval, ${p.added.filter((q) => q.split === 'train').length} train); ${p.alreadyPresent.length} already in the eval set`,
  ];
  const noRetrieval = p.recorded.filter((t) => !t.retrieved).length;
  if (noRetrieval) out.push(`${noRetrieval} traces record no retrieval step: replayed as serving nothing`);
  for (const q of p.repeated.slice(0, 5)) out.push(`asked in ${q.traces} traces: "${q.text}" (the latest is replayed; every trace keeps its feedback)`);
  if (p.repeated.length > 5) out.push(`… and ${p.repeated.length - 5} more queries asked in several traces`);
  for (const k of r.skipped.slice(0, maxSkipped)) out.push(`skipped ${describeWhere(r.file, k.where)}: ${k.reason}`);
  if (r.skipped.length > maxSkipped) out.push(`… and ${r.skipped.length - maxSkipped} more skipped records`);
  return out;
}

/**
 * The eval-set query a recorded trace belongs to: by id, else by match key or loose key of its query. Built once
 * over the eval set (thousands of traces look up in constant time).
 */
export function evalQueryIndex(queries: EvalQuery[]): (t: RecordedTrace) => EvalQuery | undefined {
  const byId = new Map<string, EvalQuery>();
  const byKey = new Map<string, EvalQuery>();
  const byLoose = new Map<string, EvalQuery>();
  for (const q of queries) {
    if (!byId.has(q.id)) byId.set(q.id, q);
    const k = matchKey(q.text);
    if (!byKey.has(k)) byKey.set(k, q);
    const l = looseKey(q.text);
    if (l && !byLoose.has(l)) byLoose.set(l, q);
  }
  return (t) =>
    (t.queryId ? byId.get(t.queryId) : undefined) ??
    byKey.get(t.queryKey) ??
    byKey.get(matchKey(t.query)) ??
    (looseKey(t.queryKey) ? byLoose.get(looseKey(t.queryKey)) : undefined) ??
    (looseKey(t.query) ? byLoose.get(looseKey(t.query)) : undefined);
}

/**
 * Imports traces into a workspace: new queries appended to the eval set (EvalSetFile: atomic, other lines byte for
 * byte, existing queries never changed) and every trace with a query recorded as the run `trace:<name>`.
 */
export async function importTraces(evalSet: EvalSetFile, workspace: string, file: string, name: string, options: TraceImportOptions): Promise<TraceImportPlan & { runFile: string }> {
  const runFile = recordedRunFile(workspace, name);
  const plan = await planTraceImport(file, evalSet.all(), options);
  for (const q of plan.added) evalSet.upsert(q);
  if (plan.added.length) evalSet.save();
  writeRecordedRun(runFile, name, plan.recorded, { file: path.resolve(file), format: options.format, importedAt: new Date().toISOString(), traces: plan.recorded.length, answersDropped: !!options.dropAnswers }, options.documentId);
  return { ...plan, runFile };
}
