import * as fs from 'node:fs';
import { spanOverlapsChunk } from '../eval/chunk-relevance';
import type { EvalQuery, Grade, Judgment } from '../eval/evalset-types';
import type { Pool, PoolItem } from '../eval/pool';
import { humanGradeFor, judgeId, judgeLabelsFile, loadJudgeLabels, type JudgeLabel } from './judge-labels';

/**
 * The human judging queue with the judge in it. First the passages where a human grade and a judge grade disagree
 * (the largest gap first): a human looks again, and the grade they give is written as any other. Then the passages
 * no human has judged, in the pool's own order or in value order (valueOrder). Each entry carries the judge's grade when there is one (shown beside
 * the human's, "judge: 2"), so a human can accept it with the same keystroke or override it.
 *
 * A disagreement is resolved once a human grades the passage after the judge did (a human judgment covering it
 * created at or after the judge label): keeping one's grade against the judge is an answer too, and the item leaves
 * the queue. Judge labels whose text is gone (stale) and document-level labels (no passage to show) are left out.
 */
export interface QueueEntry extends PoolItem {
  /** The judge's grade of this passage, and which judge (model · prompt version). */
  judge?: { grade: Grade; judge: string };
  /** The human grade it disagrees with (disagreements only). */
  human?: Grade;
  disagreement?: boolean;
}

const time = (s: string | undefined) => (s ? Date.parse(s) : NaN);

/** Whether a human judged the passage at or after the judge label was made. */
function regradedAfter(q: EvalQuery, l: JudgeLabel): boolean {
  const at = time(l.judgment.createdAt);
  if (!Number.isFinite(at)) return false;
  const later = q.judgments.filter((j: Judgment) => time(j.createdAt) >= at);
  return later.length > 0 && humanGradeFor({ ...q, judgments: later }, l.judgment.target) !== undefined;
}

/** The newest judge label per (query, document, start, end): one entry per passage. */
function newestPerPassage(labels: readonly JudgeLabel[]): JudgeLabel[] {
  const byKey = new Map<string, JudgeLabel>();
  for (const l of labels) {
    const t = l.judgment.target;
    if (l.judgment.stale || t.type !== 'span') continue;
    const key = `${l.queryId}\u0000${t.docId}\u0000${t.start}\u0000${t.end}`;
    const had = byKey.get(key);
    if (!had || !(time(had.judgment.createdAt) > time(l.judgment.createdAt))) byKey.set(key, l);
  }
  return [...byKey.values()];
}

/** The judge label that grades a pooled passage: the same span first, else the newest overlapping one (chunk rule). */
function labelFor(item: PoolItem, labels: readonly JudgeLabel[]): JudgeLabel | undefined {
  const mine = labels.filter((l) => l.queryId === item.queryId && l.judgment.target.docId === item.docId);
  const exact = mine.find((l) => l.judgment.target.type === 'span' && l.judgment.target.start === item.start && l.judgment.target.end === item.end);
  if (exact) return exact;
  return mine.filter((l) => l.judgment.target.type === 'span' && spanOverlapsChunk(l.judgment.target, item)).sort((a, b) => time(b.judgment.createdAt) - time(a.judgment.createdAt))[0];
}

/** Disagreements first (largest gap first, then query order), then the pooled items in their order, each with its judge grade. */
export function orderForHumans(pooled: readonly PoolItem[], queries: readonly EvalQuery[], labels: readonly JudgeLabel[]): QueueEntry[] {
  const current = newestPerPassage(labels);
  const byId = new Map(queries.map((q, i) => [q.id, { q, i }]));
  const disagreements: Array<QueueEntry & { gap: number; order: number }> = [];
  for (const l of current) {
    const found = byId.get(l.queryId);
    const t = l.judgment.target;
    if (!found || t.type !== 'span') continue;
    const human = humanGradeFor(found.q, t);
    if (human === undefined || human === l.judgment.grade || regradedAfter(found.q, l)) continue;
    disagreements.push({ queryId: l.queryId, queryText: found.q.text, docId: t.docId, start: t.start, end: t.end, text: t.exact, hits: [], judge: { grade: l.judgment.grade, judge: judgeId(l.source) }, human, disagreement: true, gap: Math.abs(human - l.judgment.grade), order: found.i });
  }
  disagreements.sort((a, b) => b.gap - a.gap || a.order - b.order || a.docId.localeCompare(b.docId) || a.start - b.start);
  const rest = pooled.map((item): QueueEntry => {
    const l = labelFor(item, current);
    return l ? { ...item, judge: { grade: l.judgment.grade, judge: judgeId(l.source) } } : item;
  });
  return [...disagreements.map(({ gap: _gap, order: _order, ...e }) => e), ...rest];
}

/**
 * The order of the unjudged passages behind the judge disagreements: `query` keeps the pool's (eval-set order, queries
 * with no judgment first); `value` puts first the queries whose judging most changes a comparison of the retrievers.
 */
export type QueueOrder = 'value' | 'query';
export const QUEUE_ORDERS: readonly QueueOrder[] = ['value', 'query'];

/** Why a query stands where it does in the value order. */
export interface QueryValue {
  queryId: string;
  /** Pooled passages no human judged (holes in some retriever's top K). */
  holes: number;
  /** The holes weighted by where the retrievers ranked them: Σ over each hole's hits of 1 / log2(rank + 1). */
  weight: number;
  /** 1 − mean pairwise overlap of the retrievers' top K sets (pool.ts, topKDisagreement). */
  disagreement: number;
  /** weight × (1 + disagreement). */
  value: number;
}

