import * as path from 'node:path';
import type { Chunk } from '../src/core/chunking/chunk';
import { createChunker } from '../src/core/chunking/chunker-registry';
import type { SourceDocument } from '../src/core/corpus/document';
import { loadBeirCorpus } from '../src/core/corpus/load-beir';
import { scifactDir } from '../test/helpers/shared';

export { scifactDir };

export function requireScifact(name: string): string {
  const dir = scifactDir();
  if (!dir) {
    console.log(`${name}: SKIPPED — SciFact not found (set RETRIEVAL_LENS_SHARED or place ../shared beside the checkout)`);
    process.exit(0);
  }
  return dir;
}

export async function scifactDocs(): Promise<SourceDocument[]> {
  return (await loadBeirCorpus(requireScifact('bench'))).documents;
}

/** About `count` chunks of ~200 characters cut from SciFact abstracts (recursive chunker, cycling the corpus). */
export async function scifactChunks(count: number): Promise<Array<{ chunk: Chunk; doc: SourceDocument }>> {
  const docs = await scifactDocs();
  const chunker = createChunker({ kind: 'recursive', size: 200, overlap: 0 });
  const base = docs.flatMap((doc) => chunker.chunk(doc).map((chunk) => ({ chunk, doc })));
  const out: Array<{ chunk: Chunk; doc: SourceDocument }> = [];
  for (let copy = 0; out.length < count; copy++) {
    for (const x of base) {
      if (out.length >= count) break;
      out.push(copy === 0 ? x : { doc: x.doc, chunk: { ...x.chunk, id: `${x.chunk.id}-${copy}` } });
    }
  }
  return out;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
}

export function report(name: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n## ${name}`);
  console.table(rows);
}

export const repoRoot = path.resolve(__dirname, '..');
