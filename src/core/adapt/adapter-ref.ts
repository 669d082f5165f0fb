import * as fs from 'node:fs';
import * as path from 'node:path';
import { ADAPTERS_DIR } from './adapter-store';

/**
 * The folder a retrievalLens.queryAdapter value names: "" is none; a folder name ("adapter-use-lite-…") or a path
 * under .retrieval-lens/adapters (".retrieval-lens/adapters/adapter-…" is accepted too). Anything that would leave
 * that folder is refused with a message naming the setting: the setting comes from a workspace nobody vetted.
 */
export function resolveAdapterDir(root: string, ref: string): { dir: string | null; problem?: string } {
  const value = ref.trim();
  if (!value) return { dir: null };
  const base = path.resolve(root, ADAPTERS_DIR);
  const rel = value.replace(/\\/g, '/').replace(/^\.\//, '');
  const prefix = ADAPTERS_DIR.split(path.sep).join('/') + '/';
  const inside = rel.startsWith(prefix) ? rel.slice(prefix.length) : rel;
  const dir = path.resolve(base, inside);
  if (path.isAbsolute(value) || !inside || dir === base || !dir.startsWith(base + path.sep)) {
    return { dir: null, problem: `retrievalLens.queryAdapter must name a folder under ${prefix}, got ${JSON.stringify(ref)}` };
  }
  return { dir };
}

/** The saved adapters of a workspace (folders holding a manifest.json), newest first by folder time. */
export function listAdapterNames(root: string): string[] {
  const base = path.join(root, ADAPTERS_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(base).filter((n) => fs.existsSync(path.join(base, n, 'manifest.json')));
  } catch {
    return [];
  }
  const time = (n: string) => fs.statSync(path.join(base, n, 'manifest.json')).mtimeMs;
  return names.sort((a, b) => time(b) - time(a) || (a < b ? -1 : 1));
}
