import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { evaluateRetriever, spanItemId } from '../../../../src/core/eval/evaluate-retriever';
import { matchKey } from '../../../../src/core/eval/query-log';
import { readRecordedRun, writeRecordedRun, type RecordedTrace } from '../../../../src/core/eval/trace-store';
import { RecordedRetriever } from '../../../../src/core/eval/recorded-retriever';
import { RetrieverError } from '../../../../src/core/retrieve/retriever';

const A = 'Alpha intro. Keys rotate from the console under Settings. Alpha outro with more words.';
const B = 'Beta intro. Invoices are sent monthly. Beta outro.';
const DOCS = [
  { id: 'docs/a.md', path: 'docs/a.md', title: 'a', text: A, language: 'markdown', size: A.length },
  { id: 'docs/b.md', path: 'docs/b.md', title: 'b', text: B, language: 'markdown', size: B.length },
] as SourceDocument[];

const t = (traceId: string, query: string, timestamp: string, documents: RecordedTrace['documents'], queryKey = matchKey(query)): RecordedTrace => ({ traceId, query, queryKey, timestamp, retrieved: true, documents, feedback: [], source: { file: 'f' } });

describe('RecordedRetriever: a production run replayed by query', () => {
  it('finds a trace by match key or loose key, replays the latest of several, truncates at k, keeps order with stand-in scores, and fails a query no trace asked', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-rec-'));
    const file = path.join(ws, '.retrieval-lens', 'traces', 'prod', 'run.jsonl');
    writeRecordedRun(file, 'prod', [
      t('new', 'Rotate keys', '2026-05-02T00:00:00.000Z', [{ rank: 1, id: 'docs/a.md', text: 'Keys rotate from the console under Settings.' }, { rank: 2, path: 'docs/b.md' }, { rank: 3, id: 'kb-9' }]),
      t('old', 'rotate   KEYS', '2026-05-01T00:00:00.000Z', [{ rank: 1, id: 'docs/b.md', score: 3 }]),
    ], { file: '/x', format: 'jsonl', importedAt: '2026-05-03T00:00:00.000Z', traces: 2, answersDropped: false });
    assert.equal(readRecordedRun(file).traces.length, 2);
    const r = RecordedRetriever.open(ws, 'trace:prod');
    assert.equal(r.name, 'trace:prod');
    assert.equal(r.endpoint, path.join('.retrieval-lens', 'traces', 'prod', 'run.jsonl'));
    assert.deepEqual(await r.search('rotate keys!', 2), [
      { rank: 1, score: 3, id: 'docs/a.md', text: 'Keys rotate from the console under Settings.' },
      { rank: 2, score: 2, id: 'docs/b.md', path: 'docs/b.md' },
    ]);
    await assert.rejects(r.search('something else', 5), (e: unknown) => e instanceof RetrieverError && /no recorded trace asked this query/.test(e.message));
    assert.throws(() => RecordedRetriever.open(ws, 'trace:nope'), /no recorded run "nope" .*\(recorded: trace:prod\)/);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('chunk level through evaluateRetriever: a served passage with text is placed exactly and finds the labeled span; ids the workspace lacks are unplaced and counted', async () => {
    const quote = 'Keys rotate from the console under Settings.';
    const start = A.indexOf(quote);
    const queries: EvalQuery[] = [{ id: 'q1', text: 'Rotate keys', split: 'eval', judgments: [{ grade: 2, target: { type: 'span', docId: 'docs/a.md', start, end: start + quote.length, exact: quote, prefix: '', suffix: '' } }] }];
    const run = { file: 'f', header: { kind: 'retrieval-lens.recorded-run' as const, version: 1 as const, name: 'prod', updatedAt: '', sources: [] }, traces: [t('x', 'Rotate keys', '2026-01-01T00:00:00.000Z', [{ rank: 1, id: 'kb-9', text: 'elsewhere' }, { rank: 2, id: 'docs/a.md', text: quote }])] };
    const res = await evaluateRetriever(new RecordedRetriever('trace:prod', run, 'f'), DOCS, queries, { level: 'chunk', depth: 10 });
    assert.deepEqual(res.ranking.get('q1'), ['hit:1:kb-9', spanItemId('docs/a.md', start, start + quote.length)]);
    assert.equal(res.placement.exact, 1);
    assert.equal(res.placement.unplaced, 1);
    assert.equal(res.metrics.all.recip_rank, 0.5);
    assert.equal(res.manifest.kind, 'recorded');
  });
});
