import { sentenceRanges, splitAt, type Range } from './text-spans';

type Splitter = (text: string, start: number, end: number) => Range[];

/** Paragraph → line → sentence → word, then hard cuts: the LangChain recursive strategy, on offsets. */
const SPLITTERS: Splitter[] = [
  (t, s, e) => splitAt(t, s, e, /\n[ \t]*\n\s*/g),
  (t, s, e) => splitAt(t, s, e, /\n/g),
  (t, s, e) => {
    // Sentence ranges are trimmed; re-extend each to the next sentence so pieces stay contiguous.
    const r = sentenceRanges(t, s, e);
    return r.map(([a], i) => [i === 0 ? s : a, i + 1 < r.length ? r[i + 1][0] : e] as Range);
  },
  (t, s, e) => splitAt(t, s, e, /\s+/g),
];

/** Pieces no longer than `size` (measured by `measure`) that tile [start, end) exactly. */
export function splitPieces(text: string, start: number, end: number, size: number, measure: (s: number, e: number) => number, level = 0): Range[] {
  if (measure(start, end) <= size) return [[start, end]];
  if (level >= SPLITTERS.length) {
    // No separator left: hard cuts (long tokens, minified text).
    const out: Range[] = [];
    let s = start;
    while (s < end) {
      let e = Math.min(end, s + Math.max(1, size));
      while (e > s + 1 && measure(s, e) > size) e = s + Math.floor((e - s) / 2);
      out.push([s, e]);
      s = e;
    }
    return out;
  }
  const pieces = SPLITTERS[level](text, start, end);
  if (pieces.length <= 1) return splitPieces(text, start, end, size, measure, level + 1);
  return pieces.flatMap(([s, e]) => splitPieces(text, s, e, size, measure, level + 1));
}

/**
 * Greedily merges contiguous pieces into chunks of at most `size`; each new chunk starts with as many trailing
 * pieces of the previous one as fit in `overlap`.
 */
export function mergePieces(pieces: Range[], size: number, overlap: number, measure: (s: number, e: number) => number): Range[] {
  const out: Range[] = [];
  let first = 0;
  while (first < pieces.length) {
    let last = first;
    while (last + 1 < pieces.length && measure(pieces[first][0], pieces[last + 1][1]) <= size) last++;
    out.push([pieces[first][0], pieces[last][1]]);
    if (last + 1 >= pieces.length) break;
    let next = last + 1;
    while (next - 1 > first && measure(pieces[next - 1][0], pieces[last][1]) <= overlap && measure(pieces[next - 1][0], pieces[last + 1][1]) <= size) next--;
    first = next;
  }
  return out;
}
