import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Chunk, ChunkerConfig, TokenCounter } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import type { Corpus, SourceDocument } from '../corpus/document';
import type { CrossEncoder, Embedder } from '../embed/embedder';
import { EmbeddingCache } from '../embed/embedding-cache';
import { writeFileAtomic, writeFileAtomicAsync } from '../io/atomic-write';
import { createYielder, sha256Async, drive } from '../io/yielder';
import { searchIndex } from '../retrieve/search';
import type { SearchDefaults } from '../retrieve/searchable-index';
import type { IndexManifest, RetrievalIndex } from '../retrieve/searchable-index';
import type { SearchRequest, SearchResponse } from '../retrieve/types';
import { chunkDocuments } from './chunk-pipeline';
import { checkRows, chunkFromRow, chunkRow, documentRow, linesJson, parseLinesJson, type ChunkRow, type DocumentRow } from './index-parts';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex, type KeywordConfig } from '../store/keyword-index';
import { VectorIndex } from '../store/vector-index';

/**
 * 2: no text saved (documents and chunks are rows of ids, hashes and offsets; texts come from the workspace by
 * content hash), keyword postings in keyword.bin, the per-document list out of the manifest. 1 is read and migrated.
 */
export const INDEX_FORMAT_VERSION = 2;

/** Query vectors kept per index (512 floats each with USE-lite: 2 KiB). */
const QUERY_CACHE_SIZE = 512;

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
  /** Saved documents not loaded because the corpus given to load has other content for them (or lacks them). */
  private readonly stale = new Set<string>();
  /** Set when what is on disk is not this index in the current format (a format-1 index read for migration). */
  private unsaved = false;

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
    const stats = await index.update(corpus);
    return { index, stats };
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
    const dir = options.storageDir;
    const manifestFile = path.join(dir, 'manifest.json');
    if (!fs.existsSync(manifestFile)) return { reason: 'no saved index' };
    const y = createYielder();
    try {
      const saved = JSON.parse(await fs.promises.readFile(manifestFile, 'utf8')) as SavedManifest;
      if (saved.formatVersion !== INDEX_FORMAT_VERSION && saved.formatVersion !== 1) return { reason: `index format ${saved.formatVersion} differs from ${INDEX_FORMAT_VERSION}` };
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
      const readVectors = async (): Promise<VectorIndex | null> => {
        if (!want) return null;
        const ids = JSON.parse((await read('vector-ids.json')).toString('utf8')) as string[];
        await y();
        const buf = await read('vectors.f32');
        return VectorIndex.restoreAsync(want.dims, ids, new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), y);
      };
      if (saved.formatVersion === 1) {
        const index = await WorkspaceIndex.loadFormat1(options, saved, keywordConfig, read, readVectors, y);
        if ('reason' in index) return index;
        index.index.unsaved = true;
        return { index: index.index, migrated: `index format 1 read and saved as format ${INDEX_FORMAT_VERSION}` };
      }
      const lines = async (name: string) => drive(parseLinesJson((await read(name)).toString('utf8')), y);
      const rows = checkRows(await lines('documents.json'), await lines('chunks.json'));
      const keyword = await KeywordIndex.fromBinaryAsync(keywordConfig, await read('keyword.bin'), y);
      const vectors = await readVectors();
      const listed = rows.docs.reduce((n, d) => n + d[4], 0);
      if (listed !== rows.chunks.length || rows.chunks.length !== saved.chunkCount || keyword.size !== rows.chunks.length || (vectors && vectors.size !== rows.chunks.length)) {
        return { reason: `saved parts disagree (${rows.chunks.length} chunks, ${listed} listed by documents, ${keyword.size} keyword entries, ${vectors?.size ?? '-'} vectors)` };
      }
      const { files: _files, documents: _old, ...header } = saved;
      const documents: IndexManifest['documents'] = {};
      const index = new WorkspaceIndex(options, { ...header, documents }, keyword, vectors);
      const incoming = await byId(corpus.documents, y);
      let at = 0;
      for (const [id, contentHash, mtimeMs, textLength, count] of rows.docs) {
        const mine = rows.chunks.slice(at, at + count);
        at += count;
        const ids = mine.map((r) => r[0]);
        index.chunkIdsByDoc.set(id, ids);
        documents[id] = { contentHash, mtimeMs, chunkIds: ids };
        const doc = incoming.get(id);
        if (!doc || doc.contentHash !== contentHash || doc.text.length !== textLength) {
          index.stale.add(id);
          continue;
        }
        index.docs.set(id, doc);
        for (const r of mine) {
          if (r[2] > doc.text.length || r[1] > r[2] || r[5].some((h) => typeof h === 'number' && !doc.headings[h])) throw new Error(`chunks.json: chunk ${r[0]} does not fit ${id}`);
          index.chunkMap.set(r[0], chunkFromRow(doc, r, saved.chunkerKey));
        }
        await y();
      }
      return { index };
    } catch (e) {
      return { reason: `saved index unreadable: ${e instanceof Error ? e.message : e}` };
    }
  }

  /** Format 1 (documents and chunks with their texts as JSON, MiniSearch's JSON), read as that version did. */
  private static async loadFormat1(
    options: BuildOptions & { storageDir: string },
    saved: SavedManifest,
    keywordConfig: KeywordConfig,
    read: (name: string) => Promise<Buffer>,
    readVectors: () => Promise<VectorIndex | null>,
    y: () => Promise<void> | undefined,
  ): Promise<{ index: WorkspaceIndex } | { reason: string }> {
    const json = async <T>(name: string): Promise<T> => {
      const value = JSON.parse((await read(name)).toString('utf8')) as T;
      await y();
      return value;
    };
    const docs = await json<SourceDocument[]>('documents.json');
    const chunks = await json<Chunk[]>('chunks.json');
    const keyword = await KeywordIndex.loadAsync(keywordConfig, (await read('keyword.json')).toString('utf8'));
    const vectors = await readVectors();
    const { files: _files, ...manifest } = saved;
    const index = new WorkspaceIndex(options, { ...manifest, formatVersion: INDEX_FORMAT_VERSION, documents: manifest.documents ?? {} }, keyword, vectors);
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
    // A keyword index opened frozen (as saved) is rebuilt into a MiniSearch before it can change.
    if (changed.length || removed.length) await this.keyword.hydrate(y);
    const fresh: Array<{ doc: SourceDocument; chunk: Chunk }> = [];
    const chunksOf = new Map<string, Chunk[]>();
    // Cold: nothing indexed and nothing to remove, so the keyword index can be built beside the live (empty) one.
    const staged = this.chunkMap.size === 0 && this.keyword.size === 0 && removed.length === 0 ? new KeywordIndex(this.keyword.config) : null;
    const embedder = this.options.embedder;
    const embedding = embedder && this.vectors && this.cache ? new OverlappedEmbedding(embedder, this.cache, signal) : null;
    const inputs: string[] = [];
    const reportEmbed = () => embedding && onProgress?.({ phase: 'embed', done: embedding.known(inputs), total: inputs.length });
    let keyworded = 0;
    // Chunks come in document order; a large cold build cuts them in a worker thread (chunk-pipeline.ts) while this
    // loop indexes the ones already cut.
    let i = -1;
    for await (const { doc, chunks } of chunkDocuments(changed, this.options.chunker, this.options.tokenCounter, signal)) {
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

  /**
   * The saved parts of format 2, built step by step (a generator, so saveAsync yields between steps): the
   * documents and chunks without their texts (index-parts.ts), the keyword postings (keyword-postings.ts), the
   * vectors, and the texts the embedding cache keeps.
   */
  private *parts(): Generator<void, { parts: Array<[string, Uint8Array]>; cacheInputs: string[] | null }> {
    const docRows: DocumentRow[] = [];
    const chunkRows: ChunkRow[] = [];
    for (const doc of this.docs.values()) {
      const ids = this.chunkIdsByDoc.get(doc.id) ?? [];
      docRows.push(documentRow(doc, ids.length));
      for (const id of ids) chunkRows.push(chunkRow(doc, this.chunkMap.get(id) as Chunk));
      if (docRows.length % 256 === 0) yield;
    }
    const utf8 = (text: string) => Buffer.from(text, 'utf8');
    const parts: Array<[string, Uint8Array]> = [];
    parts.push(['documents.json', utf8(yield* linesJson(docRows))]);
    parts.push(['chunks.json', utf8(yield* linesJson(chunkRows))]);
    parts.push(['keyword.bin', yield* this.keyword.binarySteps()]);
    if (this.vectors) {
      const snap = this.vectors.snapshot();
      parts.push(['vector-ids.json', utf8(JSON.stringify(snap.ids))]);
      parts.push(['vectors.f32', new Uint8Array(snap.data.buffer, snap.data.byteOffset, snap.data.byteLength)]);
    }
    let cacheInputs: string[] | null = null;
    if (this.cache) {
      cacheInputs = [];
      for (const c of this.chunkMap.values()) {
        cacheInputs.push(embeddingInput(this.docs.get(c.docId) as SourceDocument, c));
        if (cacheInputs.length % 1024 === 0) yield;
      }
    }
    return { parts, cacheInputs };
  }

  /** The manifest as saved: no per-document list (documents.json has it), the parts' sizes and checksums. */
  private savedManifest(files: Record<string, { bytes: number; sha256: string }>): string {
    const { documents: _documents, ...header } = this.manifest;
    return JSON.stringify({ ...header, formatVersion: INDEX_FORMAT_VERSION, files }, null, 1);
  }

  /** Writes every part atomically, the manifest (with sizes and checksums) last. */
  save(): void {
    const dir = this.options.storageDir;
    if (!dir) return;
    this.options.onProgress?.({ phase: 'save', done: 0, total: 1 });
    fs.mkdirSync(dir, { recursive: true });
    const g = this.parts();
    let r = g.next();
    while (!r.done) r = g.next();
    const files: Record<string, { bytes: number; sha256: string }> = {};
    for (const [name, buf] of r.value.parts) {
      writeFileAtomic(path.join(dir, name), buf);
      files[name] = { bytes: buf.byteLength, sha256: sha256(buf) };
    }
    if (this.cache && r.value.cacheInputs) {
      this.cache.retain(r.value.cacheInputs);
      this.cache.save();
    }
    writeFileAtomic(path.join(dir, 'manifest.json'), this.savedManifest(files));
    removeFormat1Parts(dir);
    this.unsaved = false;
    this.options.onProgress?.({ phase: 'save', done: 1, total: 1 });
  }

  /** save() without blocking the event loop: the same files, built in slices with yields, written off the loop. */
  async saveAsync(): Promise<void> {
    const dir = this.options.storageDir;
    if (!dir) return;
    const y = createYielder();
    this.options.onProgress?.({ phase: 'save', done: 0, total: 1 });
    await fs.promises.mkdir(dir, { recursive: true });
    const { parts, cacheInputs } = await drive(this.parts(), y);
    const files: Record<string, { bytes: number; sha256: string }> = {};
    for (const [name, buf] of parts) {
      files[name] = { bytes: buf.byteLength, sha256: await sha256Async(buf, y) };
      await writeFileAtomicAsync(path.join(dir, name), buf);
    }
    if (this.cache && cacheInputs) {
      this.cache.retain(cacheInputs);
      await y();
      await this.cache.saveAsync(y);
    }
    await writeFileAtomicAsync(path.join(dir, 'manifest.json'), this.savedManifest(files));
    removeFormat1Parts(dir);
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

/** The manifest as format 1 and 2 save it: the header, with the per-document list in format 1 only. */
type SavedManifest = Omit<IndexManifest, 'documents'> & { documents?: IndexManifest['documents']; files?: Record<string, { bytes: number; sha256: string }> };

/** Format 1's MiniSearch JSON, left behind when a migrated index is saved in format 2 (the other names are reused). */
function removeFormat1Parts(dir: string): void {
  fs.rmSync(path.join(dir, 'keyword.json'), { force: true });
}

/** The documents by id, built in slices with yields (20,000 documents in one go held the loop 25-55 ms here). */
async function byId(docs: SourceDocument[], y: () => Promise<void> | undefined): Promise<Map<string, SourceDocument>> {
  const map = new Map<string, SourceDocument>();
  for (let i = 0; i < docs.length; i++) {
    map.set(docs[i].id, docs[i]);
    if (i % 1024 === 1023) await y();
  }
  return map;
}


function sha256(buf: Uint8Array): string {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

export function corpusHash(docs: Iterable<SourceDocument>): string {
  const pairs = [...docs].map((d) => `${d.id}\u0000${d.contentHash}`).sort();
  return crypto.createHash('sha256').update(pairs.join('\n')).digest('hex');
}
