import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Chunk } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import type { Corpus, SourceDocument } from '../corpus/document';
import type { CrossEncoder, Embedder } from '../embed/embedder';
import { EmbeddingCache } from '../embed/embedding-cache';
import { createYielder } from '../io/yielder';
import { searchIndex } from '../retrieve/search';
import type { SearchDefaults } from '../retrieve/searchable-index';
import type { IndexManifest, RetrievalIndex } from '../retrieve/searchable-index';
import type { SearchRequest, SearchResponse } from '../retrieve/types';
import { byId, keywordTitle, OverlappedEmbedding, prepareChanges, type BuildOptions, type UpdateStats } from './index-build';
import { INDEX_FORMAT_VERSION, loadSavedIndex, writeIndex, writeIndexAsync } from './index-persistence';
import { QueryVectorCache } from './query-vector-cache';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex } from '../store/keyword-index';
import { VectorIndex } from '../store/vector-index';

// The index's public API as before the split by job: build (index-build.ts), disk (index-persistence.ts).
export { EMBED_GROUP, embeddingInput, type BuildOptions, type IndexProgress, type UpdateStats } from './index-build';
export { INDEX_FORMAT_VERSION } from './index-persistence';

/**
 * The index over one corpus: chunks, a MiniSearch keyword index, a vector index, and the manifest saying what
 * built them. Updates are incremental (only changed documents are re-chunked; only new chunk texts are embedded).
 */
export class WorkspaceIndex implements RetrievalIndex {
  readonly docs = new Map<string, SourceDocument>();
  readonly chunkMap = new Map<string, Chunk>();
  readonly chunkIdsByDoc = new Map<string, string[]>();
  keyword: KeywordIndex;
  vectors: VectorIndex | null;
  manifest: IndexManifest;
  /** The workspace's fusion and rerank settings; the editor updates them when the settings change. */
  searchDefaults: SearchDefaults;
  private cache: EmbeddingCache | null;
  private readonly queryVectors = new QueryVectorCache();
  /** Saved documents not loaded because the corpus given to load has other content for them (or lacks them). */
  private readonly stale = new Set<string>();
  /** Set when what is on disk is not this index in the current format (a format-1 index read for migration). */
  private unsaved = false;
  /** Set while build() runs: the save at its end swaps the live keyword index for the saved postings. */
  private freezeOnSave = false;

  private constructor(
    readonly options: BuildOptions,
    manifest: IndexManifest,
    keyword: KeywordIndex,
    vectors: VectorIndex | null,
  ) {
    this.manifest = manifest;
    this.keyword = keyword;
    this.vectors = vectors;
    this.searchDefaults = options.search ?? {};
    this.cache = options.embedder ? EmbeddingCache.open(options.embedder.info, options.storageDir && path.join(options.storageDir, 'cache'), options.embeddingCacheGroup) : null;
  }

  get embedder(): Embedder | null {
    return this.options.embedder ?? null;
  }

  get crossEncoder(): CrossEncoder | null {
    return this.options.crossEncoder ?? null;
  }

