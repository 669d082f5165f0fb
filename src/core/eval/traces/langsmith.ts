import { answerText, clean, servedDocuments, isObject, isoTime, num, queryText, str, type SpanKind, type TraceFeedback, type TraceSink, type Where } from './trace-model';

/**
 * LangSmith exports (the Run and Feedback schemas of the langsmith SDK 0.1–0.4, as `client.list_runs` /
 * `read_run` dumped to JSON or JSONL write them):
 *  - a run: { id, trace_id, parent_run_id, run_type: chain | llm | retriever | tool | prompt | parser | embedding,
 *    name, start_time, inputs, outputs, child_runs?, feedback?, feedback_stats? };
 *  - feedback: { run_id, trace_id?, key, score, value, comment }.
 * Retriever runs hold the documents as outputs.documents [{ page_content, metadata }]; the root run the question and
 * the answer; child_runs are read as runs of the same trace.
 */
export function readLangSmithRecord(value: unknown, where: Where, sink: TraceSink): void {
  if (!isObject(value)) return void sink.skipped.push({ where, reason: 'not a JSON object' });
  if (str(value.run_id) && str(value.key) && value.run_type === undefined) {
    const f = feedback(value);
    if (f) sink.feedback.push({ spanId: str(value.run_id), traceId: str(value.trace_id), feedback: f, where });
    else sink.skipped.push({ where, reason: `feedback "${str(value.key)}" has neither a score nor a value` });
    return;
  }
  if (!str(value.id) || !str(value.run_type)) return void sink.skipped.push({ where, reason: 'neither a LangSmith run (id and run_type) nor feedback (run_id and key)' });
  run(value, where, sink, undefined);
}

function run(r: Record<string, unknown>, where: Where, sink: TraceSink, parentTrace: string | undefined): void {
  const id = str(r.id) as string;
  const parentId = str(r.parent_run_id);
  // A root run without trace_id is its own trace; a child without one is resolved through its parent later.
  const traceId = str(r.trace_id) ?? parentTrace ?? (parentId ? `run:${parentId}` : id);
  const t = str(r.run_type)?.toLowerCase();
  const kind: SpanKind = t === 'retriever' ? 'retriever' : t === 'llm' ? 'llm' : t === 'chain' ? 'chain' : 'other';
  const fb: TraceFeedback[] = (Array.isArray(r.feedback) ? r.feedback : []).map(feedback).filter((f): f is TraceFeedback => !!f);
  if (isObject(r.feedback_stats)) {
    for (const [key, s] of Object.entries(r.feedback_stats)) if (isObject(s) && num(s.avg) !== undefined && !fb.some((f) => f.name === key)) fb.push({ name: key, score: num(s.avg) });
  }
  const served = kind === 'retriever' ? servedDocuments(isObject(r.outputs) && r.outputs.documents !== undefined ? r.outputs.documents : r.outputs, 'outputs.documents') : undefined;
  sink.spans.push({
    traceId,
    spanId: id,
    parentId,
    kind,
    name: str(r.name),
    start: isoTime(r.start_time),
    query: queryText(r.inputs),
    answer: kind === 'retriever' ? undefined : answerText(r.outputs),
    documents: served?.documents,
    problem: served?.problem,
    feedback: fb,
    where,
    seq: sink.seq++,
  });
  (Array.isArray(r.child_runs) ? r.child_runs : []).forEach((c, i) => {
    if (isObject(c) && str(c.id)) run(c, clean({ line: where.line, path: `${where.path ? `${where.path}.` : ''}child_runs[${i}]` }), sink, traceId);
  });
}

function feedback(f: unknown): TraceFeedback | undefined {
  if (!isObject(f)) return undefined;
  const score = num(f.score);
  const label = str(f.value) ?? (typeof f.value === 'boolean' ? String(f.value) : undefined);
  if (score === undefined && label === undefined) return undefined;
  return { name: str(f.key), score, label, comment: str(f.comment) };
}
