/**
 * The shapes every trace reader produces, and the value helpers they share. A reader turns one record of an export
 * (a span, a run, an observation, a score, a JSONL line) into spans, feedback or whole traces; trace-import.ts
 * groups spans into traces by trace id and decides what each trace asked, was served and answered.
 */

export type TraceFormat = 'openinference' | 'otlp' | 'langfuse' | 'langsmith' | 'jsonl';
export const TRACE_FORMATS: readonly TraceFormat[] = ['openinference', 'otlp', 'langfuse', 'langsmith', 'jsonl'];

/** Where a record is in the file: its line (JSONL) and/or its path inside a JSON document. */
export interface Where {
  line?: number;
  path?: string;
}

export function describeWhere(file: string, w: Where): string {
  return `${file}${w.line !== undefined ? `:${w.line}` : ''}${w.path ? ` (${w.path})` : ''}`;
}

/** One passage production served, as the trace recorded it. */
export interface TraceDocument {
  /** 1-based, in the order the trace lists them. */
  rank: number;
  id?: string;
  path?: string;
  text?: string;
  score?: number;
}

/** One piece of user (or evaluator) feedback on a trace. */
export interface TraceFeedback {
  name?: string;
  score?: number;
  label?: string;
  comment?: string;
}

export type SpanKind = 'retriever' | 'reranker' | 'llm' | 'chain' | 'other';

/** A span / run / observation, reduced to what a RAG trace needs. */
export interface TraceSpan {
  traceId: string;
  spanId?: string;
  parentId?: string;
  kind: SpanKind;
  name?: string;
  /** ISO 8601. */
  start?: string;
  /** The query text this span was given (already extracted), if any. */
  query?: string;
  /** The answer text this span produced (already extracted), if any. */
  answer?: string;
  /** Retriever / reranker spans: the passages, in order. */
  documents?: TraceDocument[];
  feedback: TraceFeedback[];
  where: Where;
  /** What could not be read in an otherwise readable span (e.g. documents that are no list of documents). */
  problem?: string;
  /** Order in the file (ties of `start`). */
  seq: number;
}

/** Feedback given as its own record, pointing at a span/run or a trace. */
export interface LooseFeedback {
  traceId?: string;
  spanId?: string;
  feedback: TraceFeedback;
  where: Where;
}

/** A trace read whole (generic JSONL): no spans to assemble. */
export interface WholeTrace {
  traceId: string;
  query?: string;
  documents?: TraceDocument[];
  answer?: string;
  feedback: TraceFeedback[];
  timestamp?: string;
  where: Where;
}

export interface RecordIssue {
  where: Where;
  reason: string;
}

/** What readers write into while reading a file. */
export interface TraceSink {
  spans: TraceSpan[];
  feedback: LooseFeedback[];
  whole: WholeTrace[];
  skipped: RecordIssue[];
  seq: number;
}

export function newSink(): TraceSink {
  return { spans: [], feedback: [], whole: [], skipped: [], seq: 0 };
}

export type Json = unknown;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string, or a number as a string (ids are often numbers); anything else is undefined. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** A finite number, or a numeric string. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A JSON string that holds an object or array, parsed; anything else unchanged. */
export function maybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

/**
 * Flattened attribute keys ("retrieval.documents.0.document.id") and nested objects, merged into one nested tree,
 * so "retrieval.documents" is found the same way in both forms. Objects whose keys are all indexes become arrays.
 */
export function nest(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nest);
  if (!isObject(value)) return value;
  const root: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const parts = key.split('.');
    let cur = root;
    let ok = true;
    for (const p of parts.slice(0, -1)) {
      const next = cur[p];
      if (next === undefined) cur[p] = {};
      else if (!isObject(next)) {
        ok = false;
        break;
      }
      cur = cur[p] as Record<string, unknown>;
    }
    if (!ok) continue;
    const last = parts[parts.length - 1];
    const v = nest(raw);
    const prev = cur[last];
    if (isObject(prev) && isObject(v)) cur[last] = mergeTrees(prev, v);
    else if (isObject(prev) && Array.isArray(v)) cur[last] = mergeTrees(prev, Object.fromEntries(v.map((x, i) => [String(i), x])));
    else if (prev === undefined || !isObject(prev)) cur[last] = v;
  }
  return arrays(root);
}

