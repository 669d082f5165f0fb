import type { SourceDocument } from '../corpus/document';
import type { Chunk, ChunkLint, TokenCounter } from './chunk';
import { SENTENCE_WINDOW_MAX_CHARS } from './sentence-window-chunker';
import { sentenceRanges } from './text-spans';

export interface LintOptions {
  /** Chunks under this many tokens are `tiny` (default 8). */
  minTokens?: number;
  /** The embedding model's input limit: longer chunks are silently truncated at embedding time (default 512). */
  maxTokens?: number;
  tokenCounter?: TokenCounter;
}

/** Per-document lints: split sentences, split code blocks or tables, cut at the maximum, tiny, huge, heading without body. */
export function lintChunks(doc: SourceDocument, chunks: Chunk[], options: LintOptions = {}): ChunkLint[] {
  const minTokens = options.minTokens ?? 8;
  const maxTokens = options.maxTokens ?? 512;
  const counter = options.tokenCounter;
  const text = doc.text;
  const sentences = sentenceRanges(text, doc.bodyStart, text.length);
  const starts = new Set(sentences.map((s) => s[0]));
  const ends = new Set(sentences.map((s) => s[1]));
  const fences = fenceBlocks(text, doc.bodyStart);
  const tables = tableBlocks(text, doc.bodyStart);
  const lineStarts = lineStartsOf(text);
  const lineOf = (offset: number) => lineAt(lineStarts, offset);
  const lints: ChunkLint[] = [];
  for (const c of chunks) {
    const add = (kind: ChunkLint['kind'], message: string) => lints.push({ chunkId: c.id, kind, message });
    const fence = fences.find(([s, e]) => (c.start > s && c.start < e) || (c.end > s && c.end < e));
    if (fence) {
      const opensHere = fence[0] >= c.start;
      add('splits-code-block', opensHere
        ? `opens the code block at line ${lineOf(fence[0])} but ends before it closes`
        : `starts inside the code block opened at line ${lineOf(fence[0])} (closes a fence it never opened)`);
    }
    const table = tables.find(([s, e]) => (c.start > s && c.start < e) || (c.end > s && c.end < e));
    if (table) add('splits-table', `cuts the table at line ${lineOf(table[0])}`);
    const inBlock = (p: number) => [...fences, ...tables].some(([s, e]) => p > s && p < e);
    if (!fence && !table && ((!starts.has(c.start) && !inBlock(c.start)) || (!ends.has(c.end) && !inBlock(c.end)))) {
      add('splits-sentence', !starts.has(c.start) ? `starts mid-sentence at line ${lineOf(c.start)}` : `ends mid-sentence at line ${lineOf(c.end)}`);
    }
    const cut = cutAtMaximum(text, c, sentences, lineStarts, doc.language);
    if (cut) add('cut-at-maximum', cut);
    const tokens = counter ? counter.count(c.text) : c.tokens;
    if (tokens < minTokens) add('tiny', `${tokens} tokens (< ${minTokens})`);
    if (tokens > maxTokens) add('huge', `${tokens} tokens: the model reads only the first ${maxTokens}; the rest is silently truncated`);
    const headingsInside = doc.headings.filter((h) => h.start >= c.start && h.end <= c.end);
    let body = '';
    let p = c.start;
    for (const h of headingsInside) {
      body += text.slice(p, h.start);
      p = h.end;
    }
    body += text.slice(p, c.end);
    if (headingsInside.length && !body.trim()) add('heading-without-body', `only the heading "${headingsInside[0].text}"`);
  }
  return lints;
}

/** Corpus-level near-duplicates: MinHash over word 3-shingles with LSH banding, confirmed by exact Jaccard. */
export function nearDuplicateLints(chunks: Chunk[], threshold = 0.9): ChunkLint[] {
  const HASHES = 48;
  const BANDS = 12;
  const ROWS = HASHES / BANDS;
  const seeds = Array.from({ length: HASHES }, (_, i) => (Math.imul(i + 1, 0x9e3779b1) ^ 0x85ebca6b) >>> 0);
  const shingles = chunks.map((c) => shingleSet(c.text));
  const sigs = shingles.map((set) => {
    const sig = new Uint32Array(HASHES).fill(0xffffffff);
    for (const h of set) for (let i = 0; i < HASHES; i++) {
      const v = mix(h ^ seeds[i]);
      if (v < sig[i]) sig[i] = v;
    }
    return sig;
  });
  const pairs = new Set<string>();
  const lints: ChunkLint[] = [];
  for (let b = 0; b < BANDS; b++) {
    const buckets = new Map<string, number[]>();
    sigs.forEach((sig, idx) => {
      if (!shingles[idx].size) return;
      const key = Array.from(sig.subarray(b * ROWS, (b + 1) * ROWS)).join(',');
      const list = buckets.get(key);
      if (list) list.push(idx);
      else buckets.set(key, [idx]);
    });
    for (const list of buckets.values()) {
      for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) {
        const [x, y] = [list[i], list[j]];
        const key = `${x}:${y}`;
        if (pairs.has(key) || chunks[x].id === chunks[y].id) continue;
        pairs.add(key);
        const jac = jaccard(shingles[x], shingles[y]);
        if (jac >= threshold) {
          lints.push({ chunkId: chunks[y].id, kind: 'near-duplicate', relatedChunkId: chunks[x].id, message: `${Math.round(jac * 100)}% similar to a chunk of ${chunks[x].docId}` });
          lints.push({ chunkId: chunks[x].id, kind: 'near-duplicate', relatedChunkId: chunks[y].id, message: `${Math.round(jac * 100)}% similar to a chunk of ${chunks[y].docId}` });
        }
      }
    }
  }
  return lints;
}

