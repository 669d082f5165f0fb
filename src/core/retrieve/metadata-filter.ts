import picomatch from 'picomatch';
import type { Chunk } from '../chunking/chunk';
import type { SourceDocument } from '../corpus/document';
import type { MetadataFilter } from './types';

export type ChunkPredicate = (doc: SourceDocument, chunk: Chunk) => boolean;

/** Compiles a filter once; every given field must pass. Throws on an invalid date with the offending value. */
export function compileFilter(filter: MetadataFilter | undefined): ChunkPredicate | undefined {
  if (!filter || isEmptyFilter(filter)) return undefined;
  const tests: ChunkPredicate[] = [];
  if (filter.pathGlobs?.length) {
    const m = picomatch(filter.pathGlobs, { dot: true });
    tests.push((d) => m(d.path));
  }
  if (filter.excludeGlobs?.length) {
    const m = picomatch(filter.excludeGlobs, { dot: true });
    tests.push((d) => !m(d.path));
  }
  if (filter.languages?.length) {
    const langs = new Set(filter.languages.map((l) => l.toLowerCase()));
    tests.push((d) => langs.has(d.language.toLowerCase()));
  }
  for (const [field, wanted] of Object.entries(filter.frontMatter ?? {})) {
    const allowed = (Array.isArray(wanted) ? wanted : [wanted]).map((v) => String(v).toLowerCase());
    tests.push((d) => {
      const v = d.frontMatter[field];
      const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      return values.some((x) => allowed.includes(String(x).toLowerCase()));
    });
  }
  if (filter.headingPath?.trim()) {
    const needle = filter.headingPath.trim().toLowerCase();
    tests.push((_d, c) => c.headingPath.join(' > ').toLowerCase().includes(needle));
  }
  if (filter.modifiedAfter) {
    const t = Date.parse(filter.modifiedAfter);
    if (Number.isNaN(t)) throw new Error(`filter modifiedAfter: "${filter.modifiedAfter}" is not a date (use e.g. 2026-01-31)`);
    tests.push((d) => d.mtimeMs >= t);
  }
  return (d, c) => tests.every((t) => t(d, c));
}

export function isEmptyFilter(f: MetadataFilter): boolean {
  return !f.pathGlobs?.length && !f.excludeGlobs?.length && !f.languages?.length && !Object.keys(f.frontMatter ?? {}).length && !f.headingPath?.trim() && !f.modifiedAfter;
}
