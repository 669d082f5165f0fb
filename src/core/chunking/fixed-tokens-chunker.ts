import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import type { Range } from './text-spans';

/** Tokenizer-independent segmentation: runs of letters/digits/underscore, and every other visible character alone. */
const SEGMENT = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

/**
 * Windows of at most `size` tokens under `counter`, each next window starting with the trailing segments of the
 * previous one that count at most `overlap` tokens. Boundaries fall between word/punctuation segments, so offsets
 * stay exact characters whatever the tokenizer; the counter only measures. A single segment longer than `size`
 * tokens (a URL, a base64 blob) becomes a window of its own.
 */
export function fixedTokenRanges(text: string, start: number, end: number, size: number, overlap: number, counter: TokenCounter): Range[] {
  const segs: Range[] = [];
  for (const m of text.slice(start, end).matchAll(SEGMENT)) segs.push([start + m.index, start + m.index + m[0].length]);
  const out: Range[] = [];
  const count = (i: number, j: number) => counter.count(text.slice(segs[i][0], segs[j][1]));
  let i = 0;
  while (i < segs.length) {
    // Largest j with count(i..j) <= size, by doubling then bisection (few tokenizer calls per window).
    let lo = i;
    let hi = i;
    let step = 1;
    while (hi + 1 < segs.length && count(i, Math.min(segs.length - 1, hi + step)) <= size) {
      lo = hi = Math.min(segs.length - 1, hi + step);
      step *= 2;
    }
    let top = Math.min(segs.length - 1, hi + step);
    while (lo < top) {
      const mid = Math.ceil((lo + top) / 2);
      if (count(i, mid) <= size) lo = mid;
      else top = mid - 1;
    }
    const j = lo;
    out.push([segs[i][0], segs[j][1]]);
    if (j >= segs.length - 1) break;
    let next = j + 1;
    while (next - 1 > i && count(next - 1, j) <= overlap) next--;
    i = next;
  }
  return out;
}

export function createFixedTokensChunker(config: Extract<ChunkerConfig, { kind: 'fixed-tokens' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => fixedTokenRanges(doc.text, doc.bodyStart, doc.text.length, config.size, config.overlap, counter));
}
