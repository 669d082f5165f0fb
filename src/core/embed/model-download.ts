import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';

/**
 * Downloads a Hugging Face hub model (the files transformers.js needs) into a cache folder, so a model is never
 * fetched by transformers.js itself (which buffers whole files, cannot be cancelled, verifies nothing and writes
 * straight into its cache). Here:
 * - every file streams into `<cache>/.partial/<key>/` and is checked against the checksum the hub states for it
 *   (`X-Linked-Etag`: the sha256 of an LFS file; `ETag`: the git blob sha1 of a small file) before it counts;
 * - a dropped connection resumes where it stopped (`Range`), a few times, and a partial file
 *   left by a closed editor resumes on the next start; a file that fails its checksum is fetched once more from
 *   byte 0, then the download fails;
 * - only when every file is verified is the manifest written and the folder renamed into place in one step, so the
 *   cache holds a complete model or none: a second start finds the manifest and makes no request at all;
 * - the host answers within `connectTimeoutMs` or the download fails as `unreachable` (the caller falls back to the
 *   built-in model), and an AbortSignal cancels at once (the partial files stay for the next try).
 * The URL layout is the hub's, `{host}/{model}/resolve/{revision}/{file}` (transformers.js `env.remoteHost` +
 * `env.remotePathTemplate`), so a mirror or a test's hub-layout file server can stand in for huggingface.co.
 */

/**
 * The editor's default embedding model for a trusted workspace: BGE small v1.5 (33 M parameters, 384 dims), fetched
 * once into global storage. README "Embedding models" says why it and not all-MiniLM-L6-v2; USE-lite stays the
 * offline fallback and the CLI's default.
 */
export const DEFAULT_EMBEDDING_MODEL = 'Xenova/bge-small-en-v1.5';

export const DEFAULT_REMOTE_HOST = 'https://huggingface.co/';
export const DEFAULT_REMOTE_PATH_TEMPLATE = '{model}/resolve/{revision}/';
const MANIFEST = 'retrieval-lens-model.json';

export type DownloadFailure = 'unreachable' | 'not-found' | 'checksum' | 'http' | 'cancelled' | 'io';

export class ModelDownloadError extends Error {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
  ) {
    super(message);
    this.name = kind === 'cancelled' ? 'AbortError' : 'ModelDownloadError';
  }
}

export interface DownloadProgress {
  /** The file being fetched (its path in the repository). */
  file: string;
  /** Bytes of all files on disk so far (resumed bytes included) and the total, once every file's size is known (0 before). */
  loaded: number;
  total: number;
  fileLoaded: number;
  fileTotal: number;
}

export interface HubDownloadOptions {
  /** A hub id, `owner/name`. */
  model: string;
  revision?: string;
  /** Files the model cannot load without (paths inside the repository). */
  files: string[];
  /** Kept apart in the cache from other variants of the same model (e.g. the weights' precision). */
  variant?: string;
  /** Files fetched when present (a 404 skips them). */
  optionalFiles?: string[];
  /** Root of the model cache (the extension's global storage `models/`, the CLI's ~/.cache/retrieval-lens/models). */
  cacheDir: string;
  remoteHost?: string;
  remotePathTemplate?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** No response headers within this long: `unreachable` (default 5 s). */
  connectTimeoutMs?: number;
  /** No bytes for this long mid-file: the connection counts as dropped and is resumed (default 30 s). */
  idleTimeoutMs?: number;
  /** Resumes after a dropped connection, per file (default 4). */
  retries?: number;
}

export interface CachedFile {
  path: string;
  size: number;
  sha256: string;
}

export interface HubModelManifest {
  model: string;
  revision: string;
  /** The commit the hub resolved the revision to (`X-Repo-Commit`), when it said. */
  commit: string | null;
  host: string;
  files: CachedFile[];
  downloadedAt: string;
}

export interface HubModel {
  /** The folder holding config.json, tokenizer files and onnx/. */
  dir: string;
  manifest: HubModelManifest;
  /** True when nothing was requested: the cache already held the model. */
  fromCache: boolean;
  /** Bytes fetched over the network by this call (0 from cache; less than the model's size after a resume). */
  bytesFetched: number;
}

