import { buildNeighbourhood, type NeighbourCandidate, type NeighbourhoodView } from '../../../core/adapt/neighbourhood';
import type { QueryAdapter } from '../../../core/adapt/query-adapter';
import { relevantChunks } from '../../../core/eval/chunk-relevance';
import type { EvalQuery } from '../../../core/eval/evalset-types';
import { rankLocalChunks } from '../../../core/eval/chunk-ranking';
import type { DocumentIdRule } from '../../../core/retrieve/retriever-config';
import { LocalRetriever } from '../../../core/retrieve/local-retriever';
import type { Retriever } from '../../../core/retrieve/retriever';
import type { RetrievalIndex } from '../../../core/retrieve/searchable-index';

/** How deep the dense rankings are read for ranks, and how many of their top chunks are candidates. */
const DEPTH = 100;
const CANDIDATES = 25;

/**
 * The neighbourhood of one query in the workspace index: its labeled chunks (for an eval query), the top chunks of
 * the retriever looked through (the index's dense one by default, with and without the adapter; or any Retriever —
 * an engine's hits stand for the local chunks they hold), their vectors, ranks and previews, made into the view
 * model. The picture is drawn in the index's embedding space; an adapter's "after" applies to the local dense
 * ranking only, so with another retriever there is no "after".
 */
export async function queryNeighbourhood(
  index: RetrievalIndex,
  query: string,
  evalQuery: EvalQuery | undefined,
  adapter: QueryAdapter | undefined,
  k: number,
  through?: { retriever: Retriever; documentId?: DocumentIdRule },
): Promise<NeighbourhoodView> {
  const vectors = index.vectors;
  if (!index.embedder || !vectors) throw new Error('the neighbourhood view needs an index with an embedding model');
  const grades = new Map<string, number>();
  for (const j of evalQuery?.judgments ?? []) {
    for (const c of relevantChunks(index, j)) grades.set(c.id, Math.max(grades.get(c.id) ?? -1, j.grade));
  }
  const labeled = [...grades.keys()];
  const ranked = async (retriever: Retriever) => {
    const r = await rankLocalChunks(index, retriever, query, DEPTH, { filter: evalQuery?.filter, locate: labeled, documentId: through?.documentId });
    const rank = new Map<string, number>();
    for (const h of r.hits) rank.set(h.chunkId, h.rank);
    for (const [id, pos] of r.located) if (pos.rank != null && !rank.has(id)) rank.set(id, pos.rank);
    return { rank, top: r.hits.slice(0, CANDIDATES).map((h) => h.chunkId) };
  };
  const before = await ranked(through?.retriever ?? new LocalRetriever(index, 'dense'));
  const shownAdapter = through ? undefined : adapter;
  const after = shownAdapter ? await ranked(new LocalRetriever(index, 'dense', { queryTransform: shownAdapter })) : undefined;
  const ids = [...new Set([...labeled, ...before.top, ...(after?.top ?? [])])];
  const candidates: NeighbourCandidate[] = [];
  for (const id of ids) {
    const c = index.getChunk(id);
    const v = vectors.get(id);
    if (!c || !v) continue;
    candidates.push({
      chunkId: id,
      docId: c.docId,
      start: c.start,
      end: c.end,
      preview: c.text.slice(0, 300),
      vector: Float32Array.from(v),
      grade: grades.get(id),
      rankBefore: before.rank.get(id) ?? null,
      rankAfter: after ? (after.rank.get(id) ?? null) : null,
    });
  }
  const q = await index.embedQuery(query);
  return buildNeighbourhood({ query, queryId: evalQuery?.id, before: q, after: shownAdapter?.apply(q), adapterId: shownAdapter?.id, candidates, k, confusers: 8 });
}
