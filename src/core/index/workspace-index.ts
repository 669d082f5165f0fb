import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Chunk, ChunkerConfig, TokenCounter } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import { createChunker } from '../chunking/chunker-registry';
import type { Corpus, SourceDocument } from '../corpus/document';
import type { CrossEncoder, Embedder } from '../embed/embedder';
import { EmbeddingCache } from '../embed/embedding-cache';
import { writeFileAtomic, writeFileAtomicAsync } from '../io/atomic-write';
import { createYielder, sha256Async, stringifyArray } from '../io/yielder';
import { searchIndex } from '../retrieve/search';
import type { SearchDefaults } from '../retrieve/searchable-index';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { IndexManifest, KeywordConfig, SearchRequest, SearchResponse, UpdateStats } from '../retrieve/types';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex } from './keyword-index';
import { VectorIndex } from './vector-index';

export const INDEX_FORMAT_VERSION = 1;

/** Query vectors kept per index (512 floats each with USE-lite: 2 KiB). */
const QUERY_CACHE_SIZE = 512;

export interface IndexProgress {
  phase: 'chunk' | 'keyword' | 'embed' | 'save';
  done: number;
  total: number;
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
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
}

/** What embedding sees for a chunk: the document title and heading path as context, then the chunk text. */
export function embeddingInput(doc: SourceDocument, chunk: Chunk): string {
  const context = [doc.title, ...chunk.headingPath.filter((h) => h !== doc.title)].filter(Boolean).join(' > ');
  return context ? `${context}\n${chunk.text}` : chunk.text;
}

