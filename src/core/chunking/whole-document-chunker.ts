import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';

/**
 * One chunk per document: the body [bodyStart, text.length), whitespace trimmed (document-level retrieval, BEIR).
 * The only chunker without a size of its own, by design: the document is the unit retrieved. Its cap is the corpus
 * loader's file cap (DEFAULT_MAX_FILE_BYTES, 2 MiB, in load-folder.ts); the keyword index takes the whole text (its
 * cost is linear), and each embedder cuts its input to its model's window before tokenizing (USE_LITE_MAX_INPUT_CHARS,
 * transformersInputChars, OPENAI_MAX_INPUT_CHARS), so a long document costs the embedder no more than a window.
 */
export function createWholeDocumentChunker(config: Extract<ChunkerConfig, { kind: 'whole-document' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => [[doc.bodyStart, doc.text.length]]);
}
