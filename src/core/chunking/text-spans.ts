/** Offset helpers shared by the chunkers. Ranges are [start, end) into the document text. */
export type Range = [number, number];

/** Narrows a range to exclude leading and trailing whitespace; null when nothing but whitespace remains. */
export function trimRange(text: string, start: number, end: number): Range | null {
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return start < end ? [start, end] : null;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Sentence ranges (trimmed) within [start, end), by Intl.Segmenter with line breaks kept as hard boundaries. */
export function sentenceRanges(text: string, start: number, end: number): Range[] {
  const out: Range[] = [];
  // Paragraph and line breaks end a sentence even without punctuation (headings, list items, table rows).
  for (const [ls, le] of splitAt(text, start, end, /\n/g)) {
    for (const seg of segmenter.segment(text.slice(ls, le))) {
      const r = trimRange(text, ls + seg.index, ls + seg.index + seg.segment.length);
      if (r) out.push(r);
    }
  }
  return out;
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
