/** Offset helpers shared by the chunkers. Ranges are [start, end) into the document text. */
export type Range = [number, number];

/** Narrows a range to exclude leading and trailing whitespace; null when nothing but whitespace remains. */
export function trimRange(text: string, start: number, end: number): Range | null {
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return start < end ? [start, end] : null;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Abbreviations after which Intl.Segmenter (ICU without sentence-break suppressions, which V8 does not offer)
 * wrongly ends a sentence: titles before names, and the reference words of scientific prose. "etc." is left out
 * because it ends sentences as often as not.
 */
const ABBREVIATION = /(?:^|[\s([])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Rev|Hon|Gen|Col|Lt|Sgt|Capt|Cpt|St|Mt|Sr|Jr|[Ff]igs?|[Ee]qs?|[Nn]os?|[Vv]ols?|[Rr]efs?|[Ss]ecs?|[Cc]h|pp?|approx|[Vv]s|cf|al|ca|e\.g|i\.e)\.$/;

/** A line that starts a block of its own: heading, list item, table row, quote, fence. */
const BLOCK_START = /^[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]|\d{1,9}[.)][ \t]|\||>|```|~~~)/;
/** A line that is complete by itself: heading, table row, fence. */
const BLOCK_LINE = /^[ \t]*(?:#{1,6}[ \t]|\||```|~~~)/;

/**
 * Sentence ranges (trimmed) within [start, end). Blank lines always end a sentence, and so does a line break before
 * a heading, list item, table row, quote or fence (and after a heading, table row or fence); other line breaks are
 * spaces to the segmenter, so hard-wrapped prose keeps its sentences whole. Sentences are found by Intl.Segmenter
 * ('en'), then rejoined after the abbreviations in ABBREVIATION ("Dr. Smith", "Fig. 3", "et al. (2005)").
 */
export function sentenceRanges(text: string, start: number, end: number): Range[] {
  const out: Range[] = [];
  for (const [rs, re] of sentenceRuns(text, start, end)) {
    // Same length as the run, so segment offsets are offsets into the text.
    const flat = text.slice(rs, re).replace(/[\r\n]/g, ' ');
    let pending: Range | null = null;
    for (const seg of segmenter.segment(flat)) {
      const r = trimRange(text, rs + seg.index, rs + seg.index + seg.segment.length);
      if (!r) continue;
      if (pending && ABBREVIATION.test(text.slice(Math.max(pending[0], pending[1] - 12), pending[1]))) pending[1] = r[1];
      else {
        if (pending) out.push(pending);
        pending = r;
      }
    }
    if (pending) out.push(pending);
  }
  return out;
}

/** [start, end) runs of lines that sentences never cross (see sentenceRanges). */
function sentenceRuns(text: string, start: number, end: number): Range[] {
  const runs: Range[] = [];
  let runStart = start;
  let prevBlockLine = false;
  let prevBlank = false;
  for (const [ls, le] of splitAt(text, start, end, /\n/g)) {
    const line = text.slice(ls, le);
    const blank = !line.trim();
    if (ls > runStart && (blank || prevBlank || prevBlockLine || BLOCK_START.test(line))) {
      runs.push([runStart, ls]);
      runStart = ls;
    }
    prevBlank = blank;
    prevBlockLine = BLOCK_LINE.test(line);
  }
  if (runStart < end) runs.push([runStart, end]);
  return runs;
}

/** Cuts [start, end) after each match of `sep` (the separator stays with the piece before it). */
export function splitAt(text: string, start: number, end: number, sep: RegExp): Range[] {
  const out: Range[] = [];
  const slice = text.slice(start, end);
  let last = 0;
  for (const m of slice.matchAll(sep)) {
    const cut = m.index + m[0].length;
    if (cut > last) out.push([start + last, start + cut]);
    last = cut;
  }
  if (last < slice.length) out.push([start + last, end]);
  return out;
}

/** How much of the window (its last quarter) is searched backwards for whitespace when a range is cut at the maximum. */
const WORD_BOUNDARY_SEARCH = 0.25;

/**
 * [start, end) as pieces of at most `max` characters, contiguous and covering it: a range within the maximum is
 * returned as it is; a longer one (a run-on sentence, a 1 MB line) is cut at the maximum, after the last whitespace
 * within the last quarter of the window when there is one, else exactly at the maximum (never inside a surrogate
 * pair). Linear in the range's length.
 */
export function capRange(text: string, start: number, end: number, max: number): Range[] {
  if (end - start <= max) return [[start, end]];
  const out: Range[] = [];
  const search = Math.max(1, Math.floor(max * WORD_BOUNDARY_SEARCH));
  let s = start;
  while (end - s > max) {
    const limit = s + max;
    let cut = -1;
    for (let p = limit; p > s + 1 && p >= limit - search; p--) {
      if (isSpace(text.charCodeAt(p - 1))) {
        cut = p;
        break;
      }
    }
    if (cut < 0) cut = splitsSurrogatePair(text, limit) && limit - 1 > s ? limit - 1 : limit;
    out.push([s, cut]);
    s = cut;
  }
  out.push([s, end]);
  return out;
}

/**
 * Cuts [start, end) after each run of whitespace: the same pieces as splitAt(text, start, end, /\s+/g), by a scan of
 * character codes instead of a regex match per word (a 1 MB line of words took 80-150 ms that way, four times the
 * whole recursive chunking of 1 MB of prose).
 */
export function splitAfterWhitespace(text: string, start: number, end: number): Range[] {
  const out: Range[] = [];
  let last = start;
  let p = start;
  while (p < end) {
    if (!isSpace(text.charCodeAt(p))) {
      p++;
      continue;
    }
    while (p < end && isSpace(text.charCodeAt(p))) p++;
    out.push([last, p]);
    last = p;
  }
  if (last < end) out.push([last, end]);
  return out;
}

/** JavaScript's \s: the same set of code units. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** True when offset `p` falls between the two halves of a surrogate pair. */
export function splitsSurrogatePair(text: string, p: number): boolean {
  if (p <= 0 || p >= text.length) return false;
  const hi = text.charCodeAt(p - 1);
  const lo = text.charCodeAt(p);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}
