import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chunk, ChunkLint, TokenCounter } from '../../../../src/core/chunking/chunk';
import { lintChunks, nearDuplicateLints } from '../../../../src/core/chunking/chunk-lints';
import { createChunker } from '../../../../src/core/chunking/chunker-registry';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { loadDocumentFromText } from '../../../../src/core/corpus/load-document-from-text';
import { scifactDir, skipUnlessShared } from '../../../helpers/shared';

const doc = (path: string, text: string) => loadDocumentFromText(path, text).doc;
const kindsOf = (lints: ChunkLint[], chunk: Chunk | undefined) => [...new Set(lints.filter((l) => l.chunkId === chunk?.id).map((l) => l.kind))].sort();
/** A chunk over an exact range, for lints on hand-placed boundaries. */
function chunkAt(d: ReturnType<typeof doc>, start: number, end: number, ordinal = 0): Chunk {
  return { id: `${d.id}#${start}-${end}`, docId: d.id, start, end, text: d.text.slice(start, end), ordinal, chunker: 'test', headingPath: [], tokens: 0 };
}
const words: TokenCounter = { name: 'words', count: (t) => (t.match(/\S+/g) ?? []).length };

describe('chunk lints', () => {
  const md = [
    '# Title', '', '## Empty', '', '## Body', '',
    'First sentence here is long enough to matter. Second sentence follows it.', '',
    '```js', 'const a = 1;', 'const b = 2;', '```', '',
    '| a | b |', '| - | - |', '| 1 | 2 |', '| 3 | 4 |', '',
  ].join('\n');
  const d = doc('d.md', md);
  const at = (s: string) => md.indexOf(s);

  it('splits-sentence: a chunk starting or ending mid-sentence, with the line; sentence-aligned chunks get none', () => {
    const mid = chunkAt(d, at('here is long'), at(' Second'));
    const lints = lintChunks(d, [mid], { minTokens: 1, tokenCounter: words });
    assert.deepEqual(lints.map((l) => [l.kind, l.message]), [['splits-sentence', 'starts mid-sentence at line 7']]);
    const tail = chunkAt(d, at('First'), at(' follows it.'));
    assert.deepEqual(lintChunks(d, [tail], { minTokens: 1, tokenCounter: words }).map((l) => l.message), ['ends mid-sentence at line 7']);
    const sentences = createChunker({ kind: 'sentence-window', sentences: 1, overlap: 0 }).chunk(d);
    assert.deepEqual(lintChunks(d, sentences, { minTokens: 1, tokenCounter: words }).filter((l) => l.kind === 'splits-sentence'), []);
  });

  it('splits-code-block: a fence opened and not closed in the chunk, or closed without being opened', () => {
    const opens = chunkAt(d, at('## Body'), at('const b'));
    const closes = chunkAt(d, at('const b'), md.length - 1, 1);
    const lints = lintChunks(d, [opens, closes], { minTokens: 1, tokenCounter: words });
    assert.equal(lints.find((l) => l.chunkId === opens.id && l.kind === 'splits-code-block')?.message, 'opens the code block at line 9 but ends before it closes');
    assert.equal(lints.find((l) => l.chunkId === closes.id && l.kind === 'splits-code-block')?.message, 'starts inside the code block opened at line 9 (closes a fence it never opened)');
    // A code line alone is not a sentence split as well.
    assert.deepEqual(kindsOf(lints, closes), ['splits-code-block']);
    const whole = chunkAt(d, at('```js'), at('\n\n| a'));
    assert.deepEqual(lintChunks(d, [whole], { minTokens: 1, tokenCounter: words }), []);
  });

  it('splits-table: table rows cut between chunks', () => {
    const cut = chunkAt(d, at('| a | b |'), at('| 3 | 4 |'));
    assert.deepEqual(lintChunks(d, [cut], { minTokens: 1, tokenCounter: words }).map((l) => [l.kind, l.message]), [['splits-table', 'cuts the table at line 14']]);
    const whole = chunkAt(d, at('| a | b |'), md.length - 1);
    assert.deepEqual(lintChunks(d, [whole], { minTokens: 1, tokenCounter: words }), []);
  });

  it('tiny, huge (silently truncated) and heading-without-body on markdown sections', () => {
    const chunks = createChunker({ kind: 'markdown', maxSize: 2000 }).chunk(d);
    const byText = (s: string) => chunks.find((c) => c.text.startsWith(s));
    const lints = lintChunks(d, chunks, { minTokens: 4, maxTokens: 30, tokenCounter: words });
    assert.deepEqual(kindsOf(lints, byText('# Title')), ['heading-without-body', 'tiny']);
    assert.deepEqual(kindsOf(lints, byText('## Empty')), ['heading-without-body', 'tiny']);
    assert.deepEqual(kindsOf(lints, byText('## Body')), ['huge']);
    assert.equal(lints.find((l) => l.kind === 'huge')?.message, '44 tokens: the model reads only the first 30; the rest is silently truncated');
    assert.equal(lints.find((l) => l.kind === 'tiny')?.message, '2 tokens (< 4)');
    assert.equal(lints.find((l) => l.kind === 'heading-without-body' && l.chunkId === byText('## Empty')?.id)?.message, 'only the heading "Empty"');
    // Within limits: nothing.
    assert.deepEqual(lintChunks(d, chunks.filter((c) => c.text.startsWith('## Body')), { minTokens: 4, maxTokens: 100, tokenCounter: words }), []);
  });

  it('near-duplicate: chunks of different documents at or above the Jaccard threshold, unrelated ones not', () => {
    const text = 'Rotate API keys every ninety days and revoke the old key once all clients use the new one. Keys are scoped per project.';
    const docs = [
      doc('a.md', text),
      doc('b.md', text.replace('ninety', '90')),
      doc('c.md', 'Batching groups messages into one request to cut overhead; the batch closes at 500 messages or 50 ms.'),
      doc('d.md', text.split(' ').slice(0, 12).join(' ')),
    ];
    const chunker = createChunker({ kind: 'whole-document' });
    const chunks = docs.flatMap((x) => chunker.chunk(x));
    const lints = nearDuplicateLints(chunks, 0.7);
    assert.deepEqual(lints.map((l) => l.chunkId).sort(), [chunks[0].id, chunks[1].id].sort());
    assert.equal(lints.find((l) => l.chunkId === chunks[1].id)?.relatedChunkId, chunks[0].id);
    assert.match(lints[0].message, /^\d+% similar to a chunk of [ab]\.md$/);
    assert.deepEqual(nearDuplicateLints(chunks, 0.99), []);
  });

  it('near-duplicate over SciFact: every planted one-word edit is found among 1,000 abstracts', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const docs = (await loadBeirCorpus(scifactDir() as string)).documents.slice(0, 1000);
    const chunker = createChunker({ kind: 'whole-document' });
    const chunks = docs.flatMap((x) => chunker.chunk(x));
    const planted = [3, 150, 420, 777, 999].map((i) => {
      const w = docs[i].text.split(' ');
      w[Math.floor(w.length / 2)] = 'CHANGED';
      return chunker.chunk({ ...docs[i], id: `copy-of-${docs[i].id}`, text: w.join(' '), bodyStart: 0 })[0];
    });
    const lints = nearDuplicateLints([...chunks, ...planted], 0.9);
    for (const p of planted) {
      const original = chunks.find((c) => `copy-of-${c.docId}` === p.docId);
      assert.ok(lints.some((l) => l.chunkId === p.id && l.relatedChunkId === original?.id), `planted copy of ${p.docId} found`);
    }
    const flagged = new Set(lints.map((l) => l.chunkId));
    assert.ok(flagged.size < 40, `only a few SciFact abstracts are near-duplicates of each other (${flagged.size} flagged)`);
  });
});
