import DiffMatchPatch from 'diff-match-patch';
import type { SpanTarget } from './evalset-types';

const CONTEXT = 32;

export type AnchorStatus = 'exact' | 'moved' | 'fuzzy' | 'stale';

export interface Anchored {
  status: AnchorStatus;
  start: number;
  end: number;
  /** Similarity of the found text to the quote (1 for exact and moved). */
  similarity: number;
}

/** A text-quote selector for [start, end) of `text`, with up to 32 characters of context on each side. */
export function makeSpanTarget(docId: string, text: string, start: number, end: number): SpanTarget {
  if (start < 0 || end > text.length || start >= end) throw new Error(`span [${start}, ${end}) is outside ${docId} (length ${text.length})`);
  return {
    type: 'span',
    docId,
    start,
    end,
    exact: text.slice(start, end),
    prefix: text.slice(Math.max(0, start - CONTEXT), start),
    suffix: text.slice(end, end + CONTEXT),
  };
}

/**
 * Finds the labeled span in the current text: the quote at its old offsets, else the quote elsewhere (the
 * occurrence whose context matches best, then the nearest), else a fuzzy match (diff-match-patch's bitap search for
 * the quote's head and tail near the old position, accepted at ≥ 80% similarity), else stale. Never drops a label:
 * a stale one keeps its old offsets and is flagged.
 */
export function reanchor(target: SpanTarget, text: string): Anchored {
  const { exact, start, end } = target;
  if (text.slice(start, end) === exact) return { status: 'exact', start, end, similarity: 1 };
  const hits: number[] = [];
  for (let i = text.indexOf(exact); i >= 0; i = text.indexOf(exact, i + 1)) hits.push(i);
  if (hits.length) {
    const score = (i: number) => contextScore(text, i, exact.length, target) * 1e9 - Math.abs(i - start);
    const best = hits.reduce((a, b) => (score(b) > score(a) ? b : a));
    return { status: 'moved', start: best, end: best + exact.length, similarity: 1 };
  }
  const dmp = new DiffMatchPatch();
  dmp.Match_Threshold = 0.35;
  dmp.Match_Distance = Math.max(1000, text.length);
  const head = exact.slice(0, Math.min(32, exact.length));
  const tail = exact.slice(Math.max(0, exact.length - 32));
  const s = dmp.match_main(text, head, Math.min(Math.max(0, start), text.length));
  if (s < 0) return { status: 'stale', start, end, similarity: 0 };
  const e0 = dmp.match_main(text, tail, Math.min(Math.max(0, s + exact.length - tail.length), text.length));
  if (e0 < 0) return { status: 'stale', start, end, similarity: 0 };
  const e = e0 + tail.length;
  if (e <= s || Math.abs(e - s - exact.length) > exact.length * 0.3) return { status: 'stale', start, end, similarity: 0 };
  const found = text.slice(s, e);
  const distance = dmp.diff_levenshtein(dmp.diff_main(exact, found));
  const similarity = 1 - distance / Math.max(exact.length, found.length);
  if (similarity < 0.8) return { status: 'stale', start, end, similarity };
  return { status: 'fuzzy', start: s, end: e, similarity };
}

/** How many characters of the stored prefix and suffix match around a candidate position. */
function contextScore(text: string, at: number, length: number, t: SpanTarget): number {
  let n = 0;
  for (let i = 1; i <= t.prefix.length && at - i >= 0 && text[at - i] === t.prefix[t.prefix.length - i]; i++) n++;
  for (let i = 0; i < t.suffix.length && at + length + i < text.length && text[at + length + i] === t.suffix[i]; i++) n++;
  return n;
}
