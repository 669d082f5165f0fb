import * as fs from 'node:fs';
import { spanOverlapsChunk } from '../eval/chunk-relevance';
import type { EvalQuery, Grade, Judgment } from '../eval/evalset-types';
import type { Pool, PoolItem } from '../eval/pool';
import { humanGradeFor, judgeId, judgeLabelsFile, loadJudgeLabels, type JudgeLabel } from './judge-labels';

/**
 * The human judging queue with the judge in it. First the passages where a human grade and a judge grade disagree
 * (the largest gap first): a human looks again, and the grade they give is written as any other. Then the passages
 * no human has judged, in the pool's own order. Each entry carries the judge's grade when there is one (shown beside
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

const loadedByFile = new Map<string, { stamp: string; labels: JudgeLabel[]; problem?: string }>();

/**
 * A workspace's judge labels, read again only when the file changes (mtime or size); none when there is no file.
 * An unreadable file gives no labels and `problem` names its line: the queue and the view still work.
 */
export function cachedJudgeLabels(root: string): { labels: JudgeLabel[]; problem?: string } {
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
  private memo = new WeakMap<object, { labels: JudgeLabel[]; out: QueueEntry[] }>();
  problem: string | undefined;

  constructor(private readonly root: () => string | undefined) {}

  order(pool: Pool | undefined, queries: () => EvalQuery[]): QueueEntry[] {
    if (!pool) return [];
    const r = this.root();
    const loaded = r ? cachedJudgeLabels(r) : { labels: [] as JudgeLabel[], problem: undefined };
    this.problem = loaded.problem;
    const labels = loaded.labels;
    const hit = this.memo.get(pool);
    if (hit && hit.labels === labels) return hit.out;
    const out = labels.length ? orderForHumans(pool.items, queries(), labels) : pool.items;
    this.memo.set(pool, { labels, out });
    return out;
  }
}
