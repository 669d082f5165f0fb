import type { Chunk, ChunkerConfig, TokenCounter } from '../chunking/chunk';
import type { SourceDocument } from '../corpus/document';
import type { CrossEncoder, Embedder } from '../embed/embedder';
import type { EmbeddingCache } from '../embed/embedding-cache';
import type { SearchDefaults } from '../retrieve/searchable-index';
import type { KeywordIndex } from '../store/keyword-index';
import type { KeywordConfig } from '../store/keyword-types';
import { chunkDocuments } from './chunk-pipeline';

/**
 * Building an index's contents: what a build is given (BuildOptions) and reports (IndexProgress, UpdateStats), the
 * texts the keyword and vector stores see for a chunk, and the prepare phase of an update, whose embedding overlaps
 * the chunking. WorkspaceIndex (workspace-index.ts) owns the result and commits it.
 */

export interface IndexProgress {
  phase: 'chunk' | 'keyword' | 'embed' | 'save';
  done: number;
  total: number;
}

export interface UpdateStats {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  chunksEmbedded: number;
  embeddingCacheHits: number;
  ms: number;
}

export interface BuildOptions {
  chunker: ChunkerConfig;
  tokenCounter?: TokenCounter;
  keyword?: Partial<KeywordConfig>;
  /** null: keyword only (dense, hybrid and rerank then report that no embedding model is configured). */
  embedder?: Embedder | null;
  crossEncoder?: CrossEncoder | null;
  /** Fusion and rerank settings for searches that do not give their own (query-time only: changing them needs no rebuild). */
  search?: SearchDefaults;
  /** Persist here (manifest, chunks, keyword index, vectors, embedding cache); omit for in-memory only. */
  storageDir?: string;
  /**
   * Indexes opened in this process with the same group and embedding model share their embeddings: a chunk text
   * one of them has embedded is not embedded again by another (e.g. the workspace folder, for the what-if chunker
   * indexes of a diagnosis beside the baseline index). Omit to share with none.
   */
  embeddingCacheGroup?: string;
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
}

/** What embedding sees for a chunk: the document title and heading path as context, then the chunk text. */
export function embeddingInput(doc: SourceDocument, chunk: Chunk): string {
  const context = [doc.title, ...chunk.headingPath.filter((h) => h !== doc.title)].filter(Boolean).join(' > ');
  return context ? `${context}\n${chunk.text}` : chunk.text;
}

/** Title field of the keyword index: document title plus heading path. */
export function keywordTitle(doc: SourceDocument, chunk: Chunk): string {
  return [doc.title, ...chunk.headingPath].join(' ');
}

/**
 * The prepare phase of an update (WorkspaceIndex.applyChanges; nothing a search reads changes here): chunks the
 * changed documents, adds their chunks to the staged keyword index of a cold build, and embeds the new chunks (cache
 * first) while chunking goes on. Returns the new chunks, by document, and their vectors in the same order.
 */
export async function prepareChanges(
  changed: SourceDocument[],
  options: BuildOptions,
  staged: KeywordIndex | null,
  embedding: OverlappedEmbedding | null,
  cache: EmbeddingCache | null,
  y: () => Promise<void> | undefined,
): Promise<{ fresh: Array<{ doc: SourceDocument; chunk: Chunk }>; chunksOf: Map<string, Chunk[]>; vectors: Float32Array[]; chunksEmbedded: number; embeddingCacheHits: number }> {
  const { signal, onProgress } = options;
  const fresh: Array<{ doc: SourceDocument; chunk: Chunk }> = [];
  const chunksOf = new Map<string, Chunk[]>();
  const inputs: string[] = [];
  const reportEmbed = () => embedding && onProgress?.({ phase: 'embed', done: embedding.known(inputs), total: inputs.length });
  let keyworded = 0;
  // Chunks come in document order; a large cold build cuts them in a worker thread (chunk-pipeline.ts) while this
  // loop indexes the ones already cut.
  let i = -1;
  for await (const { doc, chunks } of chunkDocuments(changed, options.chunker, options.tokenCounter, signal)) {
    i++;
    chunksOf.set(doc.id, chunks);
    for (const c of chunks) {
      fresh.push({ doc, chunk: c });
      if (embedding) inputs.push(embeddingInput(doc, c));
    }
    if (i % 200 === 0) onProgress?.({ phase: 'chunk', done: i, total: changed.length });
    if (embedding) {
      for (let k = inputs.length - chunks.length; k < inputs.length; k++) embedding.add(inputs[k]);
      await embedding.dispatchFull(reportEmbed);
    }
    await y();
    if (staged) {
      // The main thread's keyword work runs while the model processes embed the groups already sent.
      for (let k = 0; k < chunks.length; k += 10) {
        staged.add(chunks.slice(k, k + 10).map((chunk) => ({ chunk, title: keywordTitle(doc, chunk) })));
        await y();
      }
      keyworded += chunks.length;
      if (i % 200 === 0) onProgress?.({ phase: 'keyword', done: keyworded, total: keyworded });
    }
  }
  if (embedding) {
    await embedding.finish(reportEmbed);
    reportEmbed();
  }
  let chunksEmbedded = 0;
  let embeddingCacheHits = 0;
  const vectors: Float32Array[] = [];
  if (embedding) {
    for (let i = 0; i < inputs.length; i++) {
      vectors.push(cache?.get(inputs[i]) as Float32Array);
      if (i % 256 === 255) await y();
    }
    chunksEmbedded = embedding.embedded;
    embeddingCacheHits = inputs.length - embedding.embedded;
  }
  return { fresh, chunksOf, vectors, chunksEmbedded, embeddingCacheHits };
}

