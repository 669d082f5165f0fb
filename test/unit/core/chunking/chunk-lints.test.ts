import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintChunks, nearDuplicateLints } from '../../../../src/core/chunking/chunk-lints';
import { createChunker } from '../../../../src/core/chunking/chunker-registry';
import { buildDocument } from '../../../../src/core/corpus/build-document';

const kinds = (lints: Array<{ kind: string }>) => [...new Set(lints.map((l) => l.kind))].sort();

describe('chunk lints', () => {
  const md = '# Title\n\n## Empty\n\n## Body\n\nFirst sentence here is long enough to matter. Second sentence follows it.\n\n```js\nconst a = 1;\nconst b = 2;\n```\n\n| a | b |\n| - | - |\n| 1 | 2 |\n| 3 | 4 |\n';
  const { doc } = buildDocument('d.md', md);

  it('flags a chunk that splits a sentence, a code block and a table', () => {
    const chunks = createChunker({ kind: 'fixed-chars', size: 60, overlap: 0 }).chunk(doc);
    const lints = lintChunks(doc, chunks, { minTokens: 1 });
    assert.ok(lints.some((l) => l.kind === 'splits-sentence'), 'splits-sentence');
    assert.ok(lints.some((l) => l.kind === 'splits-code-block' && /line 9/.test(l.message)), 'splits-code-block names the fence line');
    const tableCut = createChunker({ kind: 'fixed-chars', size: 160, overlap: 0 }).chunk(doc);
    assert.ok(lintChunks(doc, tableCut, { minTokens: 1 }).some((l) => l.kind === 'splits-table' && /line 14/.test(l.message)), 'splits-table');
  });

  it('flags tiny chunks, huge chunks and headings without a body; clean sections get none of these', () => {
    const chunks = createChunker({ kind: 'markdown', maxSize: 2000 }).chunk(doc);
    const byText = (s: string) => chunks.find((c) => c.text.startsWith(s))?.id;
    const lints = lintChunks(doc, chunks, { minTokens: 4, maxTokens: 30 });
    const of = (id: string | undefined) => kinds(lints.filter((l) => l.chunkId === id));
    assert.deepEqual(of(byText('## Empty')), ['heading-without-body', 'tiny']);
    assert.deepEqual(of(byText('## Body')), ['huge']);
    assert.match(lints.find((l) => l.kind === 'huge')?.message ?? '', /silently truncated/);
    assert.deepEqual(of(byText('# Title')), ['heading-without-body', 'tiny']);
  });

  it('finds near-duplicate chunks across documents and not unrelated ones', () => {
    const text = 'Rotate API keys every ninety days and revoke the old key once all clients use the new one. Keys are scoped per project.';
    const a = buildDocument('a.md', text).doc;
    const b = buildDocument('b.md', text.replace('ninety', '90')).doc;
    const c = buildDocument('c.md', 'Batching groups messages into one request to cut overhead; the batch closes at 500 messages or 50 ms.').doc;
    const chunker = createChunker({ kind: 'whole-document' });
    const chunks = [a, b, c].flatMap((d) => chunker.chunk(d));
    const lints = nearDuplicateLints(chunks, 0.7);
    assert.deepEqual(lints.map((l) => l.chunkId).sort(), [chunks[0].id, chunks[1].id].sort());
    assert.equal(lints.find((l) => l.chunkId === chunks[1].id)?.relatedChunkId, chunks[0].id);
  });
});
