import { parentPort } from 'node:worker_threads';
import type { ChunkerConfig } from '../chunking/chunk';
import { createChunker } from '../chunking/chunker-registry';
import type { SourceDocument } from '../corpus/document';
import { chunkRow, type ChunkRow } from './index-parts';

/**
 * The worker thread that chunks documents for a cold build (chunk-pipeline.ts), so the main thread adds the
 * previous batch to the keyword index while this one is cut. One batch per message, answered in order: per
 * document its chunks as rows (index-parts.ts: offsets, ordinal, tokens, heading path as indices into the
 * document's headings), from which the main thread makes the same Chunk objects without sending any text back.
 */
export type ChunkRequest = { type: 'chunk'; batch: number; config: ChunkerConfig; docs: SourceDocument[] };
export type ChunkReply = { type: 'chunks'; batch: number; rows: ChunkRow[][] } | { type: 'error'; batch: number; message: string };

parentPort?.on('message', (m: ChunkRequest) => {
  try {
    const chunker = createChunker(m.config);
    const rows = m.docs.map((doc) => chunker.chunk(doc).map((c) => chunkRow(doc, c)));
    parentPort?.postMessage({ type: 'chunks', batch: m.batch, rows } satisfies ChunkReply);
  } catch (e) {
    parentPort?.postMessage({ type: 'error', batch: m.batch, message: e instanceof Error ? e.message : String(e) } satisfies ChunkReply);
  }
});
