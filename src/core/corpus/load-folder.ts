import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { createYielder } from '../io/yielder';
import { binaryReason } from './binary-detection';
import { sha256 } from './build-document';
import { nodeCorpusFs, type CorpusFs } from './corpus-fs';
import type { Corpus, SkippedFile, SourceDocument } from './document';
import { languageOf } from './language';
import { loadDocumentFromText } from './load-document-from-text';

export interface FolderCorpusOptions {
  /** Globs (POSIX, relative to root) a file must match; default everything. */
  include?: string[];
  /** Globs never indexed, on top of DEFAULT_EXCLUDES and .gitignore. */
  exclude?: string[];
  /** Files larger than this are skipped (default 2 MiB). */
  maxFileBytes?: number;
  respectGitignore?: boolean;
  /** Aborting stops the walk with the signal's reason (the only way loadFolderCorpus throws). */
  signal?: AbortSignal;
  /** File-system calls (default node:fs/promises); tests inject failures through it. */
  fs?: CorpusFs;
}

export const DEFAULT_EXCLUDES = ['**/node_modules/**', '**/.git/**', '**/dist/**', '**/out/**', '**/.retrieval-lens/**', '**/.tools/**'];
const PRUNED_DIRS = new Set(['node_modules', '.git', '.retrieval-lens', '.tools']);
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;

/** A file the loader saw, with the verdict. Folder loading never throws for a single file. */
export type FileVerdict = { doc: SourceDocument; warning?: SkippedFile } | { skipped: SkippedFile };

/**
 * Loads every supported file under `root` (md, mdx, txt, rst, html, adoc, source code) into documents with exact
 * text, metadata and headings. Unsupported, excluded, gitignored, binary, invalid UTF-8, oversized and unreadable
 * files and symlink loops are reported in `skipped` with a reason. Documents and skipped entries come sorted by
 * path (code-unit order), whatever order the file system lists them in.
 */