  static empty(options: BuildOptions): WorkspaceIndex {
    const keywordConfig = { ...DEFAULT_KEYWORD_CONFIG, ...options.keyword };
    const now = new Date().toISOString();
    const manifest: IndexManifest = {
      formatVersion: INDEX_FORMAT_VERSION,
      chunker: options.chunker,
      chunkerKey: chunkerKey(options.chunker),
      keyword: keywordConfig,
      model: options.embedder?.info ?? null,
      corpusHash: '',
      documents: {},
      chunkCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    return new WorkspaceIndex(options, manifest, new KeywordIndex(keywordConfig), options.embedder ? new VectorIndex(options.embedder.info.dims) : null);
  }

  /** Builds from scratch; saves when a storage folder is given. */
  static async build(corpus: Corpus, options: BuildOptions): Promise<{ index: WorkspaceIndex; stats: UpdateStats }> {
    const index = WorkspaceIndex.empty(options);
    // Once saved, a cold build holds its keyword index as a reopened one does: frozen over the saved postings (a
    // live MiniSearch of 38k chunks is about 140 MB of heap more). The first change rebuilds it, as after a reopen.
    index.freezeOnSave = true;
    try {
      const stats = await index.update(corpus);
      return { index, stats };
    } finally {
      index.freezeOnSave = false;
    }
  }

  /**
   * Loads a saved index when it is intact and was built with the same chunker, keyword settings and model, then
   * brings it up to date with `corpus` incrementally. Anything else (missing, truncated, corrupt, another format
   * version, other settings) rebuilds from scratch and says why in `rebuilt`. An index saved in format 1 is read
   * once and saved again in this format (`migrated` says so).
   */
  static async openOrBuild(corpus: Corpus, options: BuildOptions & { storageDir: string }): Promise<{ index: WorkspaceIndex; stats: UpdateStats; rebuilt?: string; migrated?: string }> {
    const loaded = await WorkspaceIndex.load(options, corpus);
    if ('index' in loaded) {
      const stats = await loaded.index.update(corpus);
      return { index: loaded.index, stats, ...(loaded.migrated ? { migrated: loaded.migrated } : {}) };
    }
    const built = await WorkspaceIndex.build(corpus, options);
    return { ...built, rebuilt: loaded.reason };
  }

  /**
   * Reads a saved index for `corpus`; never throws: a problem is returned as a reason. Each part is read off the
   * event loop and checked against the size and SHA-256 the manifest gives (a corrupt part is never trusted), then
   * parsed in slices with yields between them. Format 2 stores no text: documents and chunk texts are the corpus's,
   * taken where the content hash matches; documents whose content changed are left for the update that follows.
   */
  static async load(options: BuildOptions & { storageDir: string }, corpus: Corpus): Promise<{ index: WorkspaceIndex; migrated?: string } | { reason: string }> {
    const loaded = await loadSavedIndex(options, corpus, (manifest, keyword, vectors) => new WorkspaceIndex(options, manifest, keyword, vectors));
    if ('reason' in loaded) return loaded;
    for (const id of loaded.stale) loaded.index.stale.add(id);
    if (!loaded.migrated) return { index: loaded.index };
    loaded.index.unsaved = true;
    return { index: loaded.index, migrated: loaded.migrated };
  }

  /** Brings the index in line with `corpus`: only added, changed and deleted documents are touched. */
  async update(corpus: Corpus): Promise<UpdateStats> {
    const t0 = performance.now();
    const y = createYielder();
    const incoming = await byId(corpus.documents, y);
    // Saved documents whose content changed were not loaded (stale): removed, or re-chunked below as changed.
    const removed = [...this.docs.keys(), ...this.stale].filter((id) => !incoming.has(id));
    const changed: SourceDocument[] = [];
    let unchanged = 0;
    for (const d of corpus.documents) {
      const old = this.docs.get(d.id);
      if (old && old.contentHash === d.contentHash) {
        unchanged++;
        if (old.mtimeMs !== d.mtimeMs || old.absPath !== d.absPath) this.docs.set(d.id, { ...old, mtimeMs: d.mtimeMs, absPath: d.absPath });
      } else changed.push(d);
      if ((changed.length + unchanged) % 512 === 0) await y();
    }
    const stats = await this.applyChanges(changed, removed, true);
    this.stale.clear();
    const added = changed.filter((d) => !this.manifest.documents[d.id]).length;
    this.finishManifest(changed, removed);
    if (this.options.storageDir && (changed.length || removed.length || this.unsaved || !fs.existsSync(path.join(this.options.storageDir, 'manifest.json')))) await this.saveAsync();
    return { ...stats, added, changed: changed.length - added, removed: removed.length, unchanged, ms: performance.now() - t0 };
  }

  /**
   * For files saved, created or deleted in the editor: `doc` null removes the document. Unchanged content is
   * skipped by hash; the index is saved once for the whole batch.
   */
  async updateDocuments(changes: Array<{ docId: string; doc: SourceDocument | null }>): Promise<UpdateStats> {
    const t0 = performance.now();
    const changed: SourceDocument[] = [];
    const removed: string[] = [];
    let added = 0;
    let unchanged = 0;
    for (const { docId, doc } of changes) {
      const old = this.docs.get(docId);
      if (doc && old?.contentHash === doc.contentHash) unchanged++;
      else if (doc) {
        changed.push(doc);
        if (!old) added++;
      } else if (old) removed.push(docId);
    }
    if (!changed.length && !removed.length) return { added: 0, changed: 0, removed: 0, unchanged, chunksEmbedded: 0, embeddingCacheHits: 0, ms: performance.now() - t0 };
    const stats = await this.applyChanges(changed, removed);
    this.finishManifest(changed, removed);
    if (this.options.storageDir) await this.saveAsync();
    return { ...stats, added, changed: changed.length - added, removed: removed.length, unchanged, ms: performance.now() - t0 };
  }

  /**
   * Two phases, so a search never sees half an update and the event loop is never held for long:
   * 1. prepare (prepareChanges in index-build.ts; nothing visible changes): chunk the changed documents and embed
   *    the new chunks (cache first), yielding to the event loop every few milliseconds and honouring the abort
   *    signal at each yield. Embedding
   *    overlaps the chunking: every EMBED_GROUP distinct texts the cache lacks go to the embedder at once (at most
   *    EMBED_GROUPS_IN_FLIGHT groups outstanding, so memory stays bounded) while chunking goes on. Into an empty
   *    index the keyword index is built here too, as a staged index nobody searches until the commit swaps it in;
   * 2. commit: drop the old chunks, add the new ones to the documents, keyword and vector indexes. Searches that
   *    arrive meanwhile wait for the commit (see search), so they are answered from a consistent index. The commit
   *    yields too; it is cancellable only when `cancellableCommit` (a build into an index nobody searches yet).
   */
  private async applyChanges(changed: SourceDocument[], removed: string[], cancellableCommit = false): Promise<Pick<UpdateStats, 'chunksEmbedded' | 'embeddingCacheHits'>> {
    const { signal, onProgress } = this.options;
    const slice = createYielder();
    const y = () => {
      signal?.throwIfAborted();
      return slice();
    };
    // A keyword index opened frozen (as saved) is rebuilt into a MiniSearch before it can change.
    if (changed.length || removed.length) await this.keyword.hydrate(y);
    // Cold: nothing indexed and nothing to remove, so the keyword index can be built beside the live (empty) one.
    const staged = this.chunkMap.size === 0 && this.keyword.size === 0 && removed.length === 0 ? new KeywordIndex(this.keyword.config) : null;
    const embedder = this.options.embedder;
    const embedding = embedder && this.vectors && this.cache ? new OverlappedEmbedding(embedder, this.cache, signal) : null;
    const { fresh, chunksOf, vectors, chunksEmbedded, embeddingCacheHits } = await prepareChanges(changed, this.options, staged, embedding, this.cache, y);
    signal?.throwIfAborted();
    // Commit.
    let done!: () => void;
    const committing = new Promise<void>((r) => (done = r));
    this.committing = committing;
    try {
      const cy = cancellableCommit ? y : slice;
      let n = 0;
      for (const id of [...removed, ...changed.map((d) => d.id)]) {
        this.dropDocument(id);
        if (++n % 512 === 0) await cy();
      }
      for (const doc of changed) {
        const chunks = chunksOf.get(doc.id) ?? [];
        this.docs.set(doc.id, doc);
        this.chunkIdsByDoc.set(doc.id, chunks.map((c) => c.id));
        for (const c of chunks) this.chunkMap.set(c.id, c);
        if (++n % 512 === 0) await cy();
      }
      if (staged) {
        this.keyword = staged;
        onProgress?.({ phase: 'keyword', done: fresh.length, total: fresh.length });
      } else {
        onProgress?.({ phase: 'keyword', done: 0, total: fresh.length });
        await this.keyword.addAsync(fresh.map(({ doc, chunk }) => ({ chunk, title: keywordTitle(doc, chunk) })), cy);
      }
      if (this.vectors && vectors.length === fresh.length) {
        for (let i = 0; i < fresh.length; i++) {
          this.vectors.add(fresh[i].chunk.id, vectors[i]);
          if (i % 64 === 63) await cy();
        }
      }
    } finally {
      if (this.committing === committing) this.committing = undefined;
      done();
    }
    return { chunksEmbedded, embeddingCacheHits };
  }

  /** Set while an update is being applied; searches wait for it. */
  private committing: Promise<void> | undefined;

  private dropDocument(docId: string): void {
    const ids = this.chunkIdsByDoc.get(docId) ?? [];
    this.keyword.remove(ids);
    for (const id of ids) {
      this.vectors?.remove(id);
      this.chunkMap.delete(id);
    }
    this.chunkIdsByDoc.delete(docId);
    this.docs.delete(docId);
  }

  /**
   * The manifest after an update. The per-document list is changed in place, entry by entry (copying a record of
   * 20,000 documents and every entry in it held the event loop 40-120 ms on each open of a large workspace); the
   * corpus hash is recomputed only when documents were added, changed or removed.
   */
  private finishManifest(changed: SourceDocument[], removed: string[]): void {
    const documents = this.manifest.documents;
    for (const id of removed) delete documents[id];
    for (const d of changed) documents[d.id] = { contentHash: d.contentHash, mtimeMs: d.mtimeMs, chunkIds: this.chunkIdsByDoc.get(d.id) ?? [] };
    for (const [id, d] of this.docs) {
      const entry = documents[id];
      if (entry && entry.mtimeMs !== d.mtimeMs) documents[id] = { ...entry, mtimeMs: d.mtimeMs };
    }
    this.manifest = {
      ...this.manifest,
      chunkCount: this.chunkMap.size,
      corpusHash: changed.length || removed.length || !this.manifest.corpusHash ? corpusHash(this.docs.values()) : this.manifest.corpusHash,
      updatedAt: new Date().toISOString(),
    };
  }

  /** Writes every part atomically, the manifest (with sizes and checksums) last. */
  save(): void {
    const dir = this.options.storageDir;
    if (!dir) return;
    this.options.onProgress?.({ phase: 'save', done: 0, total: 1 });
    writeIndex(dir, this, this.cache);
    this.unsaved = false;
    this.options.onProgress?.({ phase: 'save', done: 1, total: 1 });
  }

  /** save() without blocking the event loop: the same files, built in slices with yields, written off the loop. */
  async saveAsync(): Promise<void> {
    const dir = this.options.storageDir;
    if (!dir) return;
    this.options.onProgress?.({ phase: 'save', done: 0, total: 1 });
    const keyword = this.keyword;
    const version = keyword.version;
    const { keywordBytes } = await writeIndexAsync(dir, this, this.cache);
    // Scores are the same bits frozen or live (keyword-index.ts); only if nothing changed while the bytes were written.
    const unchanged = () => this.keyword === keyword && keyword.version === version;
    if (this.freezeOnSave && !keyword.isFrozen && unchanged() && keywordBytes.byteLength) {
      const frozen = await KeywordIndex.fromBinaryAsync(keyword.config, keywordBytes, createYielder());
      if (unchanged()) this.keyword = frozen;
    }
    this.unsaved = false;
    this.options.onProgress?.({ phase: 'save', done: 1, total: 1 });
  }

  /** Bytes the saved index takes on disk (for the re-embedding cost in the readiness report). */
  diskBytes(): number {
    const dir = this.options.storageDir;
    if (!dir || !fs.existsSync(dir)) return 0;
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((s, e) => s + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
  }

  getChunk(id: string): Chunk | undefined {
    return this.chunkMap.get(id);
  }

  chunksOf(docId: string): Chunk[] {
    return (this.chunkIdsByDoc.get(docId) ?? []).map((id) => this.chunkMap.get(id) as Chunk);
  }

  allChunks(): Iterable<Chunk> {
    return this.chunkMap.values();
  }

  getDocument(docId: string): SourceDocument | undefined {
    return this.docs.get(docId);
  }

  documents(): Iterable<SourceDocument> {
    return this.docs.values();
  }

  /** Searches the index; during an update's commit it waits for the commit, so it never sees half an update. */
  async search(request: SearchRequest): Promise<SearchResponse> {
    while (this.committing) await this.committing;
    return searchIndex(this, request);
  }

  /**
   * The query's vector, from a small most-recently-used cache (query-vector-cache.ts): the inspector re-running a
   * query with other fusion settings, or an evaluation sweeping them, embeds each query once.
   */
  async embedQuery(query: string, signal?: AbortSignal): Promise<Float32Array> {
    const embedder = this.options.embedder;
    if (!embedder) throw new Error('no embedding model configured for this index');
    return this.queryVectors.embed(embedder, query, signal);
  }
}

export function corpusHash(docs: Iterable<SourceDocument>): string {
  const pairs = [...docs].map((d) => `${d.id}\u0000${d.contentHash}`).sort();
  return crypto.createHash('sha256').update(pairs.join('\n')).digest('hex');
}
