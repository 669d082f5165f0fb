import type { DenseRanking } from '../store/vector-index';
import type { HitMaker } from './keyword-retriever';
import type { LegHit } from './reciprocal-rank-fusion';
import type { SearchableIndex } from './searchable-index';
import type { QueryVectorTransform, SearchHit } from './types';

export interface DenseLeg {
  ranking?: DenseRanking;
  top: LegHit[];
  /** Why the dense leg could not run (no model, an adapter for another dimension). */
  error?: string;
  embedMs?: number;
}

/**
 * The dense leg: the query embedded by the index's model (optionally mapped by a query adapter, the corpus
 * untouched), then cosine over the allowed rows, the best `depth` kept.
 */
export async function denseLeg(index: SearchableIndex, query: string, depth: number, allowed: Set<string> | undefined, transform: QueryVectorTransform | undefined, signal: AbortSignal | undefined): Promise<DenseLeg> {
  const vectors = index.vectors;
  if (!index.embedder || !vectors) return { top: [], error: 'no embedding model configured for this index' };
  if (transform && transform.dims !== vectors.dims) return { top: [], error: `query adapter ${transform.id} maps ${transform.dims}-dim vectors, this index holds ${vectors.dims}-dim ones` };
  const t = performance.now();
  const raw = await index.embedQuery(query, signal);
  const embedMs = performance.now() - t;
  const qv = transform ? transform.apply(raw) : raw;
  const ranking = vectors.search(qv, depth, allowed ? (row: number) => allowed.has(vectors.idAt(row)) : undefined);
  return { ranking, top: ranking.top.map(({ row, score }) => ({ id: vectors.idAt(row), score })), embedMs };
}

/** The dense retriever's top k, each hit with its cosine. */
export function denseHits(top: LegHit[], k: number, hit: HitMaker): SearchHit[] {
  return top.slice(0, k).map((h, i) => hit(h.id, i + 1, h.score, { kind: 'dense', cosine: h.score }));
}