/**
 * The value of judging each pooled query. A hole is weighted by the DCG discount of every rank a retriever gave it
 * (1 at rank 1, 0.63 at 2, 0.29 at 10, summed over the retrievers that returned it): a hole high in several rankings
 * moves several scores the most. The sum is raised by up to twice when the retrievers' top K sets disagree, since
 * then the judgments decide which retriever wins the query rather than shifting all of them alike.
 */
export function queryValues(pool: Pool): Map<string, QueryValue> {
  const out = new Map<string, QueryValue>();
  for (const item of pool.items) {
    let v = out.get(item.queryId);
    if (!v) out.set(item.queryId, (v = { queryId: item.queryId, holes: 0, weight: 0, disagreement: pool.disagreement?.get(item.queryId) ?? 0, value: 0 }));
    v.holes++;
    for (const h of item.hits) v.weight += 1 / Math.log2(h.rank + 1);
  }
  for (const v of out.values()) v.value = v.weight * (1 + v.disagreement);
  return out;
}

/** The pooled query ids by value, highest first; equal values keep the pool's order. */
export function queryRanking(pool: Pool): Map<string, number> {
  const values = queryValues(pool);
  const ids = [...values.keys()];
  const at = new Map(ids.map((id, i) => [id, i]));
  ids.sort((a, b) => (values.get(b)?.value ?? 0) - (values.get(a)?.value ?? 0) || (at.get(a) ?? 0) - (at.get(b) ?? 0));
  return new Map(ids.map((id, i) => [id, i]));
}

/**
 * The pool's items in value order: queries by `ranking` (queryRanking of this pool unless given: the editor fixes
 * it when the queue is built, so the query being judged keeps its place as its holes are filled; queries it does not
 * know go last, in pool order). Within a query, the passage some retriever ranked highest first; at equal best rank,
 * the one fewer retrievers returned (it separates them); then the pool's order.
 */
export function valueOrder(pool: Pool, ranking: ReadonlyMap<string, number> = queryRanking(pool)): PoolItem[] {
  const best = (m: PoolItem) => Math.min(...m.hits.map((x) => x.rank));
  const firstSeen = new Map<string, number>();
  pool.items.forEach((i, n) => {
    if (!firstSeen.has(i.queryId)) firstSeen.set(i.queryId, n);
  });
  const queryKey = (id: string) => ranking.get(id) ?? ranking.size + (firstSeen.get(id) ?? 0);
  return pool.items
    .map((item, n) => ({ item, n }))
    .sort((a, b) => queryKey(a.item.queryId) - queryKey(b.item.queryId) || best(a.item) - best(b.item) || a.item.hits.length - b.item.hits.length || a.n - b.n)
    .map((x) => x.item);
}

/** "3 holes · disagree 0.67": why a query is up first in the value order, short enough for a side bar row. */
export function describeQueryValue(v: QueryValue | undefined): string {
  if (!v) return '';
  return `${v.holes} ${v.holes === 1 ? 'hole' : 'holes'} · disagree ${v.disagreement.toFixed(2)}`;
}

const loadedByFile = new Map<string, { stamp: string; labels: JudgeLabel[]; problem?: string }>();

/**
 * A workspace's judge labels, read again only when the file changes (mtime or size); none when there is no file.
 * An unreadable file gives no labels and `problem` names its line: the queue and the view still work.
 */
export function cachedJudgeLabels(root: string): { labels: JudgeLabel[]; problem?: string; stamp: string } {
  const file = judgeLabelsFile(root);
  let stamp = 'none';
  try {
    const st = fs.statSync(file);
    stamp = `${st.mtimeMs}:${st.size}`;
  } catch {
    // No labels file: no judge grades.
  }
  const had = loadedByFile.get(file);
  if (had?.stamp === stamp) return had;
  let entry: { stamp: string; labels: JudgeLabel[]; problem?: string };
  try {
    entry = { stamp, labels: loadJudgeLabels(file) };
  } catch (e) {
    entry = { stamp, labels: [], problem: e instanceof Error ? e.message : String(e) };
  }
  loadedByFile.set(file, entry);
  return entry;
}

/**
 * orderForHumans for the editor's queue, which asks for its items many times a render: the order is recomputed only
 * for a new pool or new labels. An unreadable labels file gives no judge grades (and `problem` says why), not no queue.
 */
export class HumanQueueOrder {
  private memo = new WeakMap<object, { labels: JudgeLabel[]; ranking: ReadonlyMap<string, number> | undefined; out: QueueEntry[] }>();
  problem: string | undefined;
  /** Which version of the labels file `problem` is about (its path, mtime and size): a new one is a new problem. */
  problemKey: string | undefined;

  constructor(private readonly root: () => string | undefined) {}

  /** With `ranking` (queryRanking), the unjudged passages in value order; without, in the pool's. */
  order(pool: Pool | undefined, queries: () => EvalQuery[], ranking?: ReadonlyMap<string, number>): QueueEntry[] {
    if (!pool) return [];
    const r = this.root();
    const loaded = r ? cachedJudgeLabels(r) : { labels: [] as JudgeLabel[], problem: undefined, stamp: '' };
    this.problem = loaded.problem;
    this.problemKey = loaded.problem && r ? `${judgeLabelsFile(r)}\u0000${loaded.stamp}` : undefined;
    const labels = loaded.labels;
    const hit = this.memo.get(pool);
    if (hit && hit.labels === labels && hit.ranking === ranking) return hit.out;
    const items = ranking ? valueOrder(pool, ranking) : pool.items;
    const out = labels.length ? orderForHumans(items, queries(), labels) : items;
    this.memo.set(pool, { labels, ranking, out });
    return out;
  }
}
