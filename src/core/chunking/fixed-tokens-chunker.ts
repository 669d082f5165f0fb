import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import { splitsSurrogatePair, type Range } from './text-spans';

/** Tokenizer-independent segmentation: runs of letters/digits/underscore, and every other visible character alone. */
const SEGMENT = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

/**
 * Windows of at most `size` tokens under `counter`, each next window starting with the trailing segments of the
 * previous one that count at most `overlap` tokens. Boundaries fall between word/punctuation segments, so offsets
 * stay exact characters whatever the tokenizer; the counter only measures. A single segment longer than `size`
 * tokens (a URL, a base64 blob) is cut into windows of at most `size` tokens (tokenPrefixEnd), without overlap.
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
    if (j === i && count(i, i) > size) {
      // One segment over the maximum (a URL, a base64 blob, a 1 MB word): cut it at the maximum and go on from the cut.
      const cut = tokenPrefixEnd(text, segs[i][0], segs[i][1], size, counter);
      out.push([segs[i][0], cut]);
      if (cut >= segs[i][1]) i++;
      else segs[i] = [cut, segs[i][1]];
      continue;
    }
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

/**
 * The end of the longest prefix of [start, end) (at least one character, never inside a surrogate pair) that counts
 * at most `size` tokens. Searched by doubling then bisection within the first `size` × 32 characters, so a 1 MB
 * segment costs a few counts of one window each, not of the whole segment.
 */
function tokenPrefixEnd(text: string, start: number, end: number, size: number, counter: TokenCounter): number {
  const top = Math.min(end, start + Math.max(2, size * 32));
  const fits = (e: number) => counter.count(text.slice(start, e)) <= size;
  let lo = start + 1;
  let hi = Math.min(top, start + Math.max(1, size));
  while (hi < top && fits(hi)) {
    lo = hi;
    hi = Math.min(top, start + (hi - start) * 2);
  }
  if (fits(hi)) lo = hi;
  else {
    while (lo + 1 < hi) {
      const mid = (lo + hi) >> 1;
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
  }
  if (lo < end && lo - 1 > start && splitsSurrogatePair(text, lo)) lo--;
  return lo;
}