/**
 * `Xenova/bge-small-en-v1.5` at `main`, q8 → `Xenova__bge-small-en-v1.5.main.q8`: one folder per model, revision
 * and variant, named so transformers.js accepts it as a model id (no `/`, no `--`, at most 96 characters).
 */
export function cacheKey(model: string, revision: string, variant?: string): string {
  const key = [model.replace('/', '__'), revision, variant].filter(Boolean).join('.').replace(/[^\w.-]+/g, '_').replace(/-{2,}/g, '-');
  return key.length <= 96 ? key : `${key.slice(0, 80)}.${crypto.createHash('sha1').update(key).digest('hex').slice(0, 12)}`;
}

export function hubModelDir(cacheDir: string, model: string, revision = 'main', variant?: string): string {
  return path.join(cacheDir, cacheKey(model, revision, variant));
}

/** The model as the cache holds it, or undefined when it is not there complete (never half: see the class comment). */
export function cachedHubModel(cacheDir: string, model: string, revision = 'main', variant?: string): { dir: string; manifest: HubModelManifest } | undefined {
  const dir = hubModelDir(cacheDir, model, revision, variant);
  let manifest: HubModelManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as HubModelManifest;
  } catch {
    return undefined;
  }
  if (manifest.model !== model || !Array.isArray(manifest.files)) return undefined;
  for (const f of manifest.files) {
    const st = fs.statSync(path.join(dir, f.path), { throwIfNoEntry: false });
    if (!st || st.size !== f.size) return undefined;
  }
  return { dir, manifest };
}

/** A hub id as the hub spells them: `owner/name`, no `..`, nothing a URL or a path could be steered with. */
export function isHubId(model: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(model) && !model.split('/').some((p) => p === '.' || p === '..');
}

export async function ensureHubModel(o: HubDownloadOptions): Promise<HubModel> {
  const revision = o.revision ?? 'main';
  if (!isHubId(o.model)) throw new ModelDownloadError('not-found', `"${o.model}" is not a hub model id (owner/name)`);
  const cached = cachedHubModel(o.cacheDir, o.model, revision, o.variant);
  if (cached) return { ...cached, fromCache: true, bytesFetched: 0 };

  const host = (o.remoteHost ?? DEFAULT_REMOTE_HOST).replace(/\/?$/, '/');
  const base = host + (o.remotePathTemplate ?? DEFAULT_REMOTE_PATH_TEMPLATE).replaceAll('{model}', o.model).replaceAll('{revision}', encodeURIComponent(revision));
  const key = cacheKey(o.model, revision, o.variant);
  const work = path.join(o.cacheDir, '.partial', key);
  fs.mkdirSync(work, { recursive: true });
  // Another window (or call) fetching the same model writes the same partial files: wait for it, then use its result.
  const release = await acquireLock(`${work}.lock`, o.signal);
  try {
    const done = cachedHubModel(o.cacheDir, o.model, revision, o.variant);
    if (done) return { ...done, fromCache: true, bytesFetched: 0 };
    return await download(o, revision, host, base, work);
  } finally {
    release();
  }
}

/**
 * An exclusive lock file holding the owner's pid; a lock whose process is gone is taken over. Waits (cancellable)
 * while a live process holds it.
 */
async function acquireLock(file: string, signal?: AbortSignal): Promise<() => void> {
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = NaN;
    try {
      pid = Number(fs.readFileSync(file, 'utf8').trim() || NaN);
    } catch {
      continue; // released between the two calls
    }
    let alive = false;
    try {
      alive = Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (signal?.aborted) throw new ModelDownloadError('cancelled', 'download cancelled');
    await sleep(500, signal);
  }
}

