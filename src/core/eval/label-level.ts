import type { EvalQuery } from './evalset-types';

/** Where relevance is scored: documents (each scores its best chunk) or chunks (relevance derived from spans). */
export type Level = 'doc' | 'chunk';

/** What the labels of an eval set can score. */
export interface LevelSupport {
  /** `spans`: every judged query has span labels; `documents`: none has; `mixed`: some have. */
  kind: 'spans' | 'documents' | 'mixed' | 'none';
  /** The levels the labels support, the one to read first first: chunk for spans, doc for documents, both for mixed. */
  levels: Level[];
  /** Judged queries of the split, and how many of them each level scores. */
  judgedQueries: number;
  queriesAt: Record<Level, number>;
}

const inSplit = (q: EvalQuery, split: 'eval' | 'train' | 'all') => split === 'all' || q.split === split;

/**
 * Document judgments say which document answers, not which part of it, so they score only at document level; span
 * judgments score at chunk level (by overlap) and at document level (their document). A query counts at chunk level
 * when it has at least one span judgment (the same rule as `chunkQrels`), at document level when it has any judgment
 * (the same rule as `documentQrels`).
 */
export function levelSupport(queries: EvalQuery[], split: 'eval' | 'train' | 'all' = 'eval'): LevelSupport {
  const judged = queries.filter((q) => q.judgments.length && inSplit(q, split));
  const withSpans = judged.filter((q) => q.judgments.some((j) => j.target.type === 'span')).length;
  const kind: LevelSupport['kind'] = !judged.length ? 'none' : withSpans === judged.length ? 'spans' : withSpans === 0 ? 'documents' : 'mixed';
  const levels: Level[] = kind === 'spans' ? ['chunk'] : kind === 'documents' ? ['doc'] : kind === 'mixed' ? ['chunk', 'doc'] : [];
  return { kind, levels, judgedQueries: judged.length, queriesAt: { chunk: withSpans, doc: judged.length } };
}

export const LEVEL_NAME: Record<Level, string> = { doc: 'document level', chunk: 'chunk level' };

/**
 * Why a level cannot be scored on these labels, or undefined when it can: a figure no label can score is said to be
 * unmeasured instead of printed as 0.000.
 */
export function unscorableReason(level: Level, support: LevelSupport, split: 'eval' | 'train' | 'all' = 'eval'): string | undefined {
  const where = split === 'all' ? 'judged' : `${split}-split`;
  if (!support.judgedQueries) return `no ${where} query has judgments, so nothing can be scored`;
  if (level === 'chunk' && !support.queriesAt.chunk) {
    return `every ${where} judgment is a whole document, which says nothing about which chunk answers: chunk level cannot be scored (use document level)`;
  }
  return undefined;
}

/** One line for a table heading or a summary: the level and the queries it rests on. */
export function describeLevel(level: Level, support: LevelSupport): string {
  const n = support.queriesAt[level];
  const all = support.judgedQueries;
  if (level === 'chunk' && n < all) return `${LEVEL_NAME[level]}, the ${n} of ${all} queries with span labels`;
  if (level === 'doc' && support.kind === 'mixed') return `${LEVEL_NAME[level]}, all ${all} queries (span labels count for their document)`;
  return `${LEVEL_NAME[level]}, ${n} queries`;
}
