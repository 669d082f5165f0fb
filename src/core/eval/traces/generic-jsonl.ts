import { getPath } from '../../retrieve/retriever-config';
import { answerText, clean, isObject, isoTime, num, queryText, str, type TraceDocument, type TraceSink, type Where } from './trace-model';

/**
 * Any JSONL of RAG requests: each line one request (or part of one: lines sharing a trace id are one trace), its
 * fields found by dotted paths exactly as the `http` retriever's response mapping finds them (getPath; `a.b`,
 * `a[0].b`). The document fields (id, path, text, score) are paths inside each element of `documents`.
 */
export interface TraceFieldMap {
  query: string;
  documents: string;
  id: string;
  path: string;
  text: string;
  score: string;
  answer: string;
  feedback: string;
  label: string;
  comment: string;
  timestamp: string;
  trace: string;
}

export const DEFAULT_FIELD_MAP: TraceFieldMap = {
  query: 'query',
  documents: 'documents',
  id: 'id',
  path: 'path',
  text: 'text',
  score: 'score',
  answer: 'answer',
  feedback: 'feedback',
  label: 'label',
  comment: 'comment',
  timestamp: 'timestamp',
  trace: 'trace_id',
};

/** `query=q,documents=ctx.hits,text=body` → a full map (the rest default); unknown keys are an error naming them. */
export function parseFieldMap(spec: string | undefined): TraceFieldMap {
  const map = { ...DEFAULT_FIELD_MAP };
  if (!spec) return map;
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq).trim();
    if (eq < 0 || !(key in map)) throw new Error(`--map "${part}": expected KEY=PATH with KEY one of ${Object.keys(map).join(', ')}`);
    (map as unknown as Record<string, string>)[key] = part.slice(eq + 1).trim();
  }
  return map;
}

export function readGenericRecord(value: unknown, where: Where, sink: TraceSink, map: TraceFieldMap, fallbackId: string): void {
  if (!isObject(value)) return void sink.skipped.push({ where, reason: 'not a JSON object' });
  const get = (p: string) => (p ? getPath(value, p) : { found: false, value: undefined });
  const q = get(map.query);
  const query = q.found ? queryText(q.value) : undefined;
  if (q.found && query === undefined && q.value !== null) return void sink.skipped.push({ where, reason: `"${map.query}" holds no query text` });
  let documents: TraceDocument[] | undefined;
  const d = get(map.documents);
  if (d.found && d.value !== null) {
    if (!Array.isArray(d.value)) return void sink.skipped.push({ where, reason: `"${map.documents}" is not an array` });
    documents = [];
    for (const [i, raw] of d.value.entries()) {
      if (typeof raw === 'string') {
        documents.push({ rank: i + 1, text: raw });
        continue;
      }
      if (!isObject(raw)) return void sink.skipped.push({ where, reason: `${map.documents}[${i}] is not an object` });
      const score = getPath(raw, map.score);
      if (score.found && score.value !== null && num(score.value) === undefined) return void sink.skipped.push({ where, reason: `${map.documents}[${i}].${map.score} is not a number` });
      documents.push(clean({ rank: i + 1, id: str(getPath(raw, map.id).value), path: str(getPath(raw, map.path).value), text: str(getPath(raw, map.text).value), score: num(score.value) }));
    }
  }
  const traceId = str(get(map.trace).value) ?? fallbackId;
  if (query === undefined && documents === undefined && !get(map.feedback).found && !get(map.label).found) {
    return void sink.skipped.push({ where, reason: `none of "${map.query}", "${map.documents}", "${map.feedback}" or "${map.label}"` });
  }
  const fbScore = get(map.feedback);
  const score = num(fbScore.value);
  if (fbScore.found && fbScore.value !== null && score === undefined && typeof fbScore.value !== 'string') return void sink.skipped.push({ where, reason: `"${map.feedback}" is neither a number nor a label` });
  const label = str(get(map.label).value) ?? (typeof fbScore.value === 'string' && score === undefined ? fbScore.value : undefined);
  const feedback = score !== undefined || label !== undefined ? [clean({ name: 'feedback', score, label, comment: str(get(map.comment).value) })] : [];
  const a = get(map.answer);
  sink.whole.push({ traceId, query, documents, answer: a.found ? answerText(a.value) : undefined, feedback, timestamp: isoTime(get(map.timestamp).value), where });
}
