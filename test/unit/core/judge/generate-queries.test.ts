import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Chunk } from '../../../../src/core/chunking/chunk';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { planSyntheticQueries, styleExamples } from '../../../../src/core/judge/generate-queries';
import { contentWordShare, measureQueryBias } from '../../../../src/core/judge/query-bias';
import { parseQueries, QUERY_PROMPT_VERSION, queryMessages, QUERY_SYSTEM_PROMPT } from '../../../../src/core/judge/query-prompt';
import { folderOf, sampleChunks } from '../../../../src/core/judge/sample-chunks';

function chunk(docId: string, i: number, heading: string, text = `passage ${i} of ${docId} with enough words to be worth a question here`): Chunk {
  return { id: `${docId}#${i}`, docId, start: 0, end: text.length, text, ordinal: i, chunker: 'test', headingPath: [heading], tokens: 10 };
}

function doc(id: string, text: string): SourceDocument {
  return { id, uri: id, title: id, text, headings: [], metadata: {} } as unknown as SourceDocument;
}

describe('parseQueries: strict', () => {
  it('takes exactly the asked number of "Query:" lines', () => {
    assert.deepEqual(parseQueries('Query: how do I rotate keys', 1), { ok: true, queries: ['how do I rotate keys'] });
    assert.deepEqual(parseQueries('  query :  a \nQUERY: b  ', 2), { ok: true, queries: ['a', 'b'] });
  });
  it('counts anything else as malformed, never guessing', () => {
    for (const [answer, n] of [
      ['how do I rotate keys', 1],
      ['Query: a\nQuery: b', 1],
      ['Query: a', 2],
      ['1. Query: a', 1],
      ['**Query:** a', 1],
      ['Query:   ', 1],
      ['', 1],
      [`Query: ${'x'.repeat(301)}`, 1],
    ] as const) {
      const r = parseQueries(answer, n);
      assert.equal(r.ok, false, JSON.stringify(answer));
    }
  });
  it('is the prompt docs/JUDGE.md shows, word for word', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'docs', 'JUDGE.md'), 'utf8');
    assert.ok(doc.includes(`\`\`\`\n${QUERY_SYSTEM_PROMPT}\n\`\`\``), 'docs/JUDGE.md must show the prompt as the code sends it');
    assert.ok(doc.includes(`**The prompt** (\`${QUERY_PROMPT_VERSION}\``));
  });
  it('shows style examples only when there are some, and asks for the count', () => {
    const [sys, user] = queryMessages('The passage.', 2, ['a real query']);
    assert.equal(sys.content, QUERY_SYSTEM_PROMPT);
    assert.match(user.content, /^Queries real users typed, for their style only \(not their topic\):\n- a real query\n\nWrite 2 different queries\.\n\nPassage:\nThe passage\.$/);
    assert.equal(queryMessages('P', 1, [])[1].content, 'Write 1 query.\n\nPassage:\nP');
  });
});

describe('sampleChunks: stratified by folder and section, seeded', () => {
  // One big folder (40 chunks), two small ones and the root.
  const chunks = [
    ...Array.from({ length: 40 }, (_, i) => chunk(`big/doc${i % 4}.md`, i, `H${i % 5}`)),
    chunk('small/a.md', 0, 'A'),
    chunk('small/b.md', 0, 'B'),
    chunk('other/deep/c.md', 0, 'C'),
    chunk('root.md', 0, 'R'),
    chunk('tiny/t.md', 0, 'T', 'too short'),
  ];
  it('covers every folder with n equal to the number of folders, whatever the seed', () => {
    const folders = new Set(chunks.filter((c) => c.text.length > 20).map((c) => folderOf(c.docId)));
    assert.equal(folders.size, 4);
    for (const seed of [1, 2, 3, 99, -5]) {
      const s = sampleChunks(chunks, 4, seed);
      assert.deepEqual(new Set(s.chunks.map((c) => folderOf(c.docId))), folders, `seed ${seed}`);
      assert.equal(s.folders, 5);
      assert.equal(s.foldersSampled, 4);
      assert.equal(s.tooShort, 1);
    }
  });
  it('is the same for the same seed and input in any order, extends with n, and differs across seeds', () => {
    const a = sampleChunks(chunks, 10, 7).chunks.map((c) => c.id);
    assert.deepEqual(sampleChunks([...chunks].reverse(), 10, 7).chunks.map((c) => c.id), a);
    assert.deepEqual(sampleChunks(chunks, 20, 7).chunks.map((c) => c.id).slice(0, 10), a);
    assert.notDeepEqual(sampleChunks(chunks, 10, 8).chunks.map((c) => c.id), a);
  });
  it('spreads the big folder over its sections before repeating one', () => {
    const big = sampleChunks(chunks, 24, 1).chunks.filter((c) => c.docId.startsWith('big/'));
    const sections = new Set(big.map((c) => JSON.stringify([c.docId, c.headingPath[0]])));
    // big/ has 20 sections (4 documents × 5 headings); its first 20 picks are 20 different sections.
    assert.equal(big.length, 20);
    assert.equal(sections.size, 20);
  });
});

