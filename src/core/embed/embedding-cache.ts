import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmbedOptions, Embedder, ModelInfo } from './embedder';
import { writeFileAtomic, writeFileAtomicAsync } from '../io/atomic-write';
import { sha256Async } from '../io/yielder';

/**
 * The caches open in this process that joined a group, by group and model key. A text one of them holds is not
 * embedded again by another of the same group and model: the what-if indexes of a diagnosis (other chunkers, each
 * in a folder of its own, opened with the workspace as their group) take the vectors of every chunk text the
 * baseline index already embedded. Only caches opened with a group share (two independent builds in one process,
 * e.g. a benchmark, stay independent). Held weakly: a cache goes with the index that opened it.
 */
const groups = new Map<string, Set<WeakRef<EmbeddingCache>>>();

/**
 * Content-hash embedding cache: a text whose content and model did not change is never embedded again, by this
 * index or by any other open in the process in the same group with the same model (see groups).
 * One pair of files per model (keys JSON + one Float32 blob), written atomically; a corrupt pair is dropped with a
 * warning and the cache starts empty.
 */
export class EmbeddingCache {
  /** Read from the files on first use (see entries): an index opened and searched without changes never reads them. */
  private readonly vectors = new Map<string, Float32Array>();
  private loaded = false;
  private dirty = false;
  private readonly problems: string[] = [];
  /** Group and model key of the caches this one shares with; undefined when it shares with none. */
  private readonly groupKey: string | undefined;

  private constructor(
    readonly model: ModelInfo,
    private readonly dir: string | undefined,
    group: string | undefined,
  ) {
    this.groupKey = group === undefined ? undefined : `${group}\u0000${EmbeddingCache.modelKey(model)}`;
  }

  static modelKey(model: ModelInfo): string {
    return crypto.createHash('sha256').update(`${model.id}\u0000${model.revision}\u0000${model.dtype}\u0000${model.maxTokens}`).digest('hex').slice(0, 16);
  }

  static textKey(text: string): string {
    return crypto.createHash('sha256').update(text).digest('base64url').slice(0, 22);
  }

  /**
   * Opens (lazily loads) the cache for `model` in `dir`; without a dir it lives in memory only. With a `group` it
   * also reads from the other caches of the group and model open in this process (see groups).
   */
  static open(model: ModelInfo, dir?: string, group?: string): EmbeddingCache {
    const cache = new EmbeddingCache(model, dir, group);
    if (cache.groupKey !== undefined) {
      let same = groups.get(cache.groupKey);
      if (!same) groups.set(cache.groupKey, (same = new Set()));
      same.add(new WeakRef(cache));
    }
    return cache;
  }

  private files(): { keys: string; data: string } | undefined {
    if (!this.dir) return undefined;
    const base = path.join(this.dir, `embeddings-${EmbeddingCache.modelKey(this.model)}`);
    return { keys: `${base}.keys.json`, data: `${base}.f32` };
  }

  private load(): void {
    const f = this.files();
    if (!f || !fs.existsSync(f.keys)) return;
    try {
      const keys = JSON.parse(fs.readFileSync(f.keys, 'utf8')) as { dims: number; keys: string[]; sha256?: string };
      const buf = fs.readFileSync(f.data);
      if (!Array.isArray(keys.keys) || keys.dims !== this.model.dims || buf.byteLength !== keys.keys.length * keys.dims * 4) {
        throw new Error(`expected ${keys.keys?.length} × ${keys.dims} floats, file has ${buf.byteLength} bytes`);
      }
      // Same size but other bytes (a torn write on a file system without atomic rename, a disk error): not trusted.
      if (keys.sha256 !== crypto.createHash('sha256').update(buf).digest('hex')) throw new Error(`${path.basename(f.data)} does not match its checksum`);
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      keys.keys.forEach((k, i) => this.vectors.set(k, all.subarray(i * keys.dims, (i + 1) * keys.dims)));
    } catch (e) {
      this.vectors.clear();
      this.problems.push(`embedding cache ${f.keys} was unreadable and is rebuilt: ${e instanceof Error ? e.message : e}`);
    }
  }