function shingleSet(text: string): Set<number> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const set = new Set<number>();
  if (words.length < 3) {
    if (words.length) set.add(hashString(words.join(' ')));
    return set;
  }
  for (let i = 0; i + 3 <= words.length; i++) set.add(hashString(`${words[i]} ${words[i + 1]} ${words[i + 2]}`));
  return set;
}

function jaccard(a: Set<number>, b: Set<number>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** [start, end) of each fenced code block (``` or ~~~; closed per CommonMark), fences included; an unclosed one runs to the end. */
function fenceBlocks(text: string, from: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /^ {0,3}(`{3,}|~{3,})(.*)$/gm;
  re.lastIndex = from;
  let open: { start: number; marker: string } | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!open) open = { start: m.index, marker: m[1] };
    else if (m[1][0] === open.marker[0] && m[1].length >= open.marker.length && !m[2].trim()) {
      out.push([open.start, m.index + m[0].length]);
      open = null;
    }
  }
  if (open) out.push([open.start, text.length]);
  return out;
}

/** [start, end) of each markdown table: two or more consecutive lines starting with `|`. */
function tableBlocks(text: string, from: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /(?:^[ \t]*\|.*(?:\n|$)){2,}/gm;
  re.lastIndex = from;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([m.index, m.index + m[0].replace(/\n$/, '').length]);
  return out;
}

/** Offsets where each line starts (the first is 0). */
function lineStartsOf(text: string): number[] {
  const out = [0];
  for (let p = text.indexOf('\n'); p >= 0; p = text.indexOf('\n', p + 1)) out.push(p + 1);
  return out;
}

/** Index of the last range/offset at or before `offset` in ascending `starts` (-1 if none). */
function lastAtOrBefore(n: number, startOf: (i: number) => number, offset: number): number {
  let lo = 0;
  let hi = n - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (startOf(mid) <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** 1-based line of `offset` (by binary search over the line starts: linear lints even for thousands of chunks). */
function lineAt(lineStarts: number[], offset: number): number {
  return lastAtOrBefore(lineStarts.length, (i) => lineStarts[i], offset) + 1;
}

/** Languages whose text is read as prose (sentences); anything else is code, read as lines. */
const PROSE = new Set(['markdown', 'plaintext', 'html', 'restructuredtext', 'asciidoc']);

/**
 * The maximum of the chunker a chunk key names (see chunkerKey): characters for the character-sized chunkers and
 * sentence-window, `tokens` for fixed-tokens; undefined for whole-document and unknown keys.
 */
export function chunkMaximum(key: string): { chars: number } | { tokens: number } | undefined {
  const [kind, params = ''] = key.split(/:(.*)/s);
  const p = new Map(params.split(',').map((kv) => kv.split('=') as [string, string]));
  const num = (name: string) => (p.has(name) && Number.isFinite(Number(p.get(name))) ? Number(p.get(name)) : undefined);
  switch (kind) {
    case 'fixed-chars':
    case 'recursive':
      return num('size') === undefined ? undefined : { chars: num('size') as number };
    case 'markdown':
    case 'code':
      return num('maxSize') === undefined ? undefined : { chars: num('maxSize') as number };
    case 'sentence-window':
      return { chars: num('maxChars') ?? SENTENCE_WINDOW_MAX_CHARS };
    case 'fixed-tokens':
      return num('size') === undefined ? undefined : { tokens: num('size') as number };
    default:
      return undefined;
  }
}

/**
 * Says what a chunker cut at its maximum: a boundary of the chunk inside a sentence (prose) or a line (code) longer
 * than the chunker's maximum (for fixed-tokens: a sentence or line that holds the whole chunk), i.e. one no chunk of
 * that size could hold whole. Prose is judged by sentences only (a paragraph written on one long line is cut
 * between its sentences, which is no loss).
 */
function cutAtMaximum(text: string, c: Chunk, sentences: Array<[number, number]>, lineStarts: number[], language: string): string | undefined {
  const max = chunkMaximum(c.chunker);
  if (!max) return undefined;
  const tooLong = (s: number, e: number) => ('chars' in max ? e - s > max.chars : s <= c.start && c.end <= e);
  const limit = 'chars' in max ? `${max.chars.toLocaleString('en')} characters` : `${max.tokens.toLocaleString('en')} tokens`;
  for (const p of [c.end, c.start]) {
    if (PROSE.has(language)) {
      const k = lastAtOrBefore(sentences.length, (i) => sentences[i][0], p);
      if (k >= 0 && sentences[k][0] < p && p < sentences[k][1] && tooLong(sentences[k][0], sentences[k][1])) {
        return `a sentence of ${(sentences[k][1] - sentences[k][0]).toLocaleString('en')} characters, longer than the maximum of ${limit}, was split at the maximum at line ${lineAt(lineStarts, p)}`;
      }
      continue;
    }
    const l = lastAtOrBefore(lineStarts.length, (i) => lineStarts[i], p);
    const ls = lineStarts[l];
    const le = l + 1 < lineStarts.length ? lineStarts[l + 1] - 1 : text.length;
    if (ls < p && p < le && !blankBetween(text, ls, p) && !blankBetween(text, p, le) && tooLong(ls, le)) {
      return `line ${l + 1} of ${(le - ls).toLocaleString('en')} characters split at the maximum of ${limit}`;
    }
  }
  return undefined;
}

/** Only whitespace in [s, e) (scanned from the inner end outwards: a cut mid-line stops at the first character). */
function blankBetween(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (!/\s/.test(text[i])) return false;
  return true;
}

