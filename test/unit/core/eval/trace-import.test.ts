import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { assignSplit, logQueryId, matchKey } from '../../../../src/core/eval/query-log';
import { planTraceImport, readTraceFile, type ImportedTrace } from '../../../../src/core/eval/trace-import';
import { parseFieldMap } from '../../../../src/core/eval/traces/generic-jsonl';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rl-traces-'));
const byId = (traces: ImportedTrace[]) => new Map(traces.map((t) => [t.traceId, t]));
const kv = (key: string, value: Record<string, unknown>) => ({ key, value });
const s = (v: string) => ({ stringValue: v });

/**
 * OpenInference spans as Phoenix exports them (JSONL, one span per line; openinference-semantic-conventions 0.1.x):
 * flattened attributes on one trace, nested on the other, a span annotation on the span and one as its own record,
 * a document id no workspace has, the same question in two traces, a malformed line and a span with no trace id.
 */
const OPENINFERENCE = [
  { name: 'rag', context: { trace_id: 't1', span_id: 's1' }, parent_id: null, span_kind: 'CHAIN', start_time: '2026-01-01T10:00:00Z', attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': 'How do I rotate the API key?', 'output.value': 'Open the console and click Rotate.' }, annotations: [{ name: 'user_feedback', result: { label: 'thumbs_down', score: 0, explanation: 'the steps are wrong' } }] },
  {
    name: 'retrieve',
    context: { trace_id: 't1', span_id: 's2' },
    parent_id: 's1',
    start_time: '2026-01-01T10:00:01Z',
    attributes: {
      'openinference.span.kind': 'RETRIEVER',
      'input.value': 'How do I rotate the API key?',
      'retrieval.documents.0.document.id': 'docs/keys.md',
      'retrieval.documents.0.document.content': 'Rotate keys from the console.',
      'retrieval.documents.0.document.score': 0.91,
      'retrieval.documents.0.document.metadata': '{"source":"docs/keys.md"}',
      'retrieval.documents.1.document.id': 'kb-7731',
      'retrieval.documents.1.document.content': 'A page the workspace does not have.',
      'retrieval.documents.1.document.score': 0.42,
    },
  },
  'RAW:{"name": "broken", "context": {',
  { name: 'llm', context: { trace_id: 't1', span_id: 's3' }, parent_id: 's1', start_time: '2026-01-01T10:00:02Z', attributes: { openinference: { span: { kind: 'LLM' } }, llm: { output_messages: [{ message: { role: 'assistant', content: 'Open the console and click Rotate.' } }] } } },
  'RAW:',
  { name: 'orphan', attributes: { 'openinference.span.kind': 'CHAIN' } },
  { name: 'retrieve', context: { trace_id: 't2', span_id: 't2-r' }, start_time: '2026-01-02T09:00:00Z', attributes: { openinference: { span: { kind: 'RETRIEVER' } }, input: { value: '{"query": "how do I rotate the  API key?"}', mime_type: 'application/json' }, retrieval: { documents: [{ document: { id: 'docs/other.md', content: 'Other text', score: 0.5 } }] } } },
  { span_id: 't2-r', name: 'user', annotator_kind: 'HUMAN', result: { label: 'thumbs_up', score: 1 } },
];

function writeJsonl(file: string, rows: unknown[]): void {
  fs.writeFileSync(file, `${rows.map((r) => (typeof r === 'string' && r.startsWith('RAW:') ? r.slice(4) : JSON.stringify(r))).join('\n')}\n`);
}

describe('trace readers: each format to traces (query, served passages, answer, feedback)', () => {
  it('OpenInference JSONL: flattened and nested attributes, annotations, bad lines named by line', async () => {
    const dir = tmp();
    const file = path.join(dir, 'spans.jsonl');
    writeJsonl(file, OPENINFERENCE);
    const r = await readTraceFile(file, { format: 'openinference' });
    assert.equal(r.traces.length, 2);
    const t1 = byId(r.traces).get('t1') as ImportedTrace;
    assert.equal(t1.query, 'How do I rotate the API key?');
    assert.deepEqual(t1.documents, [
      { rank: 1, id: 'docs/keys.md', path: 'docs/keys.md', text: 'Rotate keys from the console.', score: 0.91 },
      { rank: 2, id: 'kb-7731', text: 'A page the workspace does not have.', score: 0.42 },
    ]);
    assert.equal(t1.answer, 'Open the console and click Rotate.');
    assert.deepEqual(t1.feedback, [{ name: 'user_feedback', score: 0, label: 'thumbs_down', comment: 'the steps are wrong' }]);
    assert.equal(t1.timestamp, '2026-01-01T10:00:00.000Z');
    const t2 = byId(r.traces).get('t2') as ImportedTrace;
    assert.equal(t2.query, 'how do I rotate the  API key?');
    assert.deepEqual(t2.documents, [{ rank: 1, id: 'docs/other.md', text: 'Other text', score: 0.5 }]);
    assert.deepEqual(t2.feedback, [{ name: 'user', score: 1, label: 'thumbs_up', comment: undefined }]);
    assert.deepEqual(
      r.skipped.map((k) => [k.where.line, k.reason.replace(/:.*/, '')]),
      [
        [3, 'invalid JSON'],
        [6, 'no trace id (context.trace_id)'],
      ],
    );
    assert.equal(r.recordsRead, 7);
  });

  it('OTLP/JSON (gzip, one pretty-printed document): GenAI conventions and OpenInference attributes over OTLP; a span without traceId named by its path', async () => {
    const dir = tmp();
    const docs = JSON.stringify([{ id: 'docs/refunds.md', score: 0.8 }, { id: 'docs/shipping.md', score: 0.4 }]);
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [kv('service.name', s('support-bot'))] },
          scopeSpans: [
            {
              scope: { name: 'rag' },
              spans: [
                { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'invoke_agent support', startTimeUnixNano: '1767261600000000000', attributes: [kv('gen_ai.operation.name', s('invoke_agent')), kv('feedback.score', { doubleValue: 0 }), kv('feedback.label', s('thumbs_down'))] },
                { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b175', parentSpanId: 'eee19b7ec3c1b174', name: 'retrieval', startTimeUnixNano: '1767261601000000000', attributes: [kv('gen_ai.operation.name', s('retrieval')), kv('gen_ai.retrieval.query.text', s('what is the refund window')), kv('gen_ai.retrieval.documents', s(docs))] },
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b176',
                  parentSpanId: 'eee19b7ec3c1b174',
                  name: 'chat gpt-4o',
                  startTimeUnixNano: '1767261602000000000',
                  attributes: [
                    kv('gen_ai.operation.name', s('chat')),
                    kv('gen_ai.input.messages', s(JSON.stringify([{ role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] }, { role: 'user', parts: [{ type: 'text', content: 'what is the refund window' }] }]))),
                    kv('gen_ai.output.messages', s(JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: '30 days from delivery.' }], finish_reason: 'stop' }]))),
                  ],
                },
                {
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: 'b7ad6b7169203331',
                  name: 'retriever',
                  attributes: [kv('openinference.span.kind', s('RETRIEVER')), kv('input.value', s('Do you ship to Norway?')), kv('retrieval.documents.0.document.id', s('docs/shipping.md')), kv('retrieval.documents.0.document.score', { doubleValue: 0.7 }), kv('retrieval.documents.1.document.id', { intValue: '42' })],
                },
                { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203332', parentSpanId: 'b7ad6b7169203331', name: 'completion', attributes: [kv('gen_ai.operation.name', s('text_completion'))], events: [{ name: 'gen_ai.content.completion', attributes: [kv('gen_ai.completion', s('Yes, in 5 days.'))] }] },
                { spanId: 'no-trace', name: 'lost' },
              ],
            },
          ],
        },
      ],
    };
    const file = path.join(dir, 'otlp.json.gz');
    fs.writeFileSync(file, zlib.gzipSync(JSON.stringify(request, null, 2)));
    const r = await readTraceFile(file, { format: 'otlp' });
    const t = byId(r.traces);
    const a = t.get('5b8efff798038103d269b633813fc60c') as ImportedTrace;
    assert.equal(a.query, 'what is the refund window');
    assert.deepEqual(a.documents, [{ rank: 1, id: 'docs/refunds.md', score: 0.8 }, { rank: 2, id: 'docs/shipping.md', score: 0.4 }]);
    assert.equal(a.answer, '30 days from delivery.');
    assert.deepEqual(a.feedback, [{ name: 'feedback', score: 0, label: 'thumbs_down', comment: undefined }]);
    assert.equal(a.timestamp, '2026-01-01T10:00:00.000Z');
    const b = t.get('0af7651916cd43dd8448eb211c80319c') as ImportedTrace;
    assert.equal(b.query, 'Do you ship to Norway?');
    assert.deepEqual(b.documents, [{ rank: 1, id: 'docs/shipping.md', score: 0.7 }, { rank: 2, id: '42' }]);
    assert.equal(b.answer, 'Yes, in 5 days.');
    assert.deepEqual(r.skipped, [{ where: { path: 'resourceSpans[0].scopeSpans[0].spans[5]' }, reason: 'no "traceId"' }]);
  });

  it('Langfuse: a downloaded trace (observations and scores inside) and a JSONL table export (observations, traces and scores as lines)', async () => {
    const dir = tmp();
    const one = path.join(dir, 'trace-lf-1.json');
    fs.writeFileSync(
      one,
      JSON.stringify(
        {
          id: 'lf-1',
          name: 'rag',
          timestamp: '2026-02-01T08:00:00.000Z',
          input: { question: 'Can I pay by invoice?' },
          output: { answer: 'No.' },
          observations: [
            { id: 'o1', traceId: 'lf-1', type: 'RETRIEVER', name: 'vector-search', startTime: '2026-02-01T08:00:00.100Z', input: { query: 'Can I pay by invoice?' }, output: [{ page_content: 'Invoices are available on Enterprise plans.', metadata: { source: 'docs/billing.md' } }] },
            { id: 'o2', traceId: 'lf-1', type: 'GENERATION', name: 'answer', startTime: '2026-02-01T08:00:00.300Z', parentObservationId: null, output: { role: 'assistant', content: 'No.' } },
          ],
          scores: [{ name: 'user-feedback', value: 0, comment: 'It is possible on Enterprise', dataType: 'NUMERIC' }],
        },
        null,
        2,
      ),
    );
    const r1 = await readTraceFile(one, { format: 'langfuse' });
    assert.equal(r1.traces.length, 1);
    assert.deepEqual(r1.traces[0], {
      traceId: 'lf-1',
      query: 'Can I pay by invoice?',
      retrieved: true,
      documents: [{ rank: 1, path: 'docs/billing.md', text: 'Invoices are available on Enterprise plans.' }],
      answer: 'No.',
      feedback: [{ name: 'user-feedback', score: 0, label: undefined, comment: 'It is possible on Enterprise' }],
      timestamp: '2026-02-01T08:00:00.000Z',
      where: {},
    });
    const lines = path.join(dir, 'export.jsonl');
    writeJsonl(lines, [
      { id: 'o9', traceId: 'lf-2', type: 'SPAN', name: 'retrieve-docs', startTime: '2026-02-02T08:00:00Z', input: 'refund window', output: { documents: [{ id: 'docs/refunds.md', content: 'Refunds within 30 days.', score: 0.77 }] } },
      { id: 'lf-2', name: 'rag', timestamp: '2026-02-02T08:00:00Z', input: 'refund window', output: '30 days' },
      { traceId: 'lf-2', name: 'thumbs', value: 0, stringValue: 'thumbs_down', dataType: 'CATEGORICAL' },
      { traceId: 'lf-404', name: 'thumbs', value: 1 },
      { hello: 'world' },
    ]);
    const r2 = await readTraceFile(lines, { format: 'langfuse' });
    assert.equal(r2.traces.length, 1);
    assert.equal(r2.traces[0].query, 'refund window');
    assert.deepEqual(r2.traces[0].documents, [{ rank: 1, id: 'docs/refunds.md', text: 'Refunds within 30 days.', score: 0.77 }]);
    assert.equal(r2.traces[0].answer, '30 days');
    assert.deepEqual(r2.traces[0].feedback, [{ name: 'thumbs', score: undefined, label: 'thumbs_down', comment: undefined }]);
    assert.deepEqual(r2.skipped.map((k) => k.where.line), [5, 4]);
    assert.match(r2.skipped[1].reason, /feedback for trace "lf-404", which is in no trace of the file/);
  });

  it('LangSmith: runs with child_runs, a child written on its own line without trace_id, feedback records, a record that is neither, a retriever whose documents are unreadable', async () => {
    const dir = tmp();
    const file = path.join(dir, 'runs.jsonl');
    writeJsonl(file, [
      {
        id: 'r1',
        trace_id: 'r1',
        run_type: 'chain',
        name: 'RAG',
        start_time: '2026-03-01T12:00:00.000000',
        inputs: { question: 'How do I reset 2FA?' },
        outputs: { output: 'Ask an admin.' },
        child_runs: [{ id: 'r2', trace_id: 'r1', parent_run_id: 'r1', run_type: 'retriever', name: 'Retriever', inputs: { query: 'How do I reset 2FA?' }, outputs: { documents: [{ page_content: 'Admins reset 2FA under Users.', metadata: { source: 'docs/2fa.md' }, type: 'Document' }, { page_content: 'Unrelated', metadata: { id: 'kb-1' }, type: 'Document' }] } }],
      },
      { id: 'r3', parent_run_id: 'r1', run_type: 'llm', name: 'ChatOpenAI', inputs: { messages: [] }, outputs: { generations: [[{ text: 'Ask an admin.' }]] } },
      { run_id: 'r3', key: 'user_score', score: 0, comment: 'useless' },
      { id: 'x' },
      { id: 'r5', trace_id: 'r1', parent_run_id: 'r1', run_type: 'retriever', inputs: { query: 'reset 2FA' }, outputs: { documents: 'oops' } },
    ]);
    const r = await readTraceFile(file, { format: 'langsmith' });
    assert.equal(r.traces.length, 1);
    const t = r.traces[0];
    assert.equal(t.traceId, 'r1');
    assert.equal(t.query, 'How do I reset 2FA?');
    assert.deepEqual(t.documents, [{ rank: 1, path: 'docs/2fa.md', text: 'Admins reset 2FA under Users.' }, { rank: 2, id: 'kb-1', text: 'Unrelated' }]);
    assert.equal(t.answer, 'Ask an admin.');
    assert.deepEqual(t.feedback, [{ name: 'user_score', score: 0, label: undefined, comment: 'useless' }]);
    assert.deepEqual(r.skipped, [
      { where: { line: 4 }, reason: 'neither a LangSmith run (id and run_type) nor feedback (run_id and key)' },
      { where: { line: 5 }, reason: 'trace "r1", span "r5": "outputs.documents" is not a list of documents: this span\'s passages are left out' },
    ]);
  });

  it('generic JSONL (gzip) with --map dotted paths, the same getter as the http retriever; lines of one trace id merge; bad values named by line', async () => {
    const dir = tmp();
    const file = path.join(dir, 'requests.log');
    const rows = [
      { rid: 'g1', ts: 1767261600, req: { q: 'Where are invoices?' }, ctx: { hits: [{ doc: 'docs/billing.md', body: 'Invoices live under Billing.', s: 0.9 }, { doc: 'docs/nope.md', s: 0.1 }] }, resp: 'Under Billing.' },
      { rid: 'g1', rating: { thumb: 'down' }, note: 'not there' },
      { rid: 'g2', req: { q: 'where are  invoices' }, ctx: { hits: [{ doc: 'docs/billing.md', s: 'high' }] } },
      { rid: 'g3', other: 1 },
      { rid: 'g4', req: { q: 'Export data' }, ctx: { hits: [] }, rating: { thumb: 'up' } },
    ];
    fs.writeFileSync(file, zlib.gzipSync(`${rows.map((x) => JSON.stringify(x)).join('\n')}\n`));
    const map = parseFieldMap('query=req.q,documents=ctx.hits,id=doc,text=body,score=s,answer=resp,label=rating.thumb,comment=note,trace=rid,timestamp=ts');
    const r = await readTraceFile(file, { format: 'jsonl', map });
    const t = byId(r.traces);
    assert.deepEqual([...t.keys()], ['g1', 'g4']);
    assert.deepEqual(t.get('g1'), {
      traceId: 'g1',
      query: 'Where are invoices?',
      retrieved: true,
      documents: [{ rank: 1, id: 'docs/billing.md', text: 'Invoices live under Billing.', score: 0.9 }, { rank: 2, id: 'docs/nope.md', score: 0.1 }],
      answer: 'Under Billing.',
      feedback: [{ name: 'feedback', label: 'down', comment: 'not there' }],
      timestamp: '2026-01-01T10:00:00.000Z',
      where: { line: 1 },
    });
    assert.deepEqual(r.skipped, [
      { where: { line: 3 }, reason: 'ctx.hits[0].s is not a number' },
      { where: { line: 4 }, reason: 'none of "req.q", "ctx.hits", "feedback" or "rating.thumb"' },
    ]);
    assert.throws(() => parseFieldMap('query=q,colour=red'), /--map "colour=red": expected KEY=PATH with KEY one of query, documents/);
  });

  it('a file that is neither JSONL nor one JSON document is one error naming the file and line', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '[\n  {"a": 1},\n  {"b": \n]\n');
    await assert.rejects(readTraceFile(file, { format: 'langsmith' }), (e: Error) => /bad\.json:4: invalid JSON/.test(e.message));
  });
});

