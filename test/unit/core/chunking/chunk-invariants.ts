import * as assert from 'node:assert/strict';
import type { Chunk, ChunkerConfig, TokenCounter } from '../../../../src/core/chunking/chunk';
import { sentenceRanges, splitsSurrogatePair } from '../../../../src/core/chunking/text-spans';
import type { SourceDocument } from '../../../../src/core/corpus/document';

/**
 * Every property the rest of the system relies on, for any chunker: offsets reproduce the text; ordinals run
 * 0..n-1; chunks are trimmed, non-empty, in order and never cut a surrogate pair; together they cover every
 * non-whitespace character of the body and nothing of the front matter; neighbours overlap by no more than the
 * config allows (characters, tokens or sentences); no chunk exceeds its size.
 */
export function checkChunks(doc: SourceDocument, chunks: Chunk[], config: ChunkerConfig, counter: TokenCounter): void {
  const where = `${doc.id} / ${JSON.stringify(config)}`;
  const text = doc.text;
  chunks.forEach((c, i) => {
    if (text.slice(c.start, c.end) !== c.text) assert.fail(`${where}: chunk ${i} offsets do not reproduce its text`);
    assert.equal(c.ordinal, i, `${where}: ordinals sequential`);
    assert.equal(c.docId, doc.id, where);
    assert.ok(c.text.length > 0 && c.text === c.text.trim(), `${where}: chunk ${i} trimmed and non-empty`);
    assert.ok(c.start >= doc.bodyStart, `${where}: chunk ${i} starts in the front matter`);
    assert.ok(!splitsSurrogatePair(text, c.start) && !splitsSurrogatePair(text, c.end), `${where}: chunk ${i} cuts a surrogate pair`);
    if (i > 0) assert.ok(c.start > chunks[i - 1].start && c.end > chunks[i - 1].end, `${where}: chunk ${i} not after chunk ${i - 1}`);
  });
  // Coverage: the gaps between chunks are whitespace only.
  let reached = doc.bodyStart;
  for (const c of chunks) {
    if (c.start > reached && text.slice(reached, c.start).trim()) {
      assert.fail(`${where}: gap [${reached}, ${c.start}) not covered: ${JSON.stringify(text.slice(reached, Math.min(c.start, reached + 40)))}`);
    }
    reached = Math.max(reached, c.end);
  }
  if (text.slice(reached).trim()) assert.fail(`${where}: the end of the document from ${reached} is not covered`);
  // Overlap and size.
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    const prev = chunks[i - 1];
    const overlap = prev ? prev.end - c.start : 0;
    switch (config.kind) {
      case 'fixed-chars':
      case 'recursive':
        assert.ok(overlap <= config.overlap, `${where}: overlap ${overlap} characters > ${config.overlap}`);
        assert.ok(c.end - c.start <= config.size, `${where}: chunk ${i} has ${c.end - c.start} characters > ${config.size}`);
        break;
      case 'fixed-tokens': {
        if (overlap > 0) {
          const shared = counter.count(text.slice(c.start, prev.end));
          assert.ok(shared <= config.overlap, `${where}: overlap of ${shared} tokens > ${config.overlap}`);
        }
        // A window may exceed the size only when it is a single unbreakable segment.
        assert.ok(c.tokens <= config.size || !/[\s]/.test(c.text), `${where}: chunk ${i} has ${c.tokens} tokens > ${config.size}`);
        break;
      }
      case 'sentence-window': {
        const inside = sentenceRanges(text, c.start, c.end).length;
        assert.ok(inside <= config.sentences, `${where}: chunk ${i} has ${inside} sentences > ${config.sentences}`);
        if (overlap > 0) {
          const shared = sentenceRanges(text, c.start, prev.end).length;
          assert.ok(shared <= config.overlap, `${where}: ${shared} shared sentences > ${config.overlap}`);
        } else if (prev && config.overlap > 0) {
          // With overlap configured, consecutive windows share sentences unless the document has too few.
          assert.fail(`${where}: windows ${i - 1} and ${i} share nothing although overlap is ${config.overlap}`);
        }
        break;
      }
      case 'markdown':
      case 'code':
        assert.ok(overlap <= 0, `${where}: ${config.kind} chunks must not overlap (${overlap})`);
        assert.ok(c.end - c.start <= config.maxSize, `${where}: chunk ${i} has ${c.end - c.start} characters > ${config.maxSize}`);
        if (config.kind === 'markdown' && !config.minSize) {
          const crossed = doc.headings.find((h) => h.start > c.start && h.start < c.end);
          assert.equal(crossed, undefined, `${where}: chunk ${i} runs across the heading "${crossed?.text}"`);
        }
        break;
      case 'whole-document':
        assert.equal(chunks.length, 1, `${where}: one chunk per document`);
        assert.equal(c.text, text.slice(doc.bodyStart).trim(), where);
        break;
    }
  }
}
