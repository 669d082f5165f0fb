import { buildNeighbourhood, type NeighbourCandidate, type NeighbourhoodView } from '../../../core/adapt/neighbourhood';
import type { QueryAdapter } from '../../../core/adapt/query-adapter';
import { relevantChunks } from '../../../core/eval/chunk-relevance';
import type { EvalQuery } from '../../../core/eval/evalset-types';
import type { WorkspaceIndex } from '../../../core/index/workspace-index';

/** How deep the dense rankings are read for ranks, and how many of their top chunks are candidates. */
const DEPTH = 100;
const CANDIDATES = 25;

/**
 * The neighbourhood of one query in the workspace index: its labeled chunks (for an eval query), the dense top
 * chunks with and without the adapter, their vectors, ranks and previews, made into the view model.
 */
export async function queryNeighbourhood(index: WorkspaceIndex, query: string, evalQuery: EvalQuery | undefined, adapter: QueryAdapter | undefined, k: number): Promise<NeighbourhoodView> {
  const vectors = index.vectors;
  if (!index.embedder || !vectors) throw new Error('the neighbourhood view needs an index with an embedding model');
  const grades = new Map<string, number>();
  for (const j of evalQuery?.judgments ?? []) {
    for (const c of relevantChunks(index, j)) grades.set(c.id, Math.max(grades.get(c.id) ?? -1, j.grade));
  }
  const labeled = [...grades.keys()];
  const ranked = async (transform?: QueryAdapter) => {
    const r = await index.search({ query, k: DEPTH, retrievers: ['dense'], filter: evalQuery?.filter, locate: labeled, explain: false, queryTransform: transform });
    if (r.errors.dense) throw new Error(r.errors.dense);
    const rank = new Map<string, number>();
    for (const h of r.results.dense ?? []) rank.set(h.chunkId, h.rank);
    for (const [id, pos] of Object.entries(r.positions)) if (pos.dense?.rank != null && !rank.has(id)) rank.set(id, pos.dense.rank);
    return { rank, top: (r.results.dense ?? []).slice(0, CANDIDATES).map((h) => h.chunkId) };
  };
  const before = await ranked();
  const after = adapter ? await ranked(adapter) : undefined;
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
  return buildNeighbourhood({ query, queryId: evalQuery?.id, before: q, after: adapter?.apply(q), adapterId: adapter?.id, candidates, k, confusers: 8 });
}
