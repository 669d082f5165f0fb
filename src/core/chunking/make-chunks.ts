import type { Heading, SourceDocument } from '../corpus/document';
import type { Chunk, TokenCounter } from './chunk';
import { chunkId } from './chunker-key';
import { trimRange, type Range } from './text-spans';

/** Turns ranges into chunks: whitespace trimmed off both ends, heading path attached, ids and ordinals assigned. */
export function makeChunks(doc: SourceDocument, ranges: Range[], key: string, counter: TokenCounter): Chunk[] {
  const chunks: Chunk[] = [];
  const seen = new Set<string>();
  for (const [s, e] of ranges) {
    const r = trimRange(doc.text, s, e);
    // Pure whitespace, or (after trimming) nothing beyond what the previous chunk already holds.
    if (!r || (chunks.length && r[1] <= chunks[chunks.length - 1].end)) continue;
    const id = chunkId(doc.id, key, r[0], r[1]);
    if (seen.has(id)) continue;
    seen.add(id);
    const text = doc.text.slice(r[0], r[1]);
    chunks.push({
      id,
      docId: doc.id,
      start: r[0],
      end: r[1],
      text,
      ordinal: chunks.length,
      chunker: key,
      headingPath: headingPathAt(doc.headings, r[0]),
      tokens: counter.count(text),
    });
  }
  return chunks;
}

/** Titles of the enclosing headings at `offset`, outermost first (a heading starting at offset counts). */
export function headingPathAt(headings: Heading[], offset: number): string[] {
  const stack: Heading[] = [];
  for (const h of headings) {
    if (h.start > offset) break;
    while (stack.length && stack[stack.length - 1].level >= h.level) stack.pop();
    stack.push(h);
  }
  return stack.map((h) => h.text);
}
