import type { RetrievalIndex } from './searchable-index';
import type { RetrievedHit, Retriever, RetrieverCapabilities, RetrieverSearchOptions } from './retriever';
import type { FusionConfig, QueryVectorTransform, RerankConfig, RetrieverName, SearchHit } from './types';

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
    this.capabilities = { filters: true, returnsText: true, needsQueryVector: retriever !== 'keyword', concurrency: 1 };
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
}