async function download(o: HubDownloadOptions, revision: string, host: string, base: string, work: string): Promise<HubModel> {
  const state: Progress = { sizes: new Map(), done: new Map(), fetched: 0, expected: o.files.length + (o.optionalFiles?.length ?? 0) };
  const files: CachedFile[] = [];
  let commit: string | null = null;
  // Small files first and the weights last, so the total is known (every size seen) while the bulk of it arrives.
  const wanted = [...(o.optionalFiles ?? []).map((f) => ({ f, optional: true })), ...o.files.map((f) => ({ f, optional: false }))].sort((a, b) => Number(a.f.endsWith('.onnx')) - Number(b.f.endsWith('.onnx')));
  for (const { f, optional } of wanted) {
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(f) || f.split('/').includes('..')) throw new ModelDownloadError('io', `refusing the file name "${f}"`);
    const got = await fetchVerified(o, base + f.split('/').map(encodeURIComponent).join('/'), f, path.join(work, f), state, optional);
    if (!got) {
      state.expected--;
      continue;
    }
    commit ??= got.commit;
    files.push({ path: f, size: got.size, sha256: got.sha256 });
  }
  const manifest: HubModelManifest = { model: o.model, revision, commit, host: new URL(host).host, files, downloadedAt: new Date().toISOString() };
  writeFileAtomic(path.join(work, MANIFEST), JSON.stringify(manifest, null, 2));
  const dir = hubModelDir(o.cacheDir, o.model, revision, o.variant);
  // An older folder without a valid manifest (a crash before this code existed, a hand-made copy) is replaced.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(work, dir);
  return { dir, manifest, fromCache: false, bytesFetched: state.fetched };
}

interface Progress {
  sizes: Map<string, number>;
  done: Map<string, number>;
  fetched: number;
  expected: number;
}

function report(o: HubDownloadOptions, s: Progress, file: string): void {
  if (!o.onProgress) return;
  let loaded = 0;
  for (const v of s.done.values()) loaded += v;
  let total = 0;
  for (const v of s.sizes.values()) total += v;
  o.onProgress({ file, loaded, total: s.sizes.size >= s.expected ? total : 0, fileLoaded: s.done.get(file) ?? 0, fileTotal: s.sizes.get(file) ?? 0 });
}

/** The digest a response header states for the file: sha256 (LFS files) or the git blob sha1 (small files). */
export function statedDigest(headers: http.IncomingHttpHeaders): { algo: 'sha256' | 'git-sha1'; hex: string } | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const raw = headers[name];
    const v = (Array.isArray(raw) ? raw[0] : raw)?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
    if (v && /^[0-9a-f]{64}$/.test(v)) return { algo: 'sha256', hex: v };
    if (v && /^[0-9a-f]{40}$/.test(v)) return { algo: 'git-sha1', hex: v };
  }
  return undefined;
}

/** The git blob id of a file's bytes: sha1("blob <size>\0" + bytes), what the hub's ETag of a non-LFS file is. */
export function gitBlobSha1(file: string): string {
  const size = fs.statSync(file).size;
  const h = crypto.createHash('sha1').update(`blob ${size}\u0000`);
  hashFile(file, h);
  return h.digest('hex');
}

function hashFile(file: string, h: crypto.Hash): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

function sha256(file: string): string {
  const h = crypto.createHash('sha256');
  hashFile(file, h);
  return h.digest('hex');
}

interface Meta {
  /** The validator (ETag) and the digest and size the server stated, as first seen. */
  etag?: string;
  digest?: { algo: 'sha256' | 'git-sha1'; hex: string };
  size?: number;
  commit?: string | null;
}

/**
 * One file into `dest` (verified), resuming a partial file. Returns undefined for an optional file the hub does
 * not have.
 */