  /** Why the files were not used (read on first use), e.g. a checksum that did not match. */
  get warnings(): string[] {
    this.entries();
    return this.problems;
  }

  /** The entries, read from the files the first time they are needed. */
  private entries(): Map<string, Float32Array> {
    if (!this.loaded) {
      this.loaded = true;
      this.load();
    }
    return this.vectors;
  }

  get size(): number {
    return this.entries().size;
  }

  /** The text's vector from this cache, else from another open cache of its group and model (then kept here too). */
  get(text: string): Float32Array | undefined {
    const key = EmbeddingCache.textKey(text);
    const own = this.entries().get(key);
    if (own || this.groupKey === undefined) return own;
    const same = groups.get(this.groupKey);
    for (const ref of same ?? []) {
      const other = ref.deref();
      if (!other) {
        same?.delete(ref);
        continue;
      }
      const v = other === this ? undefined : other.entries().get(key);
      if (v && v.length === this.model.dims) {
        this.entries().set(key, v);
        this.dirty = true;
        return v;
      }
    }
    return undefined;
  }

  set(text: string, vector: Float32Array): void {
    this.entries().set(EmbeddingCache.textKey(text), vector);
    this.dirty = true;
  }

  /** Keeps only entries for these texts (so the files do not grow without bound). */
  retain(texts: Iterable<string>): void {
    const keep = new Set([...texts].map(EmbeddingCache.textKey));
    for (const k of [...this.entries().keys()]) {
      if (!keep.has(k)) {
        this.entries().delete(k);
        this.dirty = true;
      }
    }
  }

  /** save() with the writes off the event loop. */
  async saveAsync(y: () => Promise<void> | undefined = () => undefined): Promise<void> {
    const f = this.files();
    if (!f || !this.dirty) return;
    const keys = [...this.entries().keys()];
    const data = new Float32Array(keys.length * this.model.dims);
    for (let i = 0; i < keys.length; i++) {
      data.set(this.entries().get(keys[i]) as Float32Array, i * this.model.dims);
      if (i % 256 === 255) await y();
    }
    const bytes = new Uint8Array(data.buffer);
    const sum = await sha256Async(bytes, y);
    await writeFileAtomicAsync(f.data, bytes);
    await writeFileAtomicAsync(f.keys, JSON.stringify({ model: this.model, dims: this.model.dims, keys, sha256: sum }));
    this.dirty = false;
  }

  save(): void {
    const f = this.files();
    if (!f || !this.dirty) return;
    const keys = [...this.entries().keys()];
    const data = new Float32Array(keys.length * this.model.dims);
    keys.forEach((k, i) => data.set(this.entries().get(k) as Float32Array, i * this.model.dims));
    fs.mkdirSync(path.dirname(f.keys), { recursive: true });
    const bytes = new Uint8Array(data.buffer);
    writeFileAtomic(f.data, bytes);
    writeFileAtomic(f.keys, JSON.stringify({ model: this.model, dims: this.model.dims, keys, sha256: crypto.createHash('sha256').update(bytes).digest('hex') }));
    this.dirty = false;
  }
}

/** Embeds only the texts the cache lacks (each distinct text once); returns vectors in input order. */
export async function embedWithCache(
  embedder: Embedder,
  cache: EmbeddingCache,
  texts: string[],
  options: EmbedOptions = {},
): Promise<{ vectors: Float32Array[]; hits: number; misses: number }> {
  const missing = [...new Set(texts.filter((t) => !cache.get(t)))];
  if (missing.length) {
    const fresh = await embedder.embed(missing, { ...options, kind: 'passage' });
    missing.forEach((t, i) => cache.set(t, fresh[i]));
  }
  return { vectors: texts.map((t) => cache.get(t) as Float32Array), hits: texts.length - missing.length, misses: missing.length };
}
