import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import { capRange, sentenceRanges, type Range } from './text-spans';

/**
 * The most characters a sentence-window chunk holds unless the config sets `maxChars`: about 1,000 tokens of
 * English, twice the 512-token input window of the usual sentence-embedding models, so ordinary text is never cut
 * by it (SciFact's longest window of three sentences has 2,134 characters, its longest sentence 1,582); a run-on
 * sentence or a line without sentence ends (a 1 MB line) is.
 */
export const SENTENCE_WINDOW_MAX_CHARS = 4000;

/**
 * Windows of `sentences` consecutive sentences, each next window sharing `overlap` sentences with the previous.
 * Sentences come from Intl.Segmenter (which keeps "e.g." and "Dr." inside a sentence) with line breaks as hard
 * boundaries, so headings, list items and table rows are sentences of their own.
 *
 * Bounded: no window is longer than `maxChars`. A sentence longer than that is split at the maximum (after the last
 * whitespace in the window's last quarter, else a hard cut; see capRange) and its pieces count as sentences; a
 * window whose sentences together would pass the maximum holds fewer of them (at least one), and the next window
 * then starts `overlap` sentences before its end, as it does after a full window.
 */
export function sentenceWindowRanges(text: string, start: number, end: number, sentences: number, overlap: number, maxChars = SENTENCE_WINDOW_MAX_CHARS): Range[] {
  const all = sentenceRanges(text, start, end).flatMap(([s, e]) => capRange(text, s, e, maxChars));
  const out: Range[] = [];
  for (let i = 0; i < all.length; ) {
    let last = Math.min(all.length, i + sentences) - 1;
    while (last > i && all[last][1] - all[i][0] > maxChars) last--;
    out.push([all[i][0], all[last][1]]);
    if (last === all.length - 1) break;
    i = Math.max(i + 1, last + 1 - overlap);
  }
  return out;
}

export function createSentenceWindowChunker(config: Extract<ChunkerConfig, { kind: 'sentence-window' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => sentenceWindowRanges(doc.text, doc.bodyStart, doc.text.length, config.sentences, config.overlap, config.maxChars));
}
