import type { Chunk } from '../chunking/chunk';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { EvalQuery, Judgment, Qrels, Run } from './evalset-types';

/**
 * A chunk is relevant to a span judgment when it holds at least half of the span, or the span covers at least half
 * of the chunk: a chunk that contains the answer counts, a chunk that merely grazes one word of it does not. The
 * chunk takes the highest grade of the spans it overlaps this way. Document-level judgments score only at document
 * level (they say nothing about which part of the document answers).
 */
export const SPAN_OVERLAP_RULE = 0.5;

export function spanOverlapsChunk(span: { start: number; end: number }, chunk: { start: number; end: number }): boolean {
  const overlap = Math.min(span.end, chunk.end) - Math.max(span.start, chunk.start);
  if (overlap <= 0) return false;
  return overlap >= SPAN_OVERLAP_RULE * (span.end - span.start) || overlap >= SPAN_OVERLAP_RULE * (chunk.end - chunk.start);
}

/** Chunks that hold the judged span (by the overlap rule); for a document judgment, every chunk of the document. */
export function relevantChunks(index: RetrievalIndex, j: Judgment): Chunk[] {
  const chunks = index.chunksOf(j.target.docId);
  if (j.target.type === 'document') return chunks;
  const span = j.target;
  return chunks.filter((c) => spanOverlapsChunk(span, c));
}

/** Document-level qrels: each judged document gets the highest grade among its judgments for the query. */
export function documentQrels(queries: EvalQuery[]): Qrels {
  const qrels: Qrels = new Map();
  for (const q of queries) {
    const m = new Map<string, number>();
    for (const j of q.judgments) m.set(j.target.docId, Math.max(m.get(j.target.docId) ?? 0, j.grade));
    if (m.size) qrels.set(q.id, m);
  }
  return qrels;
}

/** Chunk-level qrels derived from span judgments by overlap, so one eval set scores any chunker. */
export function chunkQrels(queries: EvalQuery[], chunksOf: (docId: string) => Chunk[]): Qrels {
  const qrels: Qrels = new Map();
  for (const q of queries) {
    const m = new Map<string, number>();
    for (const j of q.judgments) {
      if (j.target.type !== 'span' || j.stale) continue;
      const span = j.target;
      for (const c of chunksOf(span.docId)) {
        if (spanOverlapsChunk(span, c)) m.set(c.id, Math.max(m.get(c.id) ?? 0, j.grade));
      }
    }
    // A query whose labeled spans have no chunk (file not indexed, label stale) still counts, and scores 0.
    if (q.judgments.some((j) => j.target.type === 'span')) qrels.set(q.id, m);
  }
  return qrels;
}

/** Chunk hits → a document run: a document scores its best chunk, ranked by first appearance. */
export function documentRun(hits: Array<{ docId: string; score: number }>): Array<{ docId: string; score: number }> {
  const seen = new Set<string>();
  const out: Array<{ docId: string; score: number }> = [];
  for (const h of hits) {
    if (seen.has(h.docId)) continue;
    seen.add(h.docId);
    out.push(h);
  }
  return out;
}

export type { Qrels, Run };
