import type { SourceDocument } from '../corpus/document';
import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import { recursiveRanges } from './recursive-chunker';
import type { Range } from './text-spans';

/**
 * One range per heading section (from a heading to the next heading of any level; the text before the first
 * heading is a section too). Front matter [0, bodyStart) is never included. Sections shorter than `minSize`
 * characters are merged into the next one while the result stays within `maxSize`; sections longer than `maxSize`
 * are split recursively (paragraph → line → sentence → word) without overlap. The heading path is attached by
 * makeChunks from doc.headings; it is never mixed into the chunk text or offsets.
 */
export function markdownSectionRanges(doc: SourceDocument, maxSize: number, minSize: number): Range[] {
  const { text, bodyStart } = doc;
  const starts = [bodyStart, ...doc.headings.map((h) => h.start).filter((s) => s > bodyStart)];
  const sections: Range[] = starts.map((s, i) => [s, i + 1 < starts.length ? starts[i + 1] : text.length]);
  const merged: Range[] = [];
  for (const sec of sections) {
    const prev = merged[merged.length - 1];
    if (prev && prev[1] - prev[0] < minSize && sec[1] - prev[0] <= maxSize) prev[1] = sec[1];
    else merged.push([...sec]);
  }
  return merged.flatMap(([s, e]) => (e - s <= maxSize ? [[s, e] as Range] : recursiveRanges(text, s, e, maxSize, 0)));
}

export function createMarkdownChunker(config: Extract<ChunkerConfig, { kind: 'markdown' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => markdownSectionRanges(doc, config.maxSize, config.minSize ?? 0));
}
