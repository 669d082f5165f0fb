import { answerText, clean, documentsFrom, isObject, isoTime, num, queryText, str, type SpanKind, type TraceFeedback, type TraceSink, type Where } from './trace-model';

/**
 * Langfuse exports (public API v1 trace and observation objects, as the UI's "Download JSON" of a trace and the
 * table exports write them — Langfuse v3):
 *  - a trace: { id, name, timestamp, input, output, observations: [ … ], scores: [ … ] } (observations may be ids only);
 *  - an observation: { id, traceId, type: SPAN | GENERATION | EVENT | RETRIEVER | AGENT | TOOL | CHAIN | …,
 *    name, startTime, input, output, parentObservationId };
 *  - a score: { traceId, observationId?, name, value, stringValue?, comment, dataType }.
 * A RETRIEVER observation (or a SPAN/TOOL whose name says "retriev" and whose output is a list of documents) holds the
 * served passages; the last GENERATION the answer; the trace's own input/output the question and the answer shown.
 */
export function readLangfuseRecord(value: unknown, where: Where, sink: TraceSink): void {
  if (!isObject(value)) return void sink.skipped.push({ where, reason: 'not a JSON object' });
  if (str(value.traceId) && str(value.type)) return observation(value, str(value.traceId) as string, where, sink);
  if (str(value.traceId) && value.value !== undefined && str(value.name)) {
    const f = score(value);
    if (f) sink.feedback.push({ traceId: str(value.traceId), spanId: str(value.observationId), feedback: f, where });
    return;
  }
  const id = str(value.id);
  if (!id || (value.observations === undefined && value.input === undefined && value.scores === undefined)) {
    return void sink.skipped.push({ where, reason: 'neither a Langfuse trace (id with input, observations or scores), an observation (traceId and type) nor a score (traceId, name, value)' });
  }
  const feedback = (Array.isArray(value.scores) ? value.scores : []).map(score).filter((f): f is TraceFeedback => !!f);
  sink.spans.push({ traceId: id, spanId: id, kind: 'chain', name: str(value.name), start: isoTime(value.timestamp), query: queryText(value.input), answer: answerText(value.output), feedback, where, seq: sink.seq++ });
  (Array.isArray(value.observations) ? value.observations : []).forEach((o, i) => {
    if (isObject(o)) observation(o, id, clean({ line: where.line, path: `${where.path ? `${where.path}.` : ''}observations[${i}]` }), sink, id);
  });
}

function observation(o: Record<string, unknown>, traceId: string, where: Where, sink: TraceSink, rootId?: string): void {
  const type = str(o.type)?.toUpperCase();
  const name = str(o.name);
  const docs = documentsFrom(o.output);
  const kind: SpanKind =
    type === 'RETRIEVER' || ((type === 'SPAN' || type === 'TOOL') && /retriev/i.test(name ?? '') && docs) ? 'retriever' : type === 'GENERATION' ? 'llm' : type === 'EVENT' ? 'other' : 'chain';
  sink.spans.push({
    traceId,
    spanId: str(o.id),
    parentId: str(o.parentObservationId) ?? rootId ?? traceId,
    kind,
    name,
    start: isoTime(o.startTime),
    query: queryText(o.input),
    answer: kind === 'retriever' ? undefined : answerText(o.output),
    documents: kind === 'retriever' ? (docs ?? []) : undefined,
    problem: kind === 'retriever' && !docs && o.output !== undefined && o.output !== null ? '"output" is not a list of documents: this observation\'s passages are left out' : undefined,
    feedback: [],
    where,
    seq: sink.seq++,
  });
}

function score(s: unknown): TraceFeedback | undefined {
  if (!isObject(s)) return undefined;
  const value = num(s.value);
  const label = str(s.stringValue) ?? (typeof s.value === 'string' && value === undefined ? s.value : undefined);
  if (value === undefined && label === undefined) return undefined;
  return { name: str(s.name), score: str(s.dataType)?.toUpperCase() === 'CATEGORICAL' && label !== undefined ? undefined : value, label, comment: str(s.comment) };
}
