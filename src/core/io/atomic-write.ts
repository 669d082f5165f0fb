import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let counter = 0;

/**
 * The one way Retrieval Lens writes a file it owns (eval set, runs, metrics, exports, index parts): write a
 * temporary file in the same folder, fsync it, rename it over the target, then fsync the folder so the rename itself
 * survives a power cut. A reader (or a process killed at any point) sees the old file or the new one, never half of
 * one; at worst a `.name.<pid>.<n>.tmp` file is left behind, which {@link removeStaleTemps} cleans up.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}-${counter++}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += fs.writeSync(fd, buf, off, buf.byteLength - off);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** writeFileAtomic with the file system work (write, fsync, rename, folder fsync) off the event loop. */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}-${counter++}.tmp`);
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writeFile(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  if (process.platform === 'win32') return;
  try {
    const d = await fs.promises.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // as in fsyncDir
  }
}

/** Makes a rename durable (POSIX); Windows cannot open a folder for fsync and NTFS journals renames itself. */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems (network mounts) refuse fsync on a folder; the rename has still happened.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** True when a process with this id exists on this machine. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files of `file` left by writers that died before their rename (their process is gone). */
export function removeStaleTemps(file: string): number {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (pid === process.pid || processAlive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** A lock older than this is taken over even if its process id is alive (a pid reused after a crash). */
const STALE_LOCK_MS = 30_000;

/**
 * Runs `fn` holding `<file>.lock` (created with O_EXCL, holding pid, host and time). Writers that each read,
 * merge and write under this lock cannot interleave. A lock whose process is gone (killed mid-write) or that is
 * older than 30 s is taken over. Gives up with an error naming the holder after `timeoutMs`.
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = 10_000): T {
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const me = JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() });
  const t0 = Date.now();
  let wait = 2;
  for (;;) {
    try {
      const fd = fs.openSync(lock, 'wx');
      try {
        fs.writeSync(fd, me);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(lock);
    if (holder && isStale(holder)) {
      // Take over only the lock we judged stale: if another writer replaced it meanwhile, its content differs.
      if (readLock(lock)?.raw === holder.raw) fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${file} is locked by process ${holder?.pid ?? '?'} (${lock}); try again, or delete the lock file if that process is gone`);
    sleepSync(wait);
    wait = Math.min(wait * 2, 50);
  }
  try {
    return fn();
  } finally {
    if (readLock(lock)?.raw === me) fs.rmSync(lock, { force: true });
  }
}

function readLock(lock: string): { raw: string; pid: number; host: string; atMs: number; mtimeMs: number } | undefined {
  try {
    const raw = fs.readFileSync(lock, 'utf8');
    const mtimeMs = fs.statSync(lock).mtimeMs;
    let v: { pid?: unknown; host?: unknown; at?: unknown } = {};
    try {
      v = JSON.parse(raw) as typeof v;
    } catch {
      // A lock file cut short by a crash between create and write: judged by its age alone.
    }
    return { raw, pid: Number(v.pid), host: String(v.host ?? ''), atMs: Date.parse(String(v.at ?? '')), mtimeMs };
  } catch {
    return undefined;
  }
}

function isStale(l: { pid: number; host: string; mtimeMs: number }): boolean {
  if (Date.now() - l.mtimeMs > STALE_LOCK_MS) return true;
  if (!l.host) return Date.now() - l.mtimeMs > 1000;
  return l.host === os.hostname() && !processAlive(l.pid);
}
