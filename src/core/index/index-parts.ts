import type { Chunk } from '../chunking/chunk';
import type { Heading, SourceDocument } from '../corpus/document';

/**
 * documents.json and chunks.json of index format 2: no text. A document is its id, content hash, modification time,
 * text length and chunk count; a chunk is its id, offsets, ordinal, token count and heading path. The texts come
 * from the workspace's documents as read for the update that follows every open, taken only where the content
 * hash and length match (a chunk's text is `doc.text.slice(start, end)`, the Chunk contract); a document whose
 * content changed is re-chunked by that update anyway.
 *
 * Both files are JSON arrays with one element per line, so they parse in slices with yields between them.
 */

/** [id, contentHash, mtimeMs, text length, chunk count] */
export type DocumentRow = [string, string, number, number, number];
/** [id, start, end, ordinal, tokens, heading path: indices into the document's headings, or the titles themselves] */
export type ChunkRow = [string, number, number, number, number, number[] | string[]];

/** JSON array text with one element per line. */
export function* linesJson(rows: Iterable<unknown>): Generator<void, string> {
  const parts: string[] = [];
  for (const r of rows) {
    parts.push(JSON.stringify(r));
    if (parts.length % 1024 === 0) yield;
  }
  return parts.length ? `[\n${parts.join(',\n')}\n]` : '[]';
}

/**
 * Parses what linesJson wrote, 1,024 lines at a time (each slice found with indexOf: no array of every line is
 * made first); any other JSON text is parsed whole.
 */
export function* parseLinesJson(text: string): Generator<void, unknown> {
  if (!text.startsWith('[\n') || !text.endsWith('\n]')) return JSON.parse(text) as unknown;
  const out: unknown[] = [];
  const end = text.length - 2; // the newline before the closing bracket
  let from = 2;
  while (from < end) {
    let to = from;
    for (let n = 0; n < 1024 && to < end; n++) {
      const nl = text.indexOf('\n', to);
      to = nl < 0 || nl > end ? end : nl + 1;
    }
    // Lines end with ",\n" except the last one of the array: drop the separator ending this slice.
    let slice = text.slice(from, to).trimEnd();
    if (slice.endsWith(',')) slice = slice.slice(0, -1);
    for (const item of JSON.parse(`[${slice}]`) as unknown[]) out.push(item);
    from = to;
    yield;
  }
  return out;
}

export function documentRow(doc: SourceDocument, chunkCount: number): DocumentRow {
  return [doc.id, doc.contentHash, doc.mtimeMs, doc.text.length, chunkCount];
}

export function chunkRow(doc: SourceDocument, c: Chunk): ChunkRow {
  const idx = headingIndicesAt(doc.headings, c.start);
  const same = idx.length === c.headingPath.length && idx.every((h, i) => doc.headings[h].text === c.headingPath[i]);
  return [c.id, c.start, c.end, c.ordinal, c.tokens, same ? idx : c.headingPath];
}

/** A chunk back from its row and its document (whose text the row's offsets index). */
export function chunkFromRow(doc: SourceDocument, row: ChunkRow, chunker: string): Chunk {
  const [id, start, end, ordinal, tokens, heading] = row;
  const headingPath = heading.map((h) => (typeof h === 'number' ? doc.headings[h].text : h));
  return { id, docId: doc.id, start, end, text: doc.text.slice(start, end), ordinal, chunker, headingPath, tokens };
}

/** Checks the shape of the rows read (a part with the right checksum can still be from another version). */
export function checkRows(docs: unknown, chunks: unknown): { docs: DocumentRow[]; chunks: ChunkRow[] } {
  if (!Array.isArray(docs) || !docs.every((d) => Array.isArray(d) && d.length === 5 && typeof d[0] === 'string' && typeof d[1] === 'string' && Number.isInteger(d[3]) && Number.isInteger(d[4]))) {
    throw new Error('documents.json does not hold document rows');
  }
  if (!Array.isArray(chunks) || !chunks.every((c) => Array.isArray(c) && c.length === 6 && typeof c[0] === 'string' && Number.isInteger(c[1]) && Number.isInteger(c[2]) && Array.isArray(c[5]))) {
    throw new Error('chunks.json does not hold chunk rows');
  }
  return { docs: docs as DocumentRow[], chunks: chunks as ChunkRow[] };
}

/** Indices into `headings` of the enclosing headings at `offset`, outermost first (as headingPathAt finds them). */
function headingIndicesAt(headings: Heading[], offset: number): number[] {
  const stack: number[] = [];
  for (let i = 0; i < headings.length; i++) {
    const h = headings[i];
    if (h.start > offset) break;
    while (stack.length && headings[stack[stack.length - 1]].level >= h.level) stack.pop();
    stack.push(i);
  }
  return stack;
}
