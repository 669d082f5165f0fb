import type { Chunk } from '../chunking/chunk';
import { seededRandom } from '../eval/significance';

/**
 * Which chunks synthetic queries are written for: a seeded sample stratified by folder, then by section, so a
 * corpus with one huge folder does not get every query, and every folder gets one before any gets two.
 *
 * Strata: the folder of the chunk's document (the path up to its last "/"; "." at the root). Within a folder, the
 * sections: (document, top two headings of the chunk's heading path). Order: the folders, the sections of each
 * folder and the chunks of each section are each shuffled with one seeded generator (mulberry32, the significance
 * tests' own); then chunks are taken round-robin over folders, each folder taking round-robin over its sections.
 * So with n ≥ the number of folders every folder is sampled, and the same seed and chunks give the same sample; a
 * larger n extends a smaller n's sample.
 */
export interface ChunkSample {
  chunks: Chunk[];
  /** Folders present, and folders with at least one chunk in the sample. */
  folders: number;
  foldersSampled: number;
  /** Chunks left out before sampling as too short to ask about (fewer than `minWords` words). */
  tooShort: number;
}

export const DEFAULT_MIN_WORDS = 8;

export function folderOf(docId: string): string {
  const i = docId.lastIndexOf('/');
  return i < 0 ? '.' : docId.slice(0, i);
}

function shuffle<T>(items: T[], rnd: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Round-robin over lists: the first of each, then the second of each, … */
function interleave<T>(lists: T[][]): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < lists.reduce((s, l) => s + l.length, 0); i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}

export function sampleChunks(all: readonly Chunk[], n: number, seed: number, options: { minWords?: number } = {}): ChunkSample {
  const minWords = options.minWords ?? DEFAULT_MIN_WORDS;
  const usable = all.filter((c) => (c.text.match(/[\p{L}\p{N}]+/gu) ?? []).length >= minWords);
  // Input order must not matter: sort by id before anything is shuffled.
  const sorted = [...usable].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byFolder = new Map<string, Map<string, Chunk[]>>();
  for (const c of sorted) {
    const folder = folderOf(c.docId);
    const sections = byFolder.get(folder) ?? new Map<string, Chunk[]>();
    byFolder.set(folder, sections);
    const section = JSON.stringify([c.docId, ...c.headingPath.slice(0, 2)]);
    sections.set(section, [...(sections.get(section) ?? []), c]);
  }
  const rnd = seededRandom(seed);
  const folderNames = shuffle([...byFolder.keys()].sort(), rnd);
  const perFolder = folderNames.map((f) => {
    const sections = byFolder.get(f) as Map<string, Chunk[]>;
    return interleave(shuffle([...sections.keys()].sort(), rnd).map((s) => shuffle(sections.get(s) as Chunk[], rnd)));
  });
  const chunks = interleave(perFolder).slice(0, Math.max(0, n));
  const allFolders = new Set(all.map((c) => folderOf(c.docId)));
  return { chunks, folders: allFolders.size, foldersSampled: new Set(chunks.map((c) => folderOf(c.docId))).size, tooShort: all.length - usable.length };
}
