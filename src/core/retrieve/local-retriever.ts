import type { RetrievalIndex } from './searchable-index';
import type { RetrievedHit, Retriever, RetrieverCapabilities, RetrieverSearchOptions } from './retriever';
import type { FusionConfig, QueryVectorTransform, RankPosition, RerankConfig, RetrieverName, SearchHit } from './types';

/** A local hit keeps the index's SearchHit beside the contract's fields, so callers that need it lose nothing. */
export interface LocalHit extends RetrievedHit {
  docId: string;
  chunkId: string;
  searchHit: SearchHit;
}

/**
 * One of the index's own retrievers (keyword, dense, hybrid, rerank) behind the Retriever contract. It runs
 * exactly the search the index runs (RetrievalIndex.search), with the given fusion and rerank settings over the
 * index's defaults, and returns each hit with its chunk's text and offsets.
 */
export class LocalRetriever implements Retriever {
  readonly kind = 'local';
  readonly capabilities: RetrieverCapabilities;

  constructor(
    readonly index: RetrievalIndex,
    readonly retriever: RetrieverName,
    readonly settings: { fusion?: Partial<FusionConfig>; rerank?: Partial<RerankConfig>; queryTransform?: QueryVectorTransform } = {},
  ) {
    this.capabilities = { filters: true, returnsText: true, needsQueryVector: retriever !== 'keyword', concurrency: 1, explains: true };
  }

  get name(): string {
    return this.retriever;
  }

  async search(query: string, k: number, options: RetrieverSearchOptions = {}): Promise<LocalHit[]> {
    const r = await this.index.search({
      query,
      k,
      retrievers: [this.retriever],
      filter: options.filter,
      fusion: this.settings.fusion,
      rerank: this.settings.rerank,
      explain: options.explain,
      queryTransform: this.settings.queryTransform,
      signal: options.signal,
    });
    const err = r.errors[this.retriever];
    if (err) throw new Error(`${this.retriever}: ${err}`);
    return (r.results[this.retriever] ?? []).map((h) => {
      const c = this.index.getChunk(h.chunkId);
      return {
        rank: h.rank,
        score: h.score,
        id: h.chunkId,
        docId: h.docId,
        chunkId: h.chunkId,
        path: this.index.getDocument(h.docId)?.path,
        text: c?.text,
        start: c?.start,
        end: c?.end,
        explanation: h.explanation,
        searchHit: h,
      };
    });
  }

  /** The best position of each chunk in this retriever's whole ranking, from the index (no depth limit). */
  async locate(query: string, chunkIds: readonly string[], options: RetrieverSearchOptions = {}): Promise<Map<string, RankPosition>> {
    const r = await this.index.search({
      query,
      k: 1,
      retrievers: [this.retriever],
      filter: options.filter,
      fusion: this.settings.fusion,
      rerank: this.settings.rerank,
      explain: false,
      queryTransform: this.settings.queryTransform,
      signal: options.signal,
      locate: [...chunkIds],
    });
    const err = r.errors[this.retriever];
    if (err) throw new Error(`${this.retriever}: ${err}`);
    return new Map(chunkIds.map((id) => [id, r.positions[id]?.[this.retriever] ?? { rank: null, score: null }]));
  }

  /** The index's query vector, mapped by the query adapter when one is set; the keyword retriever ranks without one. */
  async queryVector(query: string, signal?: AbortSignal): Promise<Float32Array> {
    if (this.retriever === 'keyword') throw new Error('the keyword retriever ranks without a query vector');
    const v = await this.index.embedQuery(query, signal);
    return this.settings.queryTransform ? this.settings.queryTransform.apply(v) : v;
  }
}
