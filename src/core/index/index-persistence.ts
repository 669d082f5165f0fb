import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Chunk } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import type { Corpus, SourceDocument } from '../corpus/document';
import type { EmbeddingCache } from '../embed/embedding-cache';
import { writeFileAtomic, writeFileAtomicAsync } from '../io/atomic-write';
import { createYielder, sha256Async, drive } from '../io/yielder';
import type { IndexManifest } from '../retrieve/searchable-index';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex } from '../store/keyword-index';
import type { KeywordConfig } from '../store/keyword-types';
import { VectorIndex } from '../store/vector-index';
import { byId, embeddingInput, type BuildOptions } from './index-build';
import { checkRows, chunkFromRow, chunkRow, documentRow, linesJson, parseLinesJson, type ChunkRow, type DocumentRow } from './index-parts';

/**
 * An index on disk: the saved parts of format 2 written (every part atomically, the manifest with their sizes and
 * checksums last) and read back, checked, for WorkspaceIndex (workspace-index.ts), which owns what they hold.
 */

/**
 * 2: no text saved (documents and chunks are rows of ids, hashes and offsets; texts come from the workspace by
 * content hash), keyword postings in keyword.bin, the per-document list out of the manifest. 1 is read and migrated.
 */
export const INDEX_FORMAT_VERSION = 2;

/** What is saved of an index (WorkspaceIndex has these). */
export interface IndexContents {
  readonly docs: Map<string, SourceDocument>;
  readonly chunkMap: Map<string, Chunk>;
  readonly chunkIdsByDoc: Map<string, string[]>;
  keyword: KeywordIndex;
  vectors: VectorIndex | null;
  manifest: IndexManifest;
}

/** Makes the (empty) index a saved manifest and stores are read into. */
type NewIndex<I> = (manifest: IndexManifest, keyword: KeywordIndex, vectors: VectorIndex | null) => I;

/**
 * Reads a saved index for `corpus` (WorkspaceIndex.load); never throws: a problem is returned as a reason. Each part is read off the
 * event loop and checked against the size and SHA-256 the manifest gives (a corrupt part is never trusted), then
 * parsed in slices with yields between them. Format 2 stores no text: documents and chunk texts are the corpus's,
 * taken where the content hash matches; documents whose content changed are left for the update that follows.
 */
export async function loadSavedIndex<I extends IndexContents>(options: BuildOptions & { storageDir: string }, corpus: Corpus, create: NewIndex<I>): Promise<{ index: I; stale: string[]; migrated?: string } | { reason: string }> {
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
      const index = await loadFormat1(saved, keywordConfig, read, readVectors, y, create);
      if ('reason' in index) return index;
      return { index: index.index, stale: [], migrated: `index format 1 read and saved as format ${INDEX_FORMAT_VERSION}` };
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
    const index = create({ ...header, documents }, keyword, vectors);
    const stale: string[] = [];
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
        stale.push(id);
        continue;
      }
      index.docs.set(id, doc);
      for (const r of mine) {
        if (r[2] > doc.text.length || r[1] > r[2] || r[5].some((h) => typeof h === 'number' && !doc.headings[h])) throw new Error(`chunks.json: chunk ${r[0]} does not fit ${id}`);
        index.chunkMap.set(r[0], chunkFromRow(doc, r, saved.chunkerKey));
      }
      await y();
    }
    return { index, stale };
  } catch (e) {
    return { reason: `saved index unreadable: ${e instanceof Error ? e.message : e}` };
  }
}

