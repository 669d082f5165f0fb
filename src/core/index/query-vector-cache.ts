import type { Embedder } from '../embed/embedder';

/** Query vectors kept per index (512 floats each with USE-lite: 2 KiB). */
const QUERY_CACHE_SIZE = 512;

/**
 * The query vectors of one index, most recently used kept: the inspector re-running a query with other fusion
 * settings, or an evaluation sweeping them, embeds each query once (WorkspaceIndex.embedQuery).
 */
export class QueryVectorCache {
  private readonly queryVectors = new Map<string, Float32Array>();

  async embed(embedder: Embedder, query: string, signal?: AbortSignal): Promise<Float32Array> {
    const cached = this.queryVectors.get(query);
    if (cached) {
      this.queryVectors.delete(query);
      this.queryVectors.set(query, cached);
      return cached;
    }
    const [v] = await embedder.embed([query], { kind: 'query', signal });
    this.queryVectors.set(query, v);
    if (this.queryVectors.size > QUERY_CACHE_SIZE) this.queryVectors.delete(this.queryVectors.keys().next().value as string);
    return v;
  }
}
