import type { SearchView } from '../../protocol/inspector';

/** What the chunk shading, lines and underlines mean: the last line of every chunk hover. */
export const CHUNK_LEGEND =
  'Legend: every other chunk is faintly shaded and a thin line marks where each chunk starts; a green underline is a labeled relevant span (the deeper the green, the higher the grade), a red one a span labeled not relevant. Colours: retrievalLens.chunkShading and retrievalLens.chunkBoundary (Workbench › Color Customizations).';

/** The longest query a CodeLens quotes before it elides the middle. */
const QUERY_CHARS = 48;

/** A query short enough for a CodeLens: its start and end kept, the middle elided. */
export function shortQuery(q: string, max = QUERY_CHARS): string {
  const t = q.trim().replace(/\s+/g, ' ');
  if (t.length <= max) return t;
  const head = Math.ceil((max - 1) * 0.6);
  return `${t.slice(0, head)}…${t.slice(t.length - (max - 1 - head))}`;
}

/** Where a chunk ranks in each column of the inspector's last search: "hybrid #9" (top K only). */
export function chunkRanks(view: Pick<SearchView, 'columns'>, chunkId: string): string[] {
  return Object.entries(view.columns)
    .map(([r, rows]) => [r, rows?.find((x) => x.chunkId === chunkId)?.rank] as const)
    .filter(([, rank]) => rank !== undefined)
    .map(([r, rank]) => `${r} #${rank}`);
}

/**
 * A chunk's CodeLens: "chunk 3/12 · 210 tokens · for "how can a restarting pod…": hybrid #9, dense #12". The ranks
 * name the query they belong to (the inspector's last search); a chunk outside every top K says so; the chunk's id
 * is in the tooltip, not the title.
 */
export function chunkLensTitle(c: { ordinal: number; of: number; tokens: number; query?: string; ranks: string[]; lints: string[] }): string {
  const parts = [`chunk ${c.ordinal + 1}/${c.of}`, `${c.tokens} ${c.tokens === 1 ? 'token' : 'tokens'}`];
  if (c.query !== undefined) parts.push(`for "${shortQuery(c.query)}": ${c.ranks.length ? c.ranks.join(', ') : 'not in the top K'}`);
  if (c.lints.length) parts.push(`⚠ ${c.lints.join(', ')}`);
  return parts.join(' · ');
}