/** Format 1 (documents and chunks with their texts as JSON, MiniSearch's JSON), read as that version did. */
async function loadFormat1<I extends IndexContents>(
  saved: SavedManifest,
  keywordConfig: KeywordConfig,
  read: (name: string) => Promise<Buffer>,
  readVectors: () => Promise<VectorIndex | null>,
  y: () => Promise<void> | undefined,
  create: NewIndex<I>,
): Promise<{ index: I } | { reason: string }> {
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
  const index = create({ ...manifest, formatVersion: INDEX_FORMAT_VERSION, documents: manifest.documents ?? {} }, keyword, vectors);
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

/**
 * The saved parts of format 2, built step by step (a generator, so writeIndexAsync yields between steps): the
 * documents and chunks without their texts (index-parts.ts), the keyword postings (keyword-postings.ts), the
 * vectors, and the texts the embedding cache keeps.
 */
function* indexParts(index: IndexContents, cache: EmbeddingCache | null): Generator<void, { parts: Array<[string, Uint8Array]>; cacheInputs: string[] | null }> {
  const docRows: DocumentRow[] = [];
  const chunkRows: ChunkRow[] = [];
  for (const doc of index.docs.values()) {
    const ids = index.chunkIdsByDoc.get(doc.id) ?? [];
    docRows.push(documentRow(doc, ids.length));
    for (const id of ids) chunkRows.push(chunkRow(doc, index.chunkMap.get(id) as Chunk));
    if (docRows.length % 256 === 0) yield;
  }
  const utf8 = (text: string) => Buffer.from(text, 'utf8');
  const parts: Array<[string, Uint8Array]> = [];
  parts.push(['documents.json', utf8(yield* linesJson(docRows))]);
  parts.push(['chunks.json', utf8(yield* linesJson(chunkRows))]);
  parts.push(['keyword.bin', yield* index.keyword.binarySteps()]);
  if (index.vectors) {
    const snap = index.vectors.snapshot();
    parts.push(['vector-ids.json', utf8(JSON.stringify(snap.ids))]);
    parts.push(['vectors.f32', new Uint8Array(snap.data.buffer, snap.data.byteOffset, snap.data.byteLength)]);
  }
  let cacheInputs: string[] | null = null;
  if (cache) {
    cacheInputs = [];
    for (const c of index.chunkMap.values()) {
      cacheInputs.push(embeddingInput(index.docs.get(c.docId) as SourceDocument, c));
      if (cacheInputs.length % 1024 === 0) yield;
    }
  }
  return { parts, cacheInputs };
}

/** The manifest as saved: no per-document list (documents.json has it), the parts' sizes and checksums. */
function savedManifest(manifest: IndexManifest, files: Record<string, { bytes: number; sha256: string }>): string {
  const { documents: _documents, ...header } = manifest;
  return JSON.stringify({ ...header, formatVersion: INDEX_FORMAT_VERSION, files }, null, 1);
}

/** Writes every part atomically, the manifest (with sizes and checksums) last (WorkspaceIndex.save). */
export function writeIndex(dir: string, index: IndexContents, cache: EmbeddingCache | null): void {
  fs.mkdirSync(dir, { recursive: true });
  const g = indexParts(index, cache);
  let r = g.next();
  while (!r.done) r = g.next();
  const files: Record<string, { bytes: number; sha256: string }> = {};
  for (const [name, buf] of r.value.parts) {
    writeFileAtomic(path.join(dir, name), buf);
    files[name] = { bytes: buf.byteLength, sha256: sha256(buf) };
  }
  if (cache && r.value.cacheInputs) {
    cache.retain(r.value.cacheInputs);
    cache.save();
  }
  writeFileAtomic(path.join(dir, 'manifest.json'), savedManifest(index.manifest, files));
  removeFormat1Parts(dir);
}

/**
 * writeIndex without blocking the event loop: the same files, built in slices with yields, written off the loop.
 * Gives back keyword.bin's bytes (a freshly built index can open its keyword index frozen from them).
 */
export async function writeIndexAsync(dir: string, index: IndexContents, cache: EmbeddingCache | null): Promise<{ keywordBytes: Uint8Array }> {
  const y = createYielder();
  await fs.promises.mkdir(dir, { recursive: true });
  const { parts, cacheInputs } = await drive(indexParts(index, cache), y);
  const files: Record<string, { bytes: number; sha256: string }> = {};
  for (const [name, buf] of parts) {
    files[name] = { bytes: buf.byteLength, sha256: await sha256Async(buf, y) };
    await writeFileAtomicAsync(path.join(dir, name), buf);
  }
  if (cache && cacheInputs) {
    cache.retain(cacheInputs);
    await y();
    await cache.saveAsync(y);
  }
  await writeFileAtomicAsync(path.join(dir, 'manifest.json'), savedManifest(index.manifest, files));
  removeFormat1Parts(dir);
  return { keywordBytes: parts.find(([name]) => name === 'keyword.bin')?.[1] ?? new Uint8Array() };
}

/** The manifest as format 1 and 2 save it: the header, with the per-document list in format 1 only. */
type SavedManifest = Omit<IndexManifest, 'documents'> & { documents?: IndexManifest['documents']; files?: Record<string, { bytes: number; sha256: string }> };

/** Format 1's MiniSearch JSON, left behind when a migrated index is saved in format 2 (the other names are reused). */
function removeFormat1Parts(dir: string): void {
  fs.rmSync(path.join(dir, 'keyword.json'), { force: true });
}

function sha256(buf: Uint8Array): string {
  return crypto.createHash('sha256').update(buf).digest('hex');
}
