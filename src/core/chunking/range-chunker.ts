import type { SourceDocument } from '../corpus/document';
import type { Chunk, Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { chunkerKey } from './chunker-key';
import { makeChunks } from './make-chunks';
import type { Range } from './text-spans';

/**
 * A chunker defined by where it cuts: `ranges` returns [start, end) ranges into `doc.text` (within the body);
 * makeChunks trims whitespace, drops empty ranges, attaches heading paths, ids, ordinals and token counts.
 */
export function rangeChunker<C extends ChunkerConfig>(config: C, counter: TokenCounter, ranges: (doc: SourceDocument) => Range[]): Chunker {
  const key = chunkerKey(config);
  return {
    key,
    config,
    chunk: (doc: SourceDocument): Chunk[] => makeChunks(doc, ranges(doc), key, counter),
  };
}
