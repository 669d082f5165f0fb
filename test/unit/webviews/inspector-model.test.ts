import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chunk } from '../../../src/core/chunking/chunk';
import type { Miss } from '../../../src/core/diagnose/diagnose-misses';
import type { EvalQuery, Judgment } from '../../../src/core/eval/evalset-types';
import type { SearchHit } from '../../../src/core/retrieve/types';
import { checkSearch, labelOf, missBaseline, missedSpans, ResultRows, timings } from '../../../src/extension/webviews/inspector/inspector-model';

const chunk = (id: string, docId: string, start: number, end: number, text: string): Chunk => ({ id, docId, start, end, text, ordinal: 0, chunker: 'c', headingPath: ['Guide', id], tokens: 3 }) as Chunk;
const hit = (chunkId: string, docId: string, rank: number): SearchHit => ({ chunkId, docId, rank, score: 1 / rank, explanation: { kind: 'keyword' } as unknown as SearchHit['explanation'] });
const span = (docId: string, start: number, end: number, grade: 0 | 1 | 2 | 3): Judgment => ({ grade, target: { type: 'span', docId, start, end, exact: 'x', prefix: '', suffix: '' } }) as Judgment;

describe('Query Inspector view model', () => {
  it('refuses a search the controller must not run, each with a message that says what to change', () => {
    const ok = { query: 'backoff', k: 10, retrievers: ['keyword' as const] };
    assert.doesNotThrow(() => checkSearch(ok));
    assert.throws(() => checkSearch({ ...ok, query: '  ' }), /type a query first/);
    assert.throws(() => checkSearch({ ...ok, k: 101 }), /k must be an integer from 1 to 100/);
    assert.throws(() => checkSearch({ ...ok, retrievers: [] }), /pick at least one retriever/);
    assert.throws(() => checkSearch({ ...ok, retrievers: ['bm25' as never] }), /pick at least one retriever/);
    assert.throws(() => checkSearch({ ...ok, fusion: { denseWeight: 2 } }), /fusion denseWeight/);
    assert.throws(() => checkSearch({ ...ok, fusion: { depth: 0 } }), /fusion depth must be a positive integer/);
  });

  it('grades a chunk by the highest label overlapping it by the half-overlap rule; a document label covers the whole document', () => {
    const judgments = [span('a.md', 10, 20, 1), span('a.md', 15, 30, 3), span('a.md', 100, 120, 2), { grade: 2, target: { type: 'document', docId: 'b.md' } } as Judgment];
    assert.equal(labelOf(judgments, 'a.md', 0, 40), 3);
    assert.equal(labelOf(judgments, 'a.md', 0, 16), 1, 'holds more than half of the grade-1 span, one character of the grade-3 one');
    assert.equal(labelOf(judgments, 'a.md', 0, 12), undefined, 'grazing a span does not count (the half-overlap rule)');
    assert.equal(labelOf(judgments, 'a.md', 40, 90), undefined);
    assert.equal(labelOf(judgments, 'b.md', 500, 600), 2);
    assert.equal(labelOf(judgments, 'c.md', 0, 10), undefined);
  });

  it('gives each row its rank in every retriever that ran, its label and its text, cut at k', () => {
    const chunks = new Map([['c1', chunk('c1', 'a.md', 0, 40, 'first')], ['c2', chunk('c2', 'a.md', 40, 80, 'second')], ['c3', chunk('c3', 'b.md', 0, 10, 'x'.repeat(500))]]);
    const results = { keyword: [hit('c1', 'a.md', 1), hit('c2', 'a.md', 2), hit('c3', 'b.md', 3)], dense: [hit('c3', 'b.md', 1), hit('c1', 'a.md', 2)] };
    const rows = new ResultRows(results, ['keyword', 'dense'], 2, (id) => chunks.get(id), [span('a.md', 45, 50, 2)]);
    const kw = rows.rows(results.keyword);
    assert.deepEqual(kw.map((r) => [r.chunkId, r.rank, r.ranks, r.label]), [['c1', 1, { keyword: 1, dense: 2 }, undefined], ['c2', 2, { keyword: 2, dense: null }, 2]]);
    assert.deepEqual([kw[1].start, kw[1].end, kw[1].headingPath, kw[1].preview], [40, 80, ['Guide', 'c2'], 'second']);
    const dense = rows.rows(results.dense);
    assert.equal(dense[0].preview.length, 400, 'the preview is the first 400 characters');
    assert.deepEqual(dense[0].ranks, { keyword: 3, dense: 1 });
  });

  it('lists the missed spans with a gap for each retriever that did not place them', () => {
    const q = { id: 'q1', text: 't', split: 'eval', judgments: [span('a.md', 5, 9, 3), { grade: 1, target: { type: 'document', docId: 'b.md' } }] } as EvalQuery;
    const misses = [
      { judgmentIndex: 0, docId: 'a.md', quote: 'span', grade: 3, category: 'semantic', evidence: 'rank 40', positions: { dense: { rank: 40, score: 0.2 } } },
      { judgmentIndex: 1, docId: 'b.md', quote: '', grade: 1, category: 'ranking', evidence: 'e', positions: {} },
    ] as unknown as Miss[];
    assert.deepEqual(missedSpans(q, misses, ['keyword', 'dense']), [
      { docId: 'a.md', start: 5, end: 9, quote: 'span', grade: 3, positions: { keyword: { rank: null, score: null }, dense: { rank: 40, score: 0.2 } }, category: 'semantic', evidence: 'rank 40' },
      { docId: 'b.md', start: 0, end: 0, quote: '(whole document b.md)', grade: 1, positions: { keyword: { rank: null, score: null }, dense: { rank: null, score: null } }, category: 'ranking', evidence: 'e' },
    ]);
  });

  it('diagnoses against dense with a model, else hybrid, else keyword; keeps only numeric timings', () => {
    assert.equal(missBaseline(['keyword', 'dense', 'hybrid'], true), 'dense');
    assert.equal(missBaseline(['keyword', 'dense', 'hybrid'], false), 'hybrid');
    assert.equal(missBaseline(['keyword', 'rerank'], true), 'keyword');
    assert.deepEqual(timings({ keyword: 1.5, dense: undefined, note: 'x', total: 3 }), { keyword: 1.5, total: 3 });
  });
});
