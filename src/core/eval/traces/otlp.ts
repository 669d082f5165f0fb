import { getPath } from '../../retrieve/retriever-config';
import { openInferenceSpan } from './openinference';
import { answerText, clean, isObject, servedDocuments, isoTime, messages, nest, queryText, str, type SpanKind, type TraceSink, type TraceSpan, type Where } from './trace-model';

/**
 * OTLP/JSON (ExportTraceServiceRequest, opentelemetry-proto 1.x JSON mapping, as the collector's file exporter and
 * `OTLPTraceExporter` JSON write it): resourceSpans[].scopeSpans[].spans[] (instrumentationLibrarySpans in older
 * writers), attributes as [{ key, value: { stringValue | intValue | doubleValue | boolValue | arrayValue |
 * kvlistValue } }], trace ids in hex.
 *
 * A span with `openinference.span.kind` is read as OpenInference (retrieval.documents…). Otherwise the OpenTelemetry
 * GenAI semantic conventions (Development status; names as in semantic-conventions v1.36–v1.41 and the
 * semantic-conventions-genai registry): `gen_ai.operation.name` chat / text_completion / generate_content → LLM,
 * retrieval → retriever (documents in `gen_ai.retrieval.documents`, query in `gen_ai.retrieval.query.text`), agent
 * operations → chain; messages from `gen_ai.input.messages` / `gen_ai.output.messages`, or the older `gen_ai.prompt`
 * / `gen_ai.completion` attributes and `gen_ai.content.prompt` / `gen_ai.content.completion` events.
 */
export function readOtlpRecord(value: unknown, where: Where, sink: TraceSink): void {
  if (!isObject(value) || !Array.isArray(value.resourceSpans)) return void sink.skipped.push({ where, reason: 'no "resourceSpans" array: not an OTLP/JSON trace export' });
  value.resourceSpans.forEach((rs, i) => {
    const scopes = isObject(rs) ? (rs.scopeSpans ?? rs.instrumentationLibrarySpans) : undefined;
    if (!Array.isArray(scopes)) return void sink.skipped.push({ where: sub(where, `resourceSpans[${i}]`), reason: 'no "scopeSpans" array' });
    scopes.forEach((ss, j) => {
      const spans = isObject(ss) ? ss.spans : undefined;
      if (!Array.isArray(spans)) return void sink.skipped.push({ where: sub(where, `resourceSpans[${i}].scopeSpans[${j}]`), reason: 'no "spans" array' });
      spans.forEach((s, k) => {
        const w = sub(where, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`);
        const span = otlpSpan(s, w, sink.seq);
        if (typeof span === 'string') sink.skipped.push({ where: w, reason: span });
        else {
          sink.seq++;
          sink.spans.push(span);
        }
      });
    });
  });
}

function sub(w: Where, path: string): Where {
  return clean({ line: w.line, path: w.path ? `${w.path}.${path}` : path });
}

function otlpSpan(s: unknown, where: Where, seq: number): TraceSpan | string {
  if (!isObject(s)) return 'not a JSON object';
  const traceId = str(s.traceId);
  if (!traceId) return 'no "traceId"';
  let flat: Record<string, unknown>;
  try {
    flat = attributes(s.attributes);
  } catch (e) {
    return `attributes: ${e instanceof Error ? e.message : e}`;
  }
  const attrs = nest(flat) as Record<string, unknown>;
  const ids = { traceId, spanId: str(s.spanId), parentId: str(s.parentSpanId), name: str(s.name), start: isoTime(s.startTimeUnixNano) };
  const events = (Array.isArray(s.events) ? s.events : []).filter(isObject).map((e) => ({ name: str(e.name), attrs: nest(attributesOrEmpty(e.attributes)) as Record<string, unknown> }));
  if (flat['openinference.span.kind'] !== undefined) return openInferenceSpan(attrs, ids, [], where, seq);
  const op = str(flat['gen_ai.operation.name'])?.toLowerCase();
  const kind: SpanKind = op === undefined ? (flat['retrieval.documents.0.document.id'] !== undefined ? 'retriever' : 'other') : ['chat', 'text_completion', 'generate_content'].includes(op) ? 'llm' : op === 'retrieval' ? 'retriever' : ['invoke_agent', 'create_agent', 'invoke_workflow'].includes(op) ? 'chain' : 'other';
  const span: TraceSpan = { ...ids, kind, feedback: [], where, seq };
  const at = (p: string) => getPath(attrs, p).value;
  if (kind === 'retriever') {
    span.query = str(flat['gen_ai.retrieval.query.text']) ?? queryText(at('input.value'));
    ({ documents: span.documents, problem: span.problem } = flat['gen_ai.retrieval.documents'] !== undefined ? servedDocuments(flat['gen_ai.retrieval.documents'], 'gen_ai.retrieval.documents') : servedDocuments(at('retrieval.documents'), 'retrieval.documents'));
  } else {
    const inMsgs = messages(flat['gen_ai.input.messages']);
    const outMsgs = messages(flat['gen_ai.output.messages']);
    const promptEvent = events.find((e) => e.name === 'gen_ai.content.prompt')?.attrs;
    const completionEvent = events.find((e) => e.name === 'gen_ai.content.completion')?.attrs;
    const userEvent = events.filter((e) => e.name === 'gen_ai.user.message').pop()?.attrs;
    const choiceEvent = events.filter((e) => e.name === 'gen_ai.choice').pop()?.attrs;
    span.query =
      inMsgs?.filter((m) => m.role === 'user').pop()?.text ??
      queryText(at('gen_ai.prompt')) ??
      queryText(promptEvent && getPath(promptEvent, 'gen_ai.prompt').value) ??
      queryText(userEvent?.content) ??
      queryText(at('input.value'));
    span.answer =
      outMsgs?.filter((m) => m.role === 'assistant' || m.role === undefined).pop()?.text ??
      answerText(at('gen_ai.completion')) ??
      answerText(completionEvent && getPath(completionEvent, 'gen_ai.completion').value) ??
      answerText(choiceEvent?.message) ??
      answerText(at('output.value'));
  }
  const fb = at('feedback');
  if (isObject(fb)) {
    const score = typeof fb.score === 'number' ? fb.score : undefined;
    const label = str(fb.label);
    if (score !== undefined || label !== undefined) span.feedback.push({ name: 'feedback', score, label, comment: str(fb.comment) });
  }
  return span;
}

function attributesOrEmpty(v: unknown): Record<string, unknown> {
  try {
    return attributes(v);
  } catch {
    return {};
  }
}

/** OTLP KeyValue list → { key: plain value }. */
export function attributes(v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (!Array.isArray(v)) throw new Error('must be an array of { key, value }');
  const out: Record<string, unknown> = {};
  v.forEach((kv, i) => {
    if (!isObject(kv) || typeof kv.key !== 'string') throw new Error(`[${i}] is not { key, value }`);
    out[kv.key] = anyValue(kv.value);
  });
  return out;
}

/** OTLP AnyValue → a plain value (intValue arrives as a string in the JSON mapping). */
export function anyValue(v: unknown): unknown {
  if (!isObject(v)) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('boolValue' in v) return v.boolValue;
  if ('bytesValue' in v) return v.bytesValue;
  if (isObject(v.arrayValue)) return (Array.isArray(v.arrayValue.values) ? v.arrayValue.values : []).map(anyValue);
  if (isObject(v.kvlistValue)) return attributes(v.kvlistValue.values ?? []);
  return undefined;
}
