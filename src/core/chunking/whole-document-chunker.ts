import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';

/** One chunk per document: the body [bodyStart, text.length), whitespace trimmed (document-level retrieval, BEIR). */
export function createWholeDocumentChunker(config: Extract<ChunkerConfig, { kind: 'whole-document' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => [[doc.bodyStart, doc.text.length]]);
}
