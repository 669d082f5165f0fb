import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import { splitsSurrogatePair, type Range } from './text-spans';

/**
 * Windows of `size` characters (UTF-16 code units) of [start, end), each next window starting `overlap` characters
 * before the previous one ends. A cut never falls inside a surrogate pair (an emoji stays whole): such a window ends
 * one unit early.
 */
export function fixedCharRanges(text: string, start: number, end: number, size: number, overlap: number): Range[] {
  const out: Range[] = [];
  let p = start;
  while (p < end) {
    let e = Math.min(end, p + size);
    if (e < end && splitsSurrogatePair(text, e) && e - 1 > p) e--;
    out.push([p, e]);
    if (e >= end) break;
    let next = Math.max(p + 1, e - overlap);
    if (splitsSurrogatePair(text, next)) next++;
    p = next;
  }
  return out;
}

export function createFixedCharsChunker(config: Extract<ChunkerConfig, { kind: 'fixed-chars' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => fixedCharRanges(doc.text, doc.bodyStart, doc.text.length, config.size, config.overlap));
}
