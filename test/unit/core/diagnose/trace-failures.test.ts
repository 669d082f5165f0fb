import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { classifyTraceFailures, describeTraceFailures, isNegative, productionFailures, productionFailuresItem, type TraceFailureReport, type TraceOutcome } from '../../../../src/core/diagnose/trace-failures';
import type { EvalQuery, Judgment } from '../../../../src/core/eval/evalset-types';
import { documentLookup } from '../../../../src/core/eval/hit-placement';
import { matchKey } from '../../../../src/core/eval/query-log';
import { seededRandom } from '../../../../src/core/eval/significance';
import { planTraceImport } from '../../../../src/core/eval/trace-import';
import type { RecordedTrace } from '../../../../src/core/eval/trace-store';
import type { TraceDocument, TraceFeedback } from '../../../../src/core/eval/traces/trace-model';
import { scifactDir, skipUnlessShared } from '../../../helpers/shared';

const KEYS = 'Intro text. To rotate an API key open Settings, then Keys, then click Rotate. Old keys stop working after one hour. Unrelated closing paragraph about quotas and limits.';
const doc = (id: string, text: string): SourceDocument => ({ id, path: id, title: id, text, language: 'markdown', size: text.length }) as SourceDocument;
const DOCS = [doc('docs/keys.md', KEYS), doc('docs/billing.md', 'Invoices are available on Enterprise plans.'), doc('docs/other.md', 'Shipping to Europe takes five days.')];
const span = (docId: string, text: string, quote: string, grade: 0 | 1 | 2 | 3): Judgment => {
  const start = text.indexOf(quote);
  return { grade, target: { type: 'span', docId, start, end: start + quote.length, exact: quote, prefix: '', suffix: '' } };
};
const docJ = (docId: string, grade: 0 | 1 | 2 | 3): Judgment => ({ grade, target: { type: 'document', docId } });
const q = (id: string, text: string, judgments: Judgment[]): EvalQuery => ({ id, text, split: 'eval', judgments });
const trace = (traceId: string, query: string, documents: Array<Omit<TraceDocument, 'rank'>>, feedback: TraceFeedback[], extra: Partial<RecordedTrace> = {}): RecordedTrace => ({
  traceId,
  query,
  queryKey: matchKey(query),
  retrieved: true,
  documents: documents.map((d, i) => ({ rank: i + 1, ...d })),
  feedback,
  source: { file: 'x' },
  ...extra,
});

