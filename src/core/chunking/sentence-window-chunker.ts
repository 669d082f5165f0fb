import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import { sentenceRanges, type Range } from './text-spans';

/**
 * Windows of `sentences` consecutive sentences, each next window sharing `overlap` sentences with the previous.
 * Sentences come from Intl.Segmenter (which keeps "e.g." and "Dr." inside a sentence) with line breaks as hard
 * boundaries, so headings, list items and table rows are sentences of their own.
 */
export function sentenceWindowRanges(text: string, start: number, end: number, sentences: number, overlap: number): Range[] {
  const all = sentenceRanges(text, start, end);
  const out: Range[] = [];
  const step = sentences - overlap;
  for (let i = 0; i < all.length; i += step) {
    const last = Math.min(all.length, i + sentences) - 1;
    out.push([all[i][0], all[last][1]]);
    if (last === all.length - 1) break;
  }
  return out;
}

export function createSentenceWindowChunker(config: Extract<ChunkerConfig, { kind: 'sentence-window' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => sentenceWindowRanges(doc.text, doc.bodyStart, doc.text.length, config.sentences, config.overlap));
}
