import { getPath } from '../../retrieve/retriever-config';
import { answerText, isObject, servedDocuments, isoTime, messages, nest, num, queryText, str, type SpanKind, type TraceFeedback, type TraceSink, type TraceSpan, type Where } from './trace-model';

/**
 * OpenInference spans as Phoenix and the OpenInference exporters write them (semantic conventions of
 * openinference-semantic-conventions 0.1.x / @arizeai/openinference-semantic-conventions 1.x):
 *   { name, context: { trace_id, span_id }, parent_id, span_kind, start_time, attributes: { … }, annotations? }
 * with `attributes` flattened ("retrieval.documents.0.document.id") or nested ({ retrieval: { documents: [ … ] } });
 * dataframe-style records ("context.trace_id", "attributes.input.value") nest the same way. Feedback comes as span
 * annotations ({ name, result: { label, score, explanation } } or { name, label, score, explanation }), on the span
 * or as records of their own carrying `span_id`.
 */
export function readOpenInferenceRecord(value: unknown, where: Where, sink: TraceSink): void {
  const rec = nest(value);
  if (!isObject(rec)) return void sink.skipped.push({ where, reason: 'not a JSON object' });
  const attrs = isObject(rec.attributes) ? rec.attributes : undefined;
  const traceId = str(at(rec, 'context.trace_id')) ?? str(rec.trace_id) ?? str(rec.traceId) ?? str(at(rec, 'context.traceId'));
  const spanId = str(at(rec, 'context.span_id')) ?? str(rec.span_id) ?? str(rec.spanId) ?? str(at(rec, 'context.spanId'));
  if (!attrs) {
    // An annotation record of its own (Phoenix span annotations export).
    const f = annotation(rec);
    if (f && (spanId || traceId)) return void sink.feedback.push({ spanId, traceId, feedback: f, where });
    return void sink.skipped.push({ where, reason: 'no "attributes": not an OpenInference span (nor a span annotation with span_id)' });
  }
  if (!traceId) return void sink.skipped.push({ where, reason: 'no trace id (context.trace_id)' });
  const feedback = (Array.isArray(rec.annotations) ? rec.annotations : Array.isArray(rec.span_annotations) ? rec.span_annotations : []).map(annotation).filter((f): f is TraceFeedback => !!f);
  sink.spans.push(openInferenceSpan(attrs, { traceId, spanId, parentId: str(rec.parent_id) ?? str(rec.parentId) ?? str(rec.parent_span_id), name: str(rec.name), start: isoTime(rec.start_time ?? rec.startTime), kindHint: str(rec.span_kind) }, feedback, where, sink.seq++));
}

/** A span from OpenInference attributes (already nested); shared with the OTLP reader. */
export function openInferenceSpan(
  attrs: Record<string, unknown>,
  ids: { traceId: string; spanId?: string; parentId?: string; name?: string; start?: string; kindHint?: string },
  feedback: TraceFeedback[],
  where: Where,
  seq: number,
): TraceSpan {
  const kind = spanKind(str(at(attrs, 'openinference.span.kind')) ?? ids.kindHint);
  const span: TraceSpan = { traceId: ids.traceId, spanId: ids.spanId, parentId: ids.parentId, kind, name: ids.name, start: ids.start, feedback, where, seq };
  const input = at(attrs, 'input.value');
  const output = at(attrs, 'output.value');
  if (kind === 'retriever') {
    span.query = queryText(input);
    ({ documents: span.documents, problem: span.problem } = servedDocuments(at(attrs, 'retrieval.documents'), 'retrieval.documents'));
  } else if (kind === 'reranker') {
    span.query = str(at(attrs, 'reranker.query')) ?? queryText(input);
    ({ documents: span.documents, problem: span.problem } = servedDocuments(at(attrs, 'reranker.output_documents'), 'reranker.output_documents'));
  } else if (kind === 'llm') {
    span.query = lastUser(at(attrs, 'llm.input_messages')) ?? queryText(input);
    span.answer = lastAssistant(at(attrs, 'llm.output_messages')) ?? answerText(output);
  } else {
    span.query = queryText(input);
    span.answer = answerText(output);
  }
  // Feedback recorded as span attributes (a convention some applications use; OpenInference has none).
  const fb = at(attrs, 'feedback');
  if (isObject(fb)) {
    const f = { name: 'feedback', score: num(fb.score), label: str(fb.label), comment: str(fb.comment) };
    if (f.score !== undefined || f.label !== undefined) span.feedback.push(f);
  }
  return span;
}

function lastUser(v: unknown): string | undefined {
  const ms = messages(v);
  return ms?.filter((m) => m.role === 'user' || m.role === 'human').pop()?.text;
}

function lastAssistant(v: unknown): string | undefined {
  const ms = messages(v);
  return ms?.filter((m) => m.role === 'assistant' || m.role === 'ai' || m.role === 'model').pop()?.text;
}

export function spanKind(k: string | undefined): SpanKind {
  switch (k?.toUpperCase()) {
    case 'RETRIEVER':
      return 'retriever';
    case 'RERANKER':
      return 'reranker';
    case 'LLM':
      return 'llm';
    case 'CHAIN':
    case 'AGENT':
      return 'chain';
    default:
      return 'other';
  }
}

function annotation(a: unknown): TraceFeedback | undefined {
  if (!isObject(a)) return undefined;
  const r = isObject(a.result) ? a.result : a;
  const f = { name: str(a.name), score: num(r.score), label: str(r.label), comment: str(r.explanation) ?? str(r.comment) };
  return f.score !== undefined || f.label !== undefined ? f : undefined;
}

function at(v: unknown, dotted: string): unknown {
  return getPath(v, dotted).value;
}