describe('trace-failures: a failed trace is a retrieval, generation, missing-document or unjudged failure, with evidence', () => {
  it('classifies a scripted set of failed traces, unjudged first, each with which passage at which rank', () => {
    const rotate = 'To rotate an API key open Settings, then Keys, then click Rotate.';
    const queries = [
      q('q1', 'How do I rotate an API key?', [span('docs/keys.md', KEYS, rotate, 2), docJ('docs/other.md', 0)]),
      q('q2', 'Can I pay by invoice?', [docJ('docs/billing.md', 1)]),
      q('q3', 'Do you ship to Mars?', [docJ('docs/other.md', 0), docJ('docs/billing.md', 0)]),
      q('q4', 'Export my data', []),
    ];
    const down = [{ name: 'user', score: 0 }];
    const traces = [
      // The labeled span was served at rank 2 (exact text): the answer failed, not retrieval.
      trace('A', 'how do i rotate an API key?', [{ id: 'docs/other.md', text: 'Shipping to Europe takes five days.' }, { id: 'docs/keys.md', text: rotate }], down),
      // The labeled document was served, but a passage of it that does not hold the labeled span: retrieval.
      trace('A2', 'How do I rotate an API key?', [{ id: 'docs/keys.md', text: 'Unrelated closing paragraph about quotas and limits.' }], [{ label: 'thumbs_down' }]),
      // Nothing relevant served; one served id is unknown to the workspace (unplaced, said so).
      trace('B', 'Can I pay by invoice?', [{ id: 'docs/other.md' }, { id: 'kb-1', text: 'from another system' }], [{ label: 'Thumbs_Down' }]),
      // The labeled document served by path, without text or offsets: a document label is served.
      trace('G', 'Can I pay by invoice?', [{ path: './docs/billing.md' }], [{ score: -1 }]),
      trace('C', 'Do you ship to Mars?', [{ id: 'docs/other.md' }], [{ score: -1, comment: 'no answer' }]),
      trace('D', 'Export my data', [], down, { retrieved: false }),
      trace('E', 'A question nobody imported', [{ id: 'docs/keys.md' }], down),
      // Not failures: positive, no feedback, and a score above the threshold.
      trace('F', 'Can I pay by invoice?', [{ id: 'docs/other.md' }], [{ score: 1, label: 'thumbs_up' }]),
      trace('H', 'Can I pay by invoice?', [{ id: 'docs/other.md' }], []),
      trace('I', 'Do you ship to Mars?', [{ id: 'docs/other.md' }], [{ score: 0.4 }]),
    ];
    const r = classifyTraceFailures(traces, queries, documentLookup(DOCS));
    assert.deepEqual(r.counts, { unjudged: 2, retrieval: 2, generation: 2, 'missing-document': 1 });
    assert.equal(r.failed, 7);
    assert.equal(r.traces, 10);
    assert.equal(r.withFeedback, 9);
    assert.deepEqual(r.failures.map((f) => [f.traceId, f.outcome]), [
      ['D', 'unjudged'],
      ['E', 'unjudged'],
      ['A2', 'retrieval'],
      ['B', 'retrieval'],
      ['A', 'generation'],
      ['G', 'generation'],
      ['C', 'missing-document'],
    ]);
    const get = (id: string) => r.failures.find((f) => f.traceId === id) as (typeof r.failures)[number];
    const start = KEYS.indexOf(rotate);
    assert.deepEqual(get('A').evidence.map((e) => [e.rank, e.hit, e.docId, e.span, e.grade]), [[2, 'docs/keys.md', 'docs/keys.md', { start, end: start + rotate.length }, 2]]);
    assert.match(get('A').evidence[0].text, new RegExp(`^rank 2: docs/keys\\.md → docs/keys\\.md:${start}-${start + rotate.length} \\[exact\\] holds the labeled span docs/keys\\.md:${start}-${start + rotate.length} \\(grade 2\\)$`));
    assert.equal(get('A').queryId, 'q1');
    assert.match(get('A2').evidence[0].text, new RegExp(`^labeled span docs/keys\\.md:${start}-${start + rotate.length} \\(grade 2\\) was not served$`));
    assert.deepEqual(get('B').evidence.map((e) => e.text), [
      'labeled document docs/billing.md (grade 1) was not served',
      'served 2: 1. docs/other.md; 2. kb-1 (unplaced)',
      'rank 2: kb-1 could not be placed (no workspace document "kb-1"); it cannot be checked against the labels',
    ]);
    assert.match(get('G').evidence[0].text, /^rank 1: \.\/docs\/billing\.md → docs\/billing\.md \[document\] is in the labeled document docs\/billing\.md \(grade 1\)$/);
    assert.match(get('C').evidence[0].text, /^query q3: all 2 labels are grade 0 — nothing relevant in the corpus$/);
    assert.deepEqual(get('D').evidence.map((e) => e.text), ['query q4 has no labels: judge it', 'the trace records no retrieval step: nothing was served']);
    assert.match(get('E').evidence[0].text, /not in the eval set/);
    // A stated threshold: 0.5 makes trace I (score 0.4) a failure too.
    const r2 = classifyTraceFailures(traces, queries, documentLookup(DOCS), { failScore: 0.5 });
    assert.equal(r2.counts['missing-document'], 2);
    assert.ok(isNegative({ label: ' NEGATIVE ' }) && !isNegative({ label: 'thumbs_up', score: 1 }));
    const lines = describeTraceFailures(r);
    assert.equal(lines[1], 'unjudged 2, retrieval 2, generation 2, missing-document 1');
    assert.equal(lines[2], 'unjudged: trace D (q4) "Export my data"');
  });

  it('SciFact: traces written from a fixed ranking with feedback from the qrels; the retrieval/generation split equals the count computed from the qrels', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const dir = scifactDir() as string;
    const corpus = await loadBeirCorpus(dir);
    const docIds = corpus.documents.map((d) => d.id);
    const texts = new Map(fs.readFileSync(path.join(dir, 'queries.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { _id: string; text: string }).map((x) => [x._id, x.text]));
    const qrels = new Map<string, Map<string, number>>();
    for (const line of fs.readFileSync(path.join(dir, 'qrels.trec'), 'utf8').trim().split('\n')) {
      const [qid, , d, g] = line.split(/\s+/);
      const m = qrels.get(qid) ?? new Map<string, number>();
      m.set(d, Number(g));
      qrels.set(qid, m);
    }
    const qids = [...qrels.keys()];
    // The eval set: the qrels as document labels, except every 7th query left unjudged and every 11th judged all-zero.
    const rand = seededRandom(11);
    const queries: EvalQuery[] = qids.map((qid, i) => {
      const rel = [...(qrels.get(qid) as Map<string, number>).keys()];
      const judgments: Judgment[] = i % 7 === 0 ? [] : i % 11 === 0 ? [docJ(docIds.find((d) => !rel.includes(d)) as string, 0)] : rel.map((d) => docJ(d, 1));
      return q(qid, texts.get(qid) as string, judgments);
    });
    // The fixed ranking production served: 10 documents; every 3rd query gets one relevant document at rank 1 + i % 10.
    const rows: unknown[] = [];
    const expected = { retrieval: 0, generation: 0, unjudged: 0, 'missing-document': 0 };
    qids.forEach((qid, i) => {
      const rel = [...(qrels.get(qid) as Map<string, number>).keys()];
      const served: string[] = [];
      while (served.length < 10) {
        const d = docIds[Math.floor(rand() * docIds.length)];
        if (!rel.includes(d) && !served.includes(d)) served.push(d);
      }
      const servesRelevant = i % 3 === 0;
      if (servesRelevant) served[i % 10] = rel[0];
      // Feedback derived from the qrels: the user is unhappy with every second answer, and with every answer whose
      // ranking holds nothing relevant when i % 5 === 1.
      const failed = i % 2 === 0 || (!servesRelevant && i % 5 === 1);
      if (failed) {
        if (i % 7 === 0) expected.unjudged++;
        else if (i % 11 === 0) expected['missing-document']++;
        else if (served.some((d) => rel.includes(d))) expected.generation++;
        else expected.retrieval++;
      }
      const traceId = `sf-${qid}`;
      rows.push({ context: { trace_id: traceId, span_id: `${traceId}-root` }, span_kind: 'CHAIN', attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': texts.get(qid), 'output.value': 'an answer' }, annotations: [{ name: 'user', result: { score: failed ? 0 : 1 } }] });
      rows.push({
        context: { trace_id: traceId, span_id: `${traceId}-ret` },
        parent_id: `${traceId}-root`,
        attributes: { 'openinference.span.kind': 'RETRIEVER', 'input.value': texts.get(qid), ...Object.fromEntries(served.flatMap((d, r) => [[`retrieval.documents.${r}.document.id`, d], [`retrieval.documents.${r}.document.score`, 10 - r]])) },
      });
    });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-sf-traces-'));
    const file = path.join(tmp, 'spans.jsonl');
    fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const plan = await planTraceImport(file, queries, { format: 'openinference' });
    assert.equal(plan.read.skipped.length, 0);
    assert.equal(plan.recorded.length, qids.length);
    assert.equal(plan.added.length, 0, 'every trace query is already in the eval set');
    const report = classifyTraceFailures(plan.recorded, queries, documentLookup(corpus.documents));
    assert.ok(expected.retrieval > 20 && expected.generation > 20, JSON.stringify(expected));
    assert.deepEqual(report.counts, expected);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('production failures in the readiness checklist', () => {
  const report = (counts: Record<TraceOutcome, number>): TraceFailureReport => ({ failScore: 0, traces: 50, withFeedback: 50, failed: Object.values(counts).reduce((s, n) => s + n, 0), counts, failures: [] });
  it('met only when retrieval failures outnumber generation failures; not settled when none is judged; absent with no failure', () => {
    const item = (c: Record<TraceOutcome, number>) => productionFailuresItem([productionFailures('trace:prod', report(c))]);
    assert.equal(item({ unjudged: 0, retrieval: 0, generation: 0, 'missing-document': 0 }), undefined);
    assert.equal(item({ unjudged: 4, retrieval: 0, generation: 0, 'missing-document': 0 })?.state, 'not-settled');
    assert.equal(item({ unjudged: 0, retrieval: 3, generation: 3, 'missing-document': 1 })?.state, 'not-met', 'a tie is not enough to blame retrieval');
    const met = item({ unjudged: 2, retrieval: 5, generation: 1, 'missing-document': 0 });
    assert.equal(met?.state, 'met');
    assert.equal(met?.detail, 'trace:prod: of 8 failed traces, 5 did not serve labeled relevant text that the corpus holds: retrieval failures (1 generation, 0 missing document; 2 not judged yet (judge their queries first))');
    assert.equal(met?.evidence.n, 6);
    // Two runs add up; a run without failures adds nothing.
    const two = productionFailuresItem([productionFailures('trace:a', report({ unjudged: 0, retrieval: 1, generation: 2, 'missing-document': 0 })), productionFailures('trace:b', report({ unjudged: 0, retrieval: 3, generation: 0, 'missing-document': 0 })), productionFailures('trace:c', report({ unjudged: 0, retrieval: 0, generation: 0, 'missing-document': 0 }))]);
    assert.equal(two?.evidence.figure, '4 retrieval, 2 generation of 6 judged failed traces');
    assert.equal(two?.state, 'met');
  });
});