describe('planSyntheticQueries: the import rules for duplicates', () => {
  const docs = new Map([['d.md', doc('d.md', 'Rotate the signing keys every ninety days with the key tool.')]]);
  const c: Chunk = { ...chunk('d.md', 0, 'Keys'), text: docs.get('d.md')?.text as string, end: (docs.get('d.md')?.text as string).length };
  const existing: EvalQuery[] = [{ id: 'q1', text: 'How often are signing keys rotated', split: 'eval', judgments: [] }];
  it('drops the same query, a punctuation variant, a one-edit typo of an existing query, and keeps the rest', () => {
    const plan = planSyntheticQueries(
      [
        { text: 'how often are signing keys rotated?', chunk: c }, // loose key of q1
        { text: 'How ofen are signing keys rotated', chunk: c }, // one edit from q1
        { text: 'key rotation period', chunk: c },
        { text: 'Key  rotation period', chunk: c }, // the same match key as the previous one
        { text: 'rotate keys with the key tool', chunk: c },
        { text: 'rotate keys with the key tool 2', chunk: c }, // differs in its digits: kept
      ],
      existing,
      docs,
      { model: 'm', at: '2026-01-01T00:00:00.000Z' },
    );
    assert.deepEqual(plan.added.map((q) => q.text), ['key rotation period', 'rotate keys with the key tool', 'rotate keys with the key tool 2']);
    assert.deepEqual(
      plan.dropped.map((d) => [d.text, d.of, d.existing, d.kind]).sort(),
      [
        ['How ofen are signing keys rotated', 'How often are signing keys rotated', true, 'near'],
        ['Key  rotation period', 'key rotation period', false, 'same'],
        ['how often are signing keys rotated?', 'How often are signing keys rotated', true, 'near'],
      ].sort(),
    );
    for (const q of plan.added) {
      assert.equal(q.source, 'synthetic');
      assert.equal(q.split, 'train');
      assert.match(q.id, /^syn-[0-9a-f]{10}$/);
      assert.equal(q.judgments[0].grade, 2);
      assert.deepEqual({ ...q.judgments[0].target, prefix: undefined, suffix: undefined }, { type: 'span', docId: 'd.md', start: 0, end: c.end, exact: c.text, prefix: undefined, suffix: undefined });
    }
  });
});

describe('styleExamples', () => {
  const q = (id: string, text: string, source?: EvalQuery['source']): EvalQuery => ({ id, text, split: 'eval', judgments: [], source });
  it('takes log and trace queries first, else hand-typed, never synthetic; at most three; seeded', () => {
    const set = [q('s1', 'synthetic one', 'synthetic'), q('h1', 'hand one'), q('l1', 'log one', 'log'), q('l2', 'log two', 'log'), q('t1', 'trace one', 'trace'), q('l3', 'log three', 'log')];
    const picked = styleExamples(set, 1);
    assert.equal(picked.length, 3);
    for (const p of picked) assert.match(p, /^(log|trace) /);
    assert.deepEqual(styleExamples([...set].reverse(), 1), picked);
    assert.deepEqual(styleExamples([q('s1', 'syn', 'synthetic'), q('h1', 'hand one')], 1), ['hand one']);
    assert.deepEqual(styleExamples([q('s1', 'syn', 'synthetic')], 1), []);
  });
});

describe('the bias figure', () => {
  it('is the share of content words (stop words out, stemmed as the index stems) found in the own passage', () => {
    // "how", "long", "events", "kept" are content words ("are" is a stop word); "events"→"event" and "kept" match.
    assert.equal(contentWordShare('how long are events kept', ['Events are kept for thirty days.'], { stemming: true }), 2 / 4);
    assert.equal(contentWordShare('the of a', ['anything'], { stemming: true }), undefined);
    assert.equal(contentWordShare('retention', ['Retention policy'], { stemming: false }), 1);
  });
  it('compares synthetic with log/trace queries, else hand-typed, from their positive labels', () => {
    const text = 'Events are kept for thirty days.';
    const docs = [doc('d.md', text)];
    const span = { type: 'span' as const, docId: 'd.md', start: 0, end: text.length, exact: text, prefix: '', suffix: '' };
    const qs: EvalQuery[] = [
      { id: 's1', text: 'events kept thirty days', split: 'train', source: 'synthetic', judgments: [{ grade: 2, target: span }] }, // 4/4
      { id: 's2', text: 'events retention', split: 'train', source: 'synthetic', judgments: [{ grade: 2, target: span }] }, // 1/2
      { id: 'h1', text: 'retention period', split: 'eval', judgments: [{ grade: 3, target: { type: 'document', docId: 'd.md' } }] }, // 0/2
      { id: 'h2', text: 'unjudged query', split: 'eval', judgments: [] },
      { id: 'h3', text: 'events', split: 'eval', judgments: [{ grade: 0, target: span }] }, // no positive label: left out
    ];
    const b = measureQueryBias(qs, docs);
    assert.deepEqual(b.synthetic, { share: 0.75, queries: 2 });
    assert.deepEqual(b.real, { share: 0, queries: 1, kind: 'hand-typed' });
    assert.equal(b.difference, 0.75);
    const withLog = measureQueryBias([...qs, { id: 'l1', text: 'events thirty', split: 'eval', source: 'log', judgments: [{ grade: 1, target: span }] }], docs);
    assert.deepEqual(withLog.real, { share: 1, queries: 1, kind: 'log/trace' });
  });
});