function mergeTrees(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(out[k]) && isObject(v) ? mergeTrees(out[k] as Record<string, unknown>, v) : (out[k] ?? v);
  return out;
}

function arrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(arrays);
  if (!isObject(v)) return v;
  const keys = Object.keys(v);
  const conv: Record<string, unknown> = {};
  for (const k of keys) conv[k] = arrays(v[k]);
  if (keys.length && keys.every((k) => /^\d+$/.test(k))) return keys.map(Number).sort((a, b) => a - b).map((i) => conv[String(i)]);
  return conv;
}

/** An array, or an object with index keys as an array, or a JSON string of one; else undefined. */
export function asArray(v: unknown): unknown[] | undefined {
  const p = maybeJson(v);
  if (Array.isArray(p)) return p;
  return undefined;
}

type Message = { role?: string; text?: string };

/** Chat messages in the shapes tracers write: {role, content}, {role, parts: [{type: 'text', content}]}, LangChain {type, data: {content}}, OpenInference {message: {role, content}}. */
export function messages(v: unknown): Message[] | undefined {
  const list = asArray(v);
  if (!list) return undefined;
  const out: Message[] = [];
  for (const raw of list) {
    let m = isObject(raw) && isObject(raw.message) ? raw.message : raw;
    if (Array.isArray(m)) m = m[m.length - 1];
    if (!isObject(m)) continue;
    const data = isObject(m.data) ? m.data : m;
    const role = str(m.role) ?? str(m.type) ?? str(data.role) ?? str(data.type);
    out.push({ role: role?.toLowerCase(), text: contentText(data.content ?? data.parts ?? data.contents ?? data.text) });
  }
  return out.length ? out : undefined;
}

function contentText(c: unknown): string | undefined {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    const parts = c.map((p) => (typeof p === 'string' ? p : isObject(p) && (p.type === undefined || p.type === 'text') ? (str(p.content) ?? str(p.text)) : undefined)).filter((t): t is string => !!t);
    return parts.length ? parts.join('\n') : undefined;
  }
  if (isObject(c)) return str(c.text) ?? str(c.content);
  return undefined;
}

function lastOf(ms: Message[] | undefined, roles: string[]): string | undefined {
  if (!ms) return undefined;
  for (let i = ms.length - 1; i >= 0; i--) if (ms[i].role && roles.includes(ms[i].role as string) && ms[i].text) return ms[i].text;
  return undefined;
}

const QUERY_KEYS = ['query', 'question', 'input', 'user_input', 'prompt', 'text', 'q', 'content'];
const ANSWER_KEYS = ['answer', 'output', 'response', 'result', 'completion', 'text', 'content', 'output_text'];

/** The user's text in an input value: a plain string, a JSON string, {query|question|input|…}, or chat messages (the last user message). */
export function queryText(v: unknown, depth = 0): string | undefined {
  const p = maybeJson(v);
  if (typeof p === 'string') return p.trim() ? p : undefined;
  if (depth > 3) return undefined;
  if (Array.isArray(p)) return lastOf(messages(p), ['user', 'human']);
  if (!isObject(p)) return undefined;
  for (const k of QUERY_KEYS) if (p[k] !== undefined) {
    const t = queryText(p[k], depth + 1);
    if (t) return t;
  }
  return lastOf(messages(p.messages), ['user', 'human']);
}

