import { sentenceRanges, splitAfterWhitespace, splitAt, splitsSurrogatePair, type Range } from './text-spans';

type Splitter = (text: string, start: number, end: number) => Range[];
type Measure = (s: number, e: number) => number;

/** Characters after which Intl.Segmenter may end a sentence (Unicode Sentence_Break STerm, ATerm and Sep, and \v \f). */
const TERMINATOR = /[.!?\u0085\u2028\u2029\v\f\u0589\u061d-\u061f\u06d4\u0700-\u0702\u07f9\u0837\u0839\u083d\u083e\u0964\u0965\u104a\u104b\u1362\u1367\u1368\u166e\u1735\u1736\u1803\u1809\u1944\u1945\u1aa8-\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d\u2024\u2047-\u2049\u2cf9-\u2cfb\u2e2e\u2e3c\u3002\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d-\uaa5f\uaaf0\uaaf1\uabeb\ufe12\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\uff61\ud800-\udbff]/g;

/** Paragraph → line → sentence → word, then hard cuts: the LangChain recursive strategy, on offsets. */
const SPLITTERS: Splitter[] = [
  (t, s, e) => splitAt(t, s, e, /\n[ \t\r]*\n\s*/g),
  (t, s, e) => splitAt(t, s, e, /\n/g),
  (t, s, e) => {
    // No sentence terminator (ICU's STerm and ATerm, and its separators) in the range: one sentence, without running
    // the segmenter over it (a 1 MB line without one took longer than chunking 1 MB of prose).
    TERMINATOR.lastIndex = s;
    const first = TERMINATOR.exec(t);
    if (!first || first.index >= e) return [[s, e]];
    // Sentence ranges are trimmed; re-extend each to the next sentence so pieces stay contiguous.
    const r = sentenceRanges(t, s, e);
    return r.map(([a], i) => [i === 0 ? s : a, i + 1 < r.length ? r[i + 1][0] : e] as Range);
  },
  (t, s, e) => splitAfterWhitespace(t, s, e),
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
