import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import type { Range } from './text-spans';

/** Windows of `size` characters of the body, each starting `size - overlap` after the previous one. */
export function fixedCharRanges(start: number, end: number, size: number, overlap: number): Range[] {
  const out: Range[] = [];
  for (let p = start; p < end; p += size - overlap) {
    out.push([p, Math.min(end, p + size)]);
    if (p + size >= end) break;
  }
  return out;
}

export function createFixedCharsChunker(config: Extract<ChunkerConfig, { kind: 'fixed-chars' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => fixedCharRanges(doc.bodyStart, doc.text.length, config.size, config.overlap));
}