async function fetchVerified(o: HubDownloadOptions, url: string, file: string, dest: string, s: Progress, optional: boolean): Promise<{ size: number; sha256: string; commit: string | null } | undefined> {
  const part = `${dest}.partial`;
  const metaFile = `${dest}.partial.json`;
  if (fs.existsSync(dest)) fs.rmSync(dest); // a verified file is renamed out of .partial only with its folder
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  let meta: Meta = {};
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as Meta;
  } catch {
    fs.rmSync(part, { force: true }); // bytes without the validator they came with cannot be resumed safely
  }
  const retries = o.retries ?? 4;
  let fromScratch = 0;
  for (let attempt = 0; ; attempt++) {
    if (o.signal?.aborted) throw new ModelDownloadError('cancelled', 'download cancelled');
    const have = fs.statSync(part, { throwIfNoEntry: false })?.size ?? 0;
    s.done.set(file, have);
    let outcome: 'complete' | 'dropped' | 'absent';
    try {
      outcome = await fetchOnce(o, url, file, part, have, meta, s, (m) => {
        meta = m;
        writeFileAtomic(metaFile, JSON.stringify(m));
      });
    } catch (e) {
      if (!(e instanceof ModelDownloadError) || e.kind !== 'unreachable') throw e;
      // Never reached the host in this call: say so at once (the caller falls back within seconds, not minutes).
      if (s.fetched === 0 && attempt === 0) throw e;
      // Reached it before (the connection dropped, then the host went away for a moment): retried like a drop.
      if (attempt >= retries) throw e;
      outcome = 'dropped';
    }
    if (outcome === 'absent') {
      if (optional) {
        fs.rmSync(metaFile, { force: true });
        if (file.includes('/') && !fs.readdirSync(path.dirname(dest)).length) fs.rmdirSync(path.dirname(dest));
        return undefined;
      }
      throw new ModelDownloadError('not-found', `${o.model}: ${file} is not on ${new URL(url).host} (HTTP 404): check the model id and revision`);
    }
    if (outcome === 'dropped') {
      if (attempt >= retries) throw new ModelDownloadError('unreachable', `${o.model}: the connection dropped ${attempt + 1} times while fetching ${file}`);
      await sleep(Math.min(2000, 200 * 2 ** attempt), o.signal);
      continue;
    }
    const size = fs.statSync(part).size;
    const digest = meta.digest;
    const sum = sha256(part);
    const ok = !digest ? true : digest.algo === 'sha256' ? digest.hex === sum : digest.hex === gitBlobSha1(part);
    const sizeOk = meta.size === undefined || meta.size === size;
    if (digest && ok && sizeOk) {
      fs.renameSync(part, dest);
      fs.rmSync(metaFile, { force: true });
      return { size, sha256: sum, commit: meta.commit ?? null };
    }
    const why = !digest ? 'the server stated no checksum for it (no X-Linked-Etag or ETag digest)' : !sizeOk ? `it is ${size} bytes, the server said ${meta.size}` : `its ${digest.algo} does not match the one the server stated (${digest.hex.slice(0, 12)}…)`;
    fs.rmSync(part, { force: true });
    fs.rmSync(metaFile, { force: true });
    meta = {};
    if (!digest || fromScratch++ >= 1) throw new ModelDownloadError('checksum', `${o.model}: ${file} failed verification: ${why}; nothing was added to the model cache`);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** One GET (following redirects), appending to `part` from byte `have`. */
function fetchOnce(o: HubDownloadOptions, startUrl: string, file: string, part: string, have: number, meta: Meta, s: Progress, saveMeta: (m: Meta) => void): Promise<'complete' | 'dropped' | 'absent'> {
  const connectTimeout = o.connectTimeoutMs ?? 5000;
  const idleTimeout = o.idleTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    let current: http.ClientRequest | undefined;
    let connectTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      o.signal?.removeEventListener('abort', onAbort);
      current?.destroy();
      fn();
    };
    /** The file being written, once a response is streaming into it. */
    let out: fs.WriteStream | undefined;
    const onAbort = () => {
      const cancelled = () => reject(new ModelDownloadError('cancelled', 'download cancelled'));
      const stream = out;
      finish(() => {
        // The bytes received so far stay on disk for the next try: flush them before saying cancelled.
        if (!stream || stream.closed) return cancelled();
        stream.once('close', cancelled);
        if (!stream.writableEnded) stream.end();
      });
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) return onAbort();

    const get = (url: string, hops: number, first: Meta) => {
      const u = new URL(url);
      const lib = u.protocol === 'http:' ? http : https;
      const headers: Record<string, string> = { 'user-agent': 'retrieval-lens', accept: '*/*' };
      // No If-Range: CDNs behind the hub answer with validators of their own; the checksum catches a changed file.
      if (have > 0) headers.range = `bytes=${have}-`;
      const req = lib.get(u, { headers });
      current = req;
      const unreachable = (why: string) => finish(() => reject(new ModelDownloadError('unreachable', `${u.host} could not be reached: ${why}`)));
      connectTimer = setTimeout(() => unreachable(`no answer within ${(connectTimeout / 1000).toFixed(0)} s`), connectTimeout);
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (settled) return;
        // Before any response: the host refused, does not resolve, or is not routable. After: a dropped connection.
        // After a response the response's own events end the attempt (once the bytes received are on disk).
        if (!gotResponse) unreachable(e.code ?? e.message);
      });
      let gotResponse = false;
      req.on('response', (res) => {
        gotResponse = true;
        clearTimeout(connectTimer);
        const status = res.statusCode ?? 0;
        // The hub answers an LFS file with a redirect to its CDN; the checksum and size are on that first answer.
        const stated: Meta = {
          etag: first.etag ?? header(res.headers, 'x-linked-etag') ?? header(res.headers, 'etag'),
          digest: first.digest ?? statedDigest(res.headers),
          size: first.size ?? (Number(header(res.headers, 'x-linked-size')) || undefined),
          commit: first.commit ?? header(res.headers, 'x-repo-commit') ?? null,
        };
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (hops > 5) return finish(() => reject(new ModelDownloadError('http', `${o.model}: ${file}: too many redirects`)));
          return get(new URL(res.headers.location, url).toString(), hops + 1, stated);
        }
        if (status === 404) {
          res.resume();
          return finish(() => resolve('absent'));
        }
        if (status === 416 && have > 0) {
          // Asked past the end: the partial file is complete or wrong; verification decides.
          res.resume();
          return finish(() => resolve('complete'));
        }
        if (status !== 200 && status !== 206) {
          res.resume();
          const hint = status === 401 || status === 403 ? ' (a private or gated model needs a token, which Retrieval Lens does not send)' : '';
          return finish(() => reject(new ModelDownloadError('http', `${o.model}: ${file}: HTTP ${status} from ${u.host}${hint}`)));
        }
        const append = status === 206;
        const rangeStart = Number(/^bytes (\d+)-/.exec(header(res.headers, 'content-range') ?? '')?.[1] ?? NaN);
        if (append && rangeStart !== have) {
          // Not the bytes asked for: start the file over rather than splice.
          res.resume();
          fs.rmSync(part, { force: true });
          return finish(() => resolve('dropped'));
        }
        if (!append) stated.size ??= Number(header(res.headers, 'content-length')) || undefined;
        // A resumed file keeps the validator it started with; a full answer starts over with the new one.
        const next: Meta = append ? { ...meta, ...stated, etag: meta.etag ?? stated.etag, digest: meta.digest ?? stated.digest } : stated;
        saveMeta(next);
        meta = next;
        if (next.size !== undefined) s.sizes.set(file, next.size);
        let written = append ? have : 0;
        s.done.set(file, written);
        const sink = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
        out = sink;
        let idle = setTimeout(() => res.destroy(new Error('idle')), idleTimeout);
        res.on('data', (chunk: Buffer) => {
          clearTimeout(idle);
          idle = setTimeout(() => res.destroy(new Error('idle')), idleTimeout);
          written += chunk.length;
          s.fetched += chunk.length;
          s.done.set(file, written);
          if (!sink.write(chunk)) {
            res.pause();
            sink.once('drain', () => res.resume());
          }
          report(o, s, file);
        });
        let ended = false;
        const end = (complete: boolean) => {
          if (ended) return;
          ended = true;
          clearTimeout(idle);
          sink.end(() => {
            if (settled) return;
            const expect = next.size;
            finish(() => resolve(complete && (expect === undefined || written >= expect) ? 'complete' : 'dropped'));
          });
        };
        res.on('end', () => end(res.complete));
        res.on('aborted', () => end(false));
        res.on('error', () => end(false));
        res.on('close', () => end(res.complete));
        sink.on('error', (e) => finish(() => reject(new ModelDownloadError('io', `${o.model}: cannot write ${part}: ${e.message}`))));
      });
    };
    get(startUrl, 0, {});
  });
}