/** Title field of the keyword index: document title plus heading path. */
function keywordTitle(doc: SourceDocument, chunk: Chunk): string {
  return [doc.title, ...chunk.headingPath].join(' ');
}

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
  private readonly queryVectors = new Map<string, Float32Array>();

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
    this.cache = options.embedder ? EmbeddingCache.open(options.embedder.info, options.storageDir && path.join(options.storageDir, 'cache')) : null;
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
    const stats = await index.update(corpus);
    return { index, stats };
  }

  /**
   * Loads a saved index when it is intact and was built with the same chunker, keyword settings and model, then
   * brings it up to date with `corpus` incrementally. Anything else (missing, truncated, corrupt, another format
   * version, other settings) rebuilds from scratch and says why in `rebuilt`.
   */
  static async openOrBuild(corpus: Corpus, options: BuildOptions & { storageDir: string }): Promise<{ index: WorkspaceIndex; stats: UpdateStats; rebuilt?: string }> {
    const loaded = await WorkspaceIndex.load(options);
    if ('index' in loaded) {
      const stats = await loaded.index.update(corpus);
      return { index: loaded.index, stats };
    }
    const built = await WorkspaceIndex.build(corpus, options);
    return { ...built, rebuilt: loaded.reason };
  }

  /**
   * Reads a saved index; never throws: a problem is returned as a reason. Files are read off the event loop, checked
   * and parsed in slices with yields between them (an index of thousands of chunks loads without a long block).
   */
  static async load(options: BuildOptions & { storageDir: string }): Promise<{ index: WorkspaceIndex } | { reason: string }> {
    const dir = options.storageDir;
    const manifestFile = path.join(dir, 'manifest.json');
    if (!fs.existsSync(manifestFile)) return { reason: 'no saved index' };
    const y = createYielder();
    try {
      const saved = JSON.parse(await fs.promises.readFile(manifestFile, 'utf8')) as IndexManifest & { files?: Record<string, { bytes: number; sha256: string }> };
      if (saved.formatVersion !== INDEX_FORMAT_VERSION) return { reason: `index format ${saved.formatVersion} differs from ${INDEX_FORMAT_VERSION}` };
      if (saved.chunkerKey !== chunkerKey(options.chunker)) return { reason: `chunker changed (${saved.chunkerKey} → ${chunkerKey(options.chunker)})` };
      const keywordConfig = { ...DEFAULT_KEYWORD_CONFIG, ...options.keyword };
      if (JSON.stringify(saved.keyword) !== JSON.stringify(keywordConfig)) return { reason: 'keyword settings changed' };
      const want = options.embedder?.info ?? null;
      if (JSON.stringify(saved.model) !== JSON.stringify(want)) return { reason: `embedding model changed (${saved.model?.id ?? 'none'} → ${want?.id ?? 'none'})` };
      const read = async (name: string): Promise<Buffer> => {
        const f = saved.files?.[name];
        if (!f) throw new Error(`manifest lists no ${name}`);
        const buf = await fs.promises.readFile(path.join(dir, name));
        if (buf.byteLength !== f.bytes) throw new Error(`${name} is ${buf.byteLength} bytes, manifest says ${f.bytes} (truncated?)`);
        if ((await sha256Async(buf, y)) !== f.sha256) throw new Error(`${name} does not match its checksum`);
        await y();
        return buf;
      };
      const json = async <T>(name: string): Promise<T> => {
        const value = JSON.parse((await read(name)).toString('utf8')) as T;
        await y();
        return value;
      };
      const docs = await json<SourceDocument[]>('documents.json');
      const chunks = await json<Chunk[]>('chunks.json');
      const keyword = await KeywordIndex.loadAsync(keywordConfig, (await read('keyword.json')).toString('utf8'));
      let vectors: VectorIndex | null = null;
      if (want) {
        const ids = await json<string[]>('vector-ids.json');
        const buf = await read('vectors.f32');
        vectors = await VectorIndex.restoreAsync(want.dims, ids, new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), y);
      }
      const { files: _files, ...manifest } = saved;
      const index = new WorkspaceIndex(options, manifest, keyword, vectors);
      for (const d of docs) index.docs.set(d.id, d);
      for (const c of chunks) {
        index.chunkMap.set(c.id, c);
        const list = index.chunkIdsByDoc.get(c.docId);
        if (list) list.push(c.id);
        else index.chunkIdsByDoc.set(c.docId, [c.id]);
        await y();
      }
      if (keyword.size !== chunks.length || (vectors && vectors.size !== chunks.length)) {
        return { reason: `saved parts disagree (${chunks.length} chunks, ${keyword.size} keyword entries, ${vectors?.size ?? '-'} vectors)` };
      }
      return { index };
    } catch (e) {
      return { reason: `saved index unreadable: ${e instanceof Error ? e.message : e}` };
    }
  }

  /** Brings the index in line with `corpus`: only added, changed and deleted documents are touched. */
  async update(corpus: Corpus): Promise<UpdateStats> {
    const t0 = performance.now();
    const incoming = new Map(corpus.documents.map((d) => [d.id, d]));
    const removed = [...this.docs.keys()].filter((id) => !incoming.has(id));
    const changed: SourceDocument[] = [];
    let unchanged = 0;
    for (const d of corpus.documents) {
      const old = this.docs.get(d.id);
      if (old && old.contentHash === d.contentHash) {
        unchanged++;
        if (old.mtimeMs !== d.mtimeMs || old.absPath !== d.absPath) this.docs.set(d.id, { ...old, mtimeMs: d.mtimeMs, absPath: d.absPath });
      } else changed.push(d);
    }
    const stats = await this.applyChanges(changed, removed, true);
    const added = changed.filter((d) => !this.manifest.documents[d.id]).length;
    this.finishManifest(changed, removed);
    if (this.options.storageDir && (changed.length || removed.length || !fs.existsSync(path.join(this.options.storageDir, 'manifest.json')))) await this.saveAsync();
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
   * 1. prepare (nothing visible changes): chunk the changed documents and embed the new chunks (cache first),
   *    yielding to the event loop every few milliseconds and honouring the abort signal at each yield. Embedding
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
    const chunker = createChunker(this.options.chunker, this.options.tokenCounter);
    const fresh: Array<{ doc: SourceDocument; chunk: Chunk }> = [];
    const chunksOf = new Map<string, Chunk[]>();
    // Cold: nothing indexed and nothing to remove, so the keyword index can be built beside the live (empty) one.
    const staged = this.chunkMap.size === 0 && this.keyword.size === 0 && removed.length === 0 ? new KeywordIndex(this.keyword.config) : null;
    const embedder = this.options.embedder;
    const embedding = embedder && this.vectors && this.cache ? new OverlappedEmbedding(embedder, this.cache, signal) : null;
    const inputs: string[] = [];
    const reportEmbed = () => embedding && onProgress?.({ phase: 'embed', done: embedding.known(inputs), total: inputs.length });
    let keyworded = 0;
    for (let i = 0; i < changed.length; i++) {
      const doc = changed[i];
      const chunks = chunker.chunk(doc);
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
        vectors.push(this.cache?.get(inputs[i]) as Float32Array);
        if (i % 256 === 255) await y();
      }
      chunksEmbedded = embedding.embedded;
      embeddingCacheHits = inputs.length - embedding.embedded;
    }
    signal?.throwIfAborted();
    // Commit.
    let done!: () => void;
    const committing = new Promise<void>((r) => (done = r));
    this.committing = committing;
    try {
      const cy = cancellableCommit ? y : slice;
      for (const id of [...removed, ...changed.map((d) => d.id)]) this.dropDocument(id);
      for (const doc of changed) {
        const chunks = chunksOf.get(doc.id) ?? [];
        this.docs.set(doc.id, doc);
        this.chunkIdsByDoc.set(doc.id, chunks.map((c) => c.id));
        for (const c of chunks) this.chunkMap.set(c.id, c);
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

  private finishManifest(changed: SourceDocument[], removed: string[]): void {
    const documents = { ...this.manifest.documents };
    for (const id of removed) delete documents[id];
    for (const d of changed) documents[d.id] = { contentHash: d.contentHash, mtimeMs: d.mtimeMs, chunkIds: this.chunkIdsByDoc.get(d.id) ?? [] };
    for (const [id, d] of this.docs) if (documents[id]) documents[id] = { ...documents[id], mtimeMs: d.mtimeMs };
    this.manifest = {
      ...this.manifest,
      documents,
      chunkCount: this.chunkMap.size,
      corpusHash: corpusHash(this.docs.values()),
      updatedAt: new Date().toISOString(),
    };
  }

  /** Writes every part atomically, the manifest (with sizes and checksums) last. */
  save(): void {
    const dir = this.options.storageDir;
    if (!dir) return;
    this.options.onProgress?.({ phase: 'save', done: 0, total: 1 });
    fs.mkdirSync(dir, { recursive: true });
    const files: Record<string, { bytes: number; sha256: string }> = {};
    const put = (name: string, data: string | Uint8Array) => {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      writeFileAtomic(path.join(dir, name), buf);
      files[name] = { bytes: buf.byteLength, sha256: sha256(buf) };
    };
    put('documents.json', JSON.stringify([...this.docs.values()]));
    put('chunks.json', JSON.stringify([...this.chunkMap.values()]));
    put('keyword.json', this.keyword.toJSON());
    if (this.vectors) {
      const snap = this.vectors.snapshot();
      put('vector-ids.json', JSON.stringify(snap.ids));
      put('vectors.f32', new Uint8Array(snap.data.buffer, snap.data.byteOffset, snap.data.byteLength));
    }
    if (this.cache) {
      this.cache.retain([...this.chunkMap.values()].map((c) => embeddingInput(this.docs.get(c.docId) as SourceDocument, c)));
      this.cache.save();
    }
    writeFileAtomic(path.join(dir, 'manifest.json'), JSON.stringify({ ...this.manifest, files }, null, 1));
    this.options.onProgress?.({ phase: 'save', done: 1, total: 1 });
  }

  /**
   * save() without blocking the event loop: the same files (each part's JSON built slice by slice with yields),
   * written atomically off the loop, the manifest last.
   */
  async saveAsync(): Promise<void> {
    const dir = this.options.storageDir;
    if (!dir) return;
    const y = createYielder();
    this.options.onProgress?.({ phase: 'save', done: 0, total: 1 });
    await fs.promises.mkdir(dir, { recursive: true });
    const files: Record<string, { bytes: number; sha256: string }> = {};
    const put = async (name: string, data: string | Uint8Array) => {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      await y();
      files[name] = { bytes: buf.byteLength, sha256: await sha256Async(buf, y) };
      await writeFileAtomicAsync(path.join(dir, name), buf);
    };
    await put('documents.json', await stringifyArray([...this.docs.values()], y));
    await put('chunks.json', await stringifyArray([...this.chunkMap.values()], y));
    await put('keyword.json', await this.keyword.toJSONAsync(y));
    if (this.vectors) {
      const snap = this.vectors.snapshot();
      await put('vector-ids.json', JSON.stringify(snap.ids));
      await put('vectors.f32', new Uint8Array(snap.data.buffer, snap.data.byteOffset, snap.data.byteLength));
    }
    if (this.cache) {
      const inputs: string[] = [];
      for (const c of this.chunkMap.values()) {
        inputs.push(embeddingInput(this.docs.get(c.docId) as SourceDocument, c));
        await y();
      }
      this.cache.retain(inputs);
      await y();
      await this.cache.saveAsync(y);
    }
    await writeFileAtomicAsync(path.join(dir, 'manifest.json'), JSON.stringify({ ...this.manifest, files }, null, 1));
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
   * The query's vector, from a small most-recently-used cache: the inspector re-running a query with other
   * fusion settings, or an evaluation sweeping them, embeds each query once.
   */
  async embedQuery(query: string, signal?: AbortSignal): Promise<Float32Array> {
    const embedder = this.options.embedder;
    if (!embedder) throw new Error('no embedding model configured for this index');
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
class OverlappedEmbedding {
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

function sha256(buf: Uint8Array): string {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

export function corpusHash(docs: Iterable<SourceDocument>): string {
  const pairs = [...docs].map((d) => `${d.id}\u0000${d.contentHash}`).sort();
  return crypto.createHash('sha256').update(pairs.join('\n')).digest('hex');
}