/** The answer text in an output value: a string, {answer|output|…}, OpenAI choices, LangChain generations, or chat messages (the last assistant message). */
export function answerText(v: unknown, depth = 0): string | undefined {
  const p = maybeJson(v);
  if (typeof p === 'string') return p.trim() ? p : undefined;
  if (depth > 3) return undefined;
  if (Array.isArray(p)) return lastOf(messages(p), ['assistant', 'ai', 'model']);
  if (!isObject(p)) return undefined;
  for (const k of ANSWER_KEYS) if (p[k] !== undefined) {
    const t = answerText(p[k], depth + 1);
    if (t) return t;
  }
  const choices = asArray(p.choices);
  if (choices && isObject(choices[0])) return answerText(choices[0].message ?? choices[0].text, depth + 1) ?? contentText((choices[0].message as Record<string, unknown> | undefined)?.content);
  const gens = asArray(p.generations);
  if (gens) {
    const g = Array.isArray(gens[0]) ? (gens[0] as unknown[])[0] : gens[0];
    if (isObject(g)) return str(g.text) ?? answerText(g.message, depth + 1);
  }
  if (isObject(p.message)) return contentText(p.message.content);
  return lastOf(messages(p.messages), ['assistant', 'ai', 'model']);
}

/**
 * Retrieved passages in the shapes tracers write: OpenInference {document: {id, content, score, metadata}},
 * LangChain Document {page_content, metadata}, OTel gen_ai.retrieval.documents {id, score}, or {id, text|content,
 * score, path}. A list wrapped as {documents: [...]} is unwrapped. The id falls back to metadata id/doc_id, the path
 * to metadata source/file_path/path. Undefined when the value is no list of objects.
 */
export function documentsFrom(v: unknown): TraceDocument[] | undefined {
  let list = asArray(v);
  const p = maybeJson(v);
  if (!list && isObject(p)) list = asArray(p.documents) ?? asArray(p.output) ?? asArray(p.results);
  if (!list) return undefined;
  const out: TraceDocument[] = [];
  for (const raw of list) {
    const n = nest(raw);
    const d = isObject(n) && isObject(n.document) ? n.document : n;
    if (typeof d === 'string') {
      out.push({ rank: out.length + 1, text: d });
      continue;
    }
    if (!isObject(d)) return undefined;
    const meta = maybeJson(d.metadata);
    const m = isObject(meta) ? meta : {};
    out.push(clean({
      rank: out.length + 1,
      id: str(d.id) ?? str(d.doc_id) ?? str(d.document_id) ?? str(m.id) ?? str(m.doc_id) ?? str(m.document_id),
      path: str(d.path) ?? str(d.source) ?? str(m.source) ?? str(m.file_path) ?? str(m.path),
      text: str(d.content) ?? str(d.page_content) ?? str(d.text) ?? str(d.pageContent),
      score: num(d.score) ?? num(d.relevance_score) ?? num(m.score),
    }));
  }
  return out;
}

/** The object without its undefined fields (so stored lines stay small and stable). */
export function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** An ISO timestamp from an ISO string, epoch seconds/milliseconds, or OTLP nanoseconds (as a string). */
export function isoTime(v: unknown): string | undefined {
  if (typeof v === 'string' && /^\d{16,}$/.test(v)) return new Date(Number(BigInt(v) / 1000000n)).toISOString();
  const n = typeof v === 'number' ? v : undefined;
  if (n !== undefined) return new Date(n > 1e14 ? n / 1e6 : n > 1e11 ? n : n * 1000).toISOString();
  if (typeof v === 'string' && v.trim()) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : new Date(t).toISOString();
  }
  return undefined;
}

/** The passages of a retriever span: the list read, or [] with the problem stated when the value is there but unreadable. */
export function servedDocuments(v: unknown, field: string): { documents: TraceDocument[]; problem?: string } {
  if (v === undefined || v === null) return { documents: [] };
  const d = documentsFrom(v);
  return d ? { documents: d } : { documents: [], problem: `"${field}" is not a list of documents: this span's passages are left out` };
}