/** The files transformers.js reads for an embedder or cross-encoder (what a hub model download fetches). */
export function transformersFiles(dtype: 'q8' | 'fp32' = 'q8'): { files: string[]; optionalFiles: string[] } {
  return {
    files: ['config.json', 'tokenizer.json', 'tokenizer_config.json', dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx'],
    optionalFiles: ['special_tokens_map.json', '1_Pooling/config.json'],
  };
}

/** Why the built-in model is used instead of the one asked for. */
export type FallbackReason = 'download-off' | 'unreachable' | 'cancelled';

export interface ResolvedModel {
  /** What to start: the hub model from its verified folder, a local folder, or the built-in USE-lite. */
  spec: { model: string; dtype?: 'q8' | 'fp32'; localDir?: string; revision?: string };
  /** Set when `spec` is the built-in model instead of the one asked for. */
  fallback?: { reason: FallbackReason; asked: string; detail: string };
  download?: HubModel;
}

export interface ResolveOptions {
  model: string;
  dtype?: 'q8' | 'fp32';
  allowDownload: boolean;
  cacheDir: string;
  remoteHost?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  connectTimeoutMs?: number;
  /** What a fallback uses (default 'use-lite', the model shipped inside the extension). */
  builtIn?: string;
}

/**
 * The embedding model to start for a setting's value. A hub id comes from the cache, else is downloaded (when
 * allowed) and verified; when downloads are off and it is not cached, when the host cannot be reached, or when the
 * user cancels the download, the built-in model is used and `fallback` says why. A 404, a failed checksum or another
 * HTTP error is thrown: the user named something that is not there, or the bytes are wrong.
 */
export async function resolveEmbeddingModel(o: ResolveOptions): Promise<ResolvedModel> {
  const builtIn = o.builtIn ?? 'use-lite';
  if (o.model === builtIn || path.isAbsolute(o.model) || !isHubId(o.model)) return { spec: { model: o.model, dtype: o.dtype } };
  const hubFiles = transformersFiles(o.dtype);
  const variant = o.dtype ?? 'q8';
  const cached = cachedHubModel(o.cacheDir, o.model, 'main', variant);
  const use = (m: HubModel): ResolvedModel => ({ spec: { model: o.model, dtype: o.dtype, localDir: m.dir, revision: m.manifest.commit ?? m.manifest.revision }, download: m });
  if (cached) return use({ ...cached, fromCache: true, bytesFetched: 0 });
  const fallback = (reason: FallbackReason, detail: string): ResolvedModel => ({ spec: { model: builtIn }, fallback: { reason, asked: o.model, detail } });
  if (!o.allowDownload) return fallback('download-off', 'model downloads are off (retrievalLens.allowModelDownload)');
  try {
    return use(await ensureHubModel({ model: o.model, variant, ...hubFiles, cacheDir: o.cacheDir, remoteHost: o.remoteHost, signal: o.signal, onProgress: o.onProgress, connectTimeoutMs: o.connectTimeoutMs }));
  } catch (e) {
    if (e instanceof ModelDownloadError && e.kind === 'unreachable') return fallback('unreachable', e.message);
    if (e instanceof ModelDownloadError && e.kind === 'cancelled') return fallback('cancelled', 'the download was cancelled');
    throw e;
  }
}

/** "12.3 of 33.5 MB (37%)" — bytes as a person reads them. */
export function formatDownload(loaded: number, total: number): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return total > 0 ? `${mb(loaded)} of ${mb(total)} MB (${Math.floor((100 * loaded) / total)}%)` : `${mb(loaded)} MB`;
}
