import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import { recursiveSplit } from './recursive-split';
import type { Range } from './text-spans';

const chars = (s: number, e: number) => e - s;

/** Paragraph → line → sentence → word pieces of at most `size` characters, merged greedily with `overlap`. */
export function recursiveRanges(text: string, start: number, end: number, size: number, overlap: number): Range[] {
  return recursiveSplit(text, start, end, size, overlap, chars);
}

export function createRecursiveChunker(config: Extract<ChunkerConfig, { kind: 'recursive' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => recursiveRanges(doc.text, doc.bodyStart, doc.text.length, config.size, config.overlap));
}