describe('traces → real queries: the import-queries engine (near-duplicates, sampling, split, idempotence), source "trace" with trace ids', () => {
  it('the same question in two traces is one query with both trace ids; its split is the hash rule; a second import adds nothing; --drop-answers keeps no answer or comment', async () => {
    const dir = tmp();
    const file = path.join(dir, 'spans.jsonl');
    writeJsonl(file, OPENINFERENCE);
    const existing: EvalQuery[] = [];
    const plan = await planTraceImport(file, existing, { format: 'openinference', trainShare: 0.5 });
    assert.equal(plan.added.length, 1);
    const key = matchKey('How do I rotate the API key?');
    assert.deepEqual(plan.added[0], { id: logQueryId(key), text: 'How do I rotate the API key?', split: assignSplit(key, 0.5), judgments: [], source: 'trace', frequency: 2, traces: ['t1', 't2'] });
    assert.deepEqual(plan.repeated, [{ text: 'How do I rotate the API key?', traces: 2 }]);
    assert.deepEqual(plan.recorded.map((t) => [t.traceId, t.queryId, t.queryKey]), [
      ['t1', plan.added[0].id, key],
      ['t2', plan.added[0].id, key],
    ]);
    assert.equal(plan.recorded[0].answer, 'Open the console and click Rotate.');
    const again = await planTraceImport(file, plan.added, { format: 'openinference', trainShare: 0.5 });
    assert.equal(again.added.length, 0);
    assert.deepEqual(again.alreadyPresent, [{ text: 'How do I rotate the API key?', id: plan.added[0].id }]);
    const dropped = await planTraceImport(file, [], { format: 'openinference', dropAnswers: true });
    assert.ok(dropped.recorded.every((t) => t.answer === undefined && t.feedback.every((f) => f.comment === undefined)));
    assert.equal(dropped.recorded[0].feedback[0].label, 'thumbs_down');
    assert.ok(!JSON.stringify(dropped.recorded).includes('the steps are wrong'));
  });

  it('sampling draws from the trace queries with the log sampler (top N by frequency)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'gen.jsonl');
    const rows = ['alpha question', 'alpha question', 'alpha question', 'beta question', 'beta question', 'gamma question'].map((q, i) => ({ trace_id: `x${i}`, query: q, documents: [{ id: `d${i}` }] }));
    writeJsonl(file, rows);
    const plan = await planTraceImport(file, [], { format: 'jsonl', sample: 2, strategy: 'top' });
    assert.deepEqual(plan.added.map((q) => [q.text, q.frequency, q.traces]), [
      ['alpha question', 3, ['x0', 'x1', 'x2']],
      ['beta question', 2, ['x3', 'x4']],
    ]);
    // The unsampled query's trace is still recorded (replayable), without a query id.
    assert.equal(plan.recorded.find((t) => t.traceId === 'x5')?.queryId, undefined);
  });
});