/**
 * Distinct texts the cache lacks sent to the embedder in one call (its processes share the call's batches; a padded
 * model orders each call longest first, and a call this size already gets within 6% of the padding of one over a
 * whole 1,810-chunk corpus: 477k token positions against 451k).
 */
export const EMBED_GROUP = 256;
/** Calls outstanding at once while chunking goes on: one being embedded, one queued behind it. */
const EMBED_GROUPS_IN_FLIGHT = 2;

/**
 * The embedding side of applyChanges: texts the cache lacks are collected (each distinct text once, as
 * embedWithCache does), sent in groups while the caller keeps chunking, and their vectors go into the cache.
 * Waits race the abort signal, so a cancel is honoured at once even while an embedder finishes a batch (a call
 * still out then only fills the cache with vectors of the same texts; its failure is caught here).
 */
export class OverlappedEmbedding {
  private readonly queued = new Set<string>();
  private pendingGroup: string[] = [];
  private readonly inFlight: Array<Promise<void>> = [];
  private failure: unknown;
  /** Distinct texts embedded (cache misses). */
  embedded = 0;
  private resolved = 0;

  constructor(
    private readonly embedder: Embedder,
    private readonly cache: EmbeddingCache,
    private readonly signal: AbortSignal | undefined,
  ) {}

  add(text: string): void {
    if (this.queued.has(text) || this.cache.get(text)) return;
    this.queued.add(text);
    this.pendingGroup.push(text);
  }

  /** How many of `inputs` have their vector (cached, or embedded in this update; a repeat of a pending text counts as known). */
  known(inputs: string[]): number {
    return inputs.length - (this.queued.size - this.resolved);
  }

  /** Sends full groups; waits (cancellably) while too many are out. `onGroup` runs as each group completes. */
  async dispatchFull(onGroup: () => void): Promise<void> {
    this.check();
    while (this.pendingGroup.length >= EMBED_GROUP) {
      this.send(this.pendingGroup.splice(0, EMBED_GROUP), onGroup);
      while (this.inFlight.length >= EMBED_GROUPS_IN_FLIGHT) await this.wait(this.inFlight[0]);
    }
  }

  /** Sends the rest and waits for every group. */
  async finish(onGroup: () => void): Promise<void> {
    if (this.pendingGroup.length) this.send(this.pendingGroup.splice(0), onGroup);
    while (this.inFlight.length) await this.wait(this.inFlight[0]);
    this.check();
  }

  private send(texts: string[], onGroup: () => void): void {
    const p = this.embedder.embed(texts, { signal: this.signal, kind: 'passage' }).then(
      (vectors) => {
        texts.forEach((t, i) => this.cache.set(t, vectors[i]));
        this.embedded += texts.length;
        this.resolved += texts.length;
        onGroup();
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    );
    const tracked = p.finally(() => {
      const i = this.inFlight.indexOf(tracked);
      if (i >= 0) this.inFlight.splice(i, 1);
    });
    this.inFlight.push(tracked);
  }

  private async wait(p: Promise<void>): Promise<void> {
    this.check();
    const signal = this.signal;
    if (!signal) await p;
    else {
      let onAbort!: () => void;
      const aborted = new Promise<void>((resolve) => (onAbort = resolve));
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race([p, aborted]);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
    this.check();
  }

  private check(): void {
    this.signal?.throwIfAborted();
    if (this.failure !== undefined) throw this.failure;
  }
}

/** The documents by id, built in slices with yields (20,000 documents in one go held the loop 25-55 ms here). */
export async function byId(docs: SourceDocument[], y: () => Promise<void> | undefined): Promise<Map<string, SourceDocument>> {
  const map = new Map<string, SourceDocument>();
  for (let i = 0; i < docs.length; i++) {
    map.set(docs[i].id, docs[i]);
    if (i % 1024 === 1023) await y();
  }
  return map;
}
