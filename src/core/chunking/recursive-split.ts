import { sentenceRanges, splitAt, splitsSurrogatePair, type Range } from './text-spans';

type Splitter = (text: string, start: number, end: number) => Range[];
type Measure = (s: number, e: number) => number;

/** Paragraph → line → sentence → word, then hard cuts: the LangChain recursive strategy, on offsets. */
const SPLITTERS: Splitter[] = [
  (t, s, e) => splitAt(t, s, e, /\n[ \t\r]*\n\s*/g),
  (t, s, e) => splitAt(t, s, e, /\n/g),
  (t, s, e) => {
    // Sentence ranges are trimmed; re-extend each to the next sentence so pieces stay contiguous.
    const r = sentenceRanges(t, s, e);
    return r.map(([a], i) => [i === 0 ? s : a, i + 1 < r.length ? r[i + 1][0] : e] as Range);
  },
  (t, s, e) => splitAt(t, s, e, /\s+/g),
];

/**
 * Chunks of at most `size` (by `measure`) covering [start, end): the range is cut at the coarsest separator that
 * yields more than one piece; consecutive pieces that fit are merged greedily (with `overlap`), and each piece that
 * does not fit is split again at the next finer separator. As in LangChain's RecursiveCharacterTextSplitter, pieces
 * of a split-up paragraph are never merged with the paragraphs around it.
 */
export function recursiveSplit(text: string, start: number, end: number, size: number, overlap: number, measure: Measure, level = 0): Range[] {
  if (measure(start, end) <= size) return [[start, end]];
  if (level >= SPLITTERS.length) return hardCuts(text, start, end, size, measure);
  const pieces = SPLITTERS[level](text, start, end);
  if (pieces.length <= 1) return recursiveSplit(text, start, end, size, overlap, measure, level + 1);
  const out: Range[] = [];
  let run: Range[] = [];
  for (const piece of pieces) {
    if (measure(piece[0], piece[1]) <= size) {
      run.push(piece);
      continue;
    }
    out.push(...mergePieces(run, size, overlap, measure));
    run = [];
    out.push(...recursiveSplit(text, piece[0], piece[1], size, overlap, measure, level + 1));
  }
  out.push(...mergePieces(run, size, overlap, measure));
  return out;
}

/** No separator left (a long token, minified text): cuts of at most `size`, never inside a surrogate pair. */
function hardCuts(text: string, start: number, end: number, size: number, measure: Measure): Range[] {
  const out: Range[] = [];
  let s = start;
  while (s < end) {
    let e = Math.min(end, s + Math.max(1, size));
    while (e > s + 1 && measure(s, e) > size) e = s + Math.floor((e - s) / 2);
    if (e < end && e > s + 1 && splitsSurrogatePair(text, e)) e--;
    out.push([s, e]);
    s = e;
  }
  return out;
}

/**
 * Greedily merges contiguous pieces into chunks of at most `size`; each new chunk starts with as many trailing
 * pieces of the previous one as fit in `overlap`.
 */
export function mergePieces(pieces: Range[], size: number, overlap: number, measure: Measure): Range[] {
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
