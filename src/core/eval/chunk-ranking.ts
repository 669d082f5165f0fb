import type { Chunk } from '../chunking/chunk';
import type { Retriever } from '../retrieve/retriever';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { MetadataFilter, RankPosition } from '../retrieve/types';
import { spanOverlapsChunk } from './chunk-relevance';
import { documentLookup, placeHits, type DocumentLookup } from './hit-placement';
import type { DocumentIdRule } from '../retrieve/retriever-config';

export interface RankedChunk {
  chunkId: string;
  rank: number;
  score: number;
}

/**
 * A retriever's ranking as chunks of the local index, for what reads chunk ids (hard-negative mining, the query
 * neighbourhood): a local retriever's hits are chunks already; an engine's hits are placed in the workspace and
 * stand for the local chunk they hold most of (by the overlap rule), each chunk at its best rank. `located`: where
 * these chunks sit — however deep when the retriever can `locate`, else within the `depth` read (null beyond).
 */
export async function rankLocalChunks(
  index: RetrievalIndex,
  retriever: Retriever,
  query: string,
  depth: number,
  options: { filter?: MetadataFilter; signal?: AbortSignal; locate?: readonly string[]; documentId?: DocumentIdRule; docs?: DocumentLookup } = {},
): Promise<{ hits: RankedChunk[]; located: Map<string, RankPosition> }> {
  const filter = retriever.capabilities.filters ? options.filter : undefined;
  const found = await retriever.search(query, depth, { filter, signal: options.signal, explain: false });
  const placed = placeHits(found, options.docs ?? documentLookup(index.documents()), options.documentId);
  const hits: RankedChunk[] = [];
  const seen = new Set<string>();
  for (const p of placed) {
    const c = p.hit.chunkId !== undefined && index.getChunk(p.hit.chunkId) ? index.getChunk(p.hit.chunkId) : p.docId !== null && p.start !== undefined && p.end !== undefined ? heldChunk(index.chunksOf(p.docId), p.start, p.end) : undefined;
    if (!c || seen.has(c.id)) continue;
    seen.add(c.id);
    hits.push({ chunkId: c.id, rank: p.hit.rank, score: p.hit.score });
  }
  const wanted = options.locate ?? [];
  let located: Map<string, RankPosition>;
  if (wanted.length && retriever.locate) located = await retriever.locate(query, wanted, { filter, signal: options.signal });
  else {
    const at = new Map(hits.map((h) => [h.chunkId, h]));
    located = new Map(wanted.map((id) => [id, at.has(id) ? { rank: at.get(id)!.rank, score: at.get(id)!.score } : { rank: null, score: null }]));
  }
  return { hits, located };
}

/** The local chunk a placed span stands for: of those it overlaps by the overlap rule, the one sharing most text. */
function heldChunk(chunks: readonly Chunk[], start: number, end: number): Chunk | undefined {
  let best: Chunk | undefined;
  let most = 0;
  for (const c of chunks) {
    if (!spanOverlapsChunk({ start, end }, c)) continue;
    const shared = Math.min(end, c.end) - Math.max(start, c.start);
    if (shared > most) {
      best = c;
      most = shared;
    }
  }
  return best;
}