export async function loadFolderCorpus(root: string, options: FolderCorpusOptions = {}): Promise<Corpus> {
  const absRoot = path.resolve(root);
  const include = picomatch(options.include?.length ? options.include : ['**/*'], { dot: true });
  const exclude = picomatch([...DEFAULT_EXCLUDES, ...(options.exclude ?? [])], { dot: true });
  const documents: SourceDocument[] = [];
  const skipped: SkippedFile[] = [];
  const respectGitignore = options.respectGitignore ?? true;
  const cfs = options.fs ?? nodeCorpusFs;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // Files are read synchronously, yielding to the event loop every few milliseconds: awaiting stat and readFile one
  // file at a time (or even 16 in flight through libuv's pool) cost 5-20x the bytes' own read time on a 20,000-file
  // workspace (docs/PERFORMANCE.md), while no read blocks longer than one file of at most maxFileBytes.
  const yieldNow = createYielder(8);

  async function walk(dir: string, ignores: Array<{ base: string; ig: Ignore }>, ancestors: Set<string>): Promise<void> {
    options.signal?.throwIfAborted();
    const rel = toPosix(path.relative(absRoot, dir));
    let entries: import('node:fs').Dirent[];
    try {
      entries = await cfs.readdir(dir);
    } catch (e) {
      skipped.push({ path: rel || '.', reason: 'unreadable', detail: `cannot list folder: ${errMessage(e)}` });
      return;
    }
    let scope = ignores;
    if (respectGitignore && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      try {
        const ig = ignore().add((await cfs.readFile(path.join(dir, '.gitignore'))).toString('utf8'));
        scope = [...ignores, { base: dir, ig }];
      } catch (e) {
        skipped.push({ path: joinRel(rel, '.gitignore'), reason: 'unreadable', detail: errMessage(e) });
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      const relPath = joinRel(rel, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = await cfs.stat(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (e) {
          skipped.push({ path: relPath, reason: 'unreadable', detail: `broken symbolic link: ${errMessage(e)}` });
          continue;
        }
      }
      if (isDir) {
        if (PRUNED_DIRS.has(entry.name)) continue;
        if (isIgnored(scope, abs, true)) continue;
        if (exclude(`${relPath}/`) || exclude(`${relPath}/x`)) continue;
        let real: string;
        try {
          real = await cfs.realpath(abs);
        } catch (e) {
          skipped.push({ path: relPath, reason: 'unreadable', detail: errMessage(e) });
          continue;
        }
        if (ancestors.has(real)) {
          skipped.push({ path: relPath, reason: 'symlink-loop', detail: `links back to ${toPosix(path.relative(absRoot, real)) || '.'}` });
          continue;
        }
        await walk(abs, scope, new Set([...ancestors, real]));
        continue;
      }
      if (!isFile) continue;
      const language = languageOf(relPath);
      if (exclude(relPath)) {
        if (language) skipped.push({ path: relPath, reason: 'excluded', detail: 'matches an exclude glob' });
        continue;
      }
      if (respectGitignore && isIgnored(scope, abs, false)) {
        if (language) skipped.push({ path: relPath, reason: 'gitignored', detail: 'ignored by .gitignore' });
        continue;
      }
      if (!include(relPath)) continue;
      if (!language) {
        skipped.push({ path: relPath, reason: 'unsupported-type', detail: `no text extractor for ${path.extname(relPath) || 'files without an extension'}` });
        continue;
      }
      const verdict = await readDocument(absRoot, relPath, maxFileBytes, cfs);
      const y = yieldNow();
      if (y) {
        await y;
        options.signal?.throwIfAborted();
      }
      if ('skipped' in verdict) skipped.push(verdict.skipped);
      else {
        documents.push(verdict.doc);
        if (verdict.warning) skipped.push(verdict.warning);
      }
    }
  }

  let rootReal: string;
  try {
    rootReal = await cfs.realpath(absRoot);
  } catch (e) {
    return { root: absRoot, documents, skipped: [{ path: '.', reason: 'unreadable', detail: `cannot open ${absRoot}: ${errMessage(e)}` }] };
  }
  await walk(absRoot, [], new Set([rootReal]));
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { root: absRoot, documents: documents.sort(byPath), skipped: skipped.sort(byPath) };
}

/** Reads one file (for incremental updates); `relPath` is POSIX, relative to root. */
export async function loadSingleFile(root: string, relPath: string, maxFileBytes = DEFAULT_MAX_FILE_BYTES, cfs: CorpusFs = nodeCorpusFs): Promise<FileVerdict> {
  if (!languageOf(relPath)) {
    return { skipped: { path: relPath, reason: 'unsupported-type', detail: `no text extractor for ${path.extname(relPath) || 'files without an extension'}` } };
  }
  return readDocument(path.resolve(root), relPath, maxFileBytes, cfs);
}

async function readDocument(absRoot: string, relPath: string, maxFileBytes: number, cfs: CorpusFs): Promise<FileVerdict> {
  const abs = path.join(absRoot, ...relPath.split('/'));
  let bytes: Buffer;
  let stat: import('node:fs').Stats;
  // The default file system is read synchronously (see loadFolderCorpus); an injected one through its own calls.
  const direct = cfs === nodeCorpusFs;
  try {
    stat = direct ? fs.statSync(abs) : await cfs.stat(abs);
    if (stat.size > maxFileBytes) {
      return { skipped: { path: relPath, reason: 'too-large', detail: `${stat.size.toLocaleString('en')} bytes exceeds the ${maxFileBytes.toLocaleString('en')}-byte limit` } };
    }
    bytes = direct ? fs.readFileSync(abs) : await cfs.readFile(abs);
  } catch (e) {
    return { skipped: { path: relPath, reason: 'unreadable', detail: errMessage(e) } };
  }
  if (bytes.length > maxFileBytes) {
    // Grew between stat and read.
    return { skipped: { path: relPath, reason: 'too-large', detail: `${bytes.length.toLocaleString('en')} bytes exceeds the ${maxFileBytes.toLocaleString('en')}-byte limit` } };
  }
  const binary = binaryReason(bytes);
  if (binary) return { skipped: { path: relPath, reason: 'binary', detail: binary } };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    return { skipped: { path: relPath, reason: 'invalid-utf8', detail: `${relPath}:${line}: invalid UTF-8 at byte ${at}` } };
  }
  return loadDocumentFromText(relPath, text, { absPath: abs, size: bytes.length, mtimeMs: stat.mtimeMs, contentHash: sha256(bytes) });
}

function isIgnored(scope: Array<{ base: string; ig: Ignore }>, abs: string, isDir: boolean): boolean {
  for (const { base, ig } of scope) {
    const rel = toPosix(path.relative(base, abs));
    if (rel && !rel.startsWith('..') && ig.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** Byte offset of the first invalid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return i;
}

function joinRel(rel: string, name: string): string {
  return rel ? `${rel}/${name}` : name;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Why a file is not in the corpus, checked the way the loader would see it: missing, excluded by a glob (or a
 * default exclude), gitignored, unsupported, or unreadable/too large/binary. Undefined when it would load.
 */
export async function whyNotIndexed(root: string, relPath: string, options: FolderCorpusOptions = {}): Promise<SkippedFile | undefined> {
  const v = await loadWorkspaceFile(root, relPath, options);
  return 'skipped' in v ? v.skipped : undefined;
}

/**
 * One file of a workspace as the folder loader would take it (same globs, default excludes and .gitignore files),
 * for updating an index when a single file is saved, created or deleted.
 */
export async function loadWorkspaceFile(root: string, relPath: string, options: FolderCorpusOptions = {}): Promise<FileVerdict> {
  const skip = (reason: SkippedFile['reason'], detail: string): FileVerdict => ({ skipped: { path: relPath, reason, detail } });
  const absRoot = path.resolve(root);
  const abs = path.join(absRoot, ...relPath.split('/'));
  if (!(await fsp.stat(abs).catch(() => null))) return skip('unreadable', 'the file does not exist (deleted or renamed?)');
  const segments = relPath.split('/');
  if (segments.slice(0, -1).some((s) => PRUNED_DIRS.has(s)) || picomatch(DEFAULT_EXCLUDES, { dot: true })(relPath)) {
    return skip('excluded', `inside a folder never indexed (${DEFAULT_EXCLUDES.join(', ')})`);
  }
  const userExclude = options.exclude ?? [];
  if (userExclude.length && picomatch(userExclude, { dot: true })(relPath)) {
    return skip('excluded', `matches an exclude glob (${userExclude.join(', ')})`);
  }
  if (options.include?.length && !picomatch(options.include, { dot: true })(relPath)) {
    return skip('excluded', `matches no include glob (${options.include.join(', ')})`);
  }
  if (options.respectGitignore ?? true) {
    for (let i = 0; i < segments.length; i++) {
      const dir = path.join(absRoot, ...segments.slice(0, i));
      const gi = path.join(dir, '.gitignore');
      if (!fs.existsSync(gi)) continue;
      const ig = ignore().add(fs.readFileSync(gi, 'utf8'));
      const rest = segments.slice(i);
      for (let j = 1; j <= rest.length; j++) {
        const sub = rest.slice(0, j).join('/') + (j < rest.length ? '/' : '');
        if (ig.ignores(sub)) return skip('gitignored', `ignored by ${toPosix(path.relative(absRoot, gi))}`);
      }
    }
  }
  return loadSingleFile(absRoot, relPath, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, options.fs);
}
