import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../io/input-error';
import { spanOverlapsChunk } from '../eval/chunk-relevance';
import { judgmentKey } from '../eval/evalset-merge';
import type { EvalQuery, Grade, Judgment } from '../eval/evalset-types';
import { reanchor } from '../eval/span-anchor';
import { writeFileAtomic } from '../io/atomic-write';

/**
 * Judge grades, kept apart from the humans'. They are judgments (the eval set's own Judgment shape: a grade on a
 * span or a document) with their source — which judge, which endpoint and model, which prompt version — in their
 * own file beside the eval set, `.retrieval-lens/judge-labels.jsonl`. Keeping them out of evalset.jsonl is what
 * makes the rules hold without trusting every reader:
 * - a judge grade never overwrites a human grade: the judge never writes the eval set;
 * - it never outranks one: every reader of labels (metrics, pooling and Hole@K, readiness, training export, the
 *   trial fine-tune, judgment exports, the merge of concurrent edits) reads evalset.jsonl and so sees human grades
 *   only; a figure that uses judge grades must load this file on purpose (withJudgeGrades, judgeOnly) and say so;
 * - removing every judge grade is deleting one file (removeJudgeLabels; `retrieval-lens judge --remove-labels`).
 */
export const JUDGE_LABELS_PATH = '.retrieval-lens/judge-labels.jsonl';

export interface JudgeSource {
  /** The judge: the prompt family ("umbrela"). */
  judge: string;
  /** The chat endpoint's name in retrievalLens.chatEndpoints, and the model it named. */
  endpoint: string;
  model: string;
  promptVersion: string;
}

export interface JudgeLabel {
  queryId: string;
  judgment: Judgment;
  source: JudgeSource;
  /** sha256 of the passage text the judge read (the answer cache's key part). */
  passageHash: string;
}

/** One judge, as agreement and overlays group labels: "model · prompt version". */
export function judgeId(s: Pick<JudgeSource, 'model' | 'promptVersion'>): string {
  return `${s.model} · ${s.promptVersion}`;
}

export function judgeLabelsFile(root: string): string {
  return path.join(root, JUDGE_LABELS_PATH);
}

const GRADES = new Set([0, 1, 2, 3]);

/** The judge labels of a file (none when it does not exist); a bad line is an InputError naming file and line. */
export function loadJudgeLabels(file: string): JudgeLabel[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
  const out: JudgeLabel[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let v: JudgeLabel;
    try {
      v = JSON.parse(line) as JudgeLabel;
    } catch (e) {
      throw new InputError(file, i + 1, `invalid JSON: ${e instanceof Error ? e.message : e}`);
    }
    const s = v?.source;
    if (typeof v?.queryId !== 'string' || !v.queryId) throw new InputError(file, i + 1, '"queryId" must be a non-empty string');
    if (!v.judgment || !GRADES.has(v.judgment.grade) || typeof v.judgment.target?.docId !== 'string') throw new InputError(file, i + 1, '"judgment" must have a grade 0–3 and a target with a docId');
    if (!s || ![s.judge, s.endpoint, s.model, s.promptVersion].every((x) => typeof x === 'string' && x)) throw new InputError(file, i + 1, '"source" must name judge, endpoint, model and promptVersion');
    out.push(v);
  });
  return out;
}

function labelKey(l: JudgeLabel): string {
  return `${l.queryId}\u0000${judgmentKey(l.judgment)}\u0000${judgeId(l.source)}`;
}

/** Adds or replaces (same query, target and judge) labels, and writes the file atomically. Returns how many were new. */
export function saveJudgeLabels(file: string, labels: JudgeLabel[]): number {
  const all = new Map(loadJudgeLabels(file).map((l) => [labelKey(l), l]));
  let added = 0;
  for (const l of labels) {
    if (!all.has(labelKey(l))) added++;
    all.set(labelKey(l), l);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, [...all.values()].map((l) => JSON.stringify(l)).join('\n') + (all.size ? '\n' : ''));
  return added;
}

/** Removes every judge label (the file); the eval set is not touched. Returns how many there were. */
export function removeJudgeLabels(file: string): number {
  const n = loadJudgeLabels(file).length;
  fs.rmSync(file, { force: true });
  return n;
}

/**
 * Judge labels anchored to the documents as they are now, as the eval set's own span labels are when loaded: a
 * quote that moved follows its text; one that can no longer be found is marked stale (and pairs with no human grade).
 * Labels of documents not in `docs` are kept as they are.
 */
export function reanchorJudgeLabels(labels: JudgeLabel[], docs: ReadonlyMap<string, { text: string }>): { labels: JudgeLabel[]; stale: number } {
  let stale = 0;
  const out = labels.map((l) => {
    const t = l.judgment.target;
    const doc = t.type === 'span' ? docs.get(t.docId) : undefined;
    if (t.type !== 'span' || !doc) return l;
    const a = reanchor(t, doc.text);
    if (a.status === 'stale') {
      stale++;
      return { ...l, judgment: { ...l.judgment, stale: true } };
    }
    return { ...l, judgment: { ...l.judgment, target: { ...t, start: a.start, end: a.end, exact: doc.text.slice(a.start, a.end) } } };
  });
  return { labels: out, stale };
}

/** True when `j` (a human judgment) covers the passage `target` by the eval set's rules: same document for a document judgment, the chunk overlap rule for spans. */
function covers(j: Judgment, target: Judgment['target']): boolean {
  if (j.target.docId !== target.docId || j.stale) return false;
  if (j.target.type === 'document' || target.type === 'document') return true;
  return spanOverlapsChunk(j.target, target);
}

/**
 * The human grade of the passage a judge label names, or undefined when no human judged it: the highest grade of
 * the human span judgments it overlaps by the chunk rule, else of a document judgment of its document (span
 * judgments say more than a document judgment about a passage).
 */
export function humanGradeFor(query: EvalQuery | undefined, target: Judgment['target'], stale = false): Grade | undefined {
  if (!query || stale) return undefined;
  const matching = query.judgments.filter((j) => covers(j, target));
  const spans = matching.filter((j) => j.target.type === 'span' && target.type === 'span');
  const use = spans.length ? spans : matching;
  return use.length ? (Math.max(...use.map((j) => j.grade)) as Grade) : undefined;
}

/**
 * The queries with one judge's grades added where no human grade covers the passage: human grades always win. For
 * figures that say they use judge grades ("human + judge labels"); never for the human-only figures.
 */
export function withJudgeGrades(queries: EvalQuery[], labels: JudgeLabel[], judge: string): EvalQuery[] {
  const mine = labels.filter((l) => judgeId(l.source) === judge && !l.judgment.stale);
  return queries.map((q) => {
    const added = mine.filter((l) => l.queryId === q.id && humanGradeFor(q, l.judgment.target) === undefined).map((l) => l.judgment);
    return added.length ? { ...q, judgments: [...q.judgments, ...added] } : q;
  });
}

/** The queries judged by one judge alone (the human grades left out): to score retrievers as the judge sees them. */
export function judgeOnly(queries: EvalQuery[], labels: JudgeLabel[], judge: string): EvalQuery[] {
  const mine = labels.filter((l) => judgeId(l.source) === judge && !l.judgment.stale);
  return queries.map((q) => ({ ...q, judgments: mine.filter((l) => l.queryId === q.id).map((l) => l.judgment) }));
}
