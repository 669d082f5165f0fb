import { InputError } from '../io/input-error';
import { writeFileAtomic } from '../io/atomic-write';
import { readLines } from '../io/read-lines';
import type { Qrels, Run } from './evalset-types';

/**
 * Adds one judgment to `qrels`, as every qrels reader does: the grade must be an integer and a document is judged
 * at most once per query (else an InputError naming the file and line).
 */
export function addQrel(qrels: Qrels, at: { file: string; line: number }, qid: string, docId: string, gradeText: string, gradeName = 'grade'): void {
  const grade = Number(gradeText);
  if (!Number.isInteger(grade)) throw new InputError(at.file, at.line, `${gradeName} "${gradeText}" is not an integer`);
  const m = qrels.get(qid) ?? new Map<string, number>();
  if (m.has(docId)) throw new InputError(at.file, at.line, `document ${docId} judged twice for query ${qid}`);
  m.set(docId, grade);
  qrels.set(qid, m);
}

/** The whitespace-separated fields of each non-blank line, exactly `n` of them (else an InputError with the line). */
function eachRecord(file: string, n: number, layout: string, fn: (f: string[], line: number) => void): void {
  readLines(file).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const f = line.split(/\s+/);
    if (f.length !== n) throw new InputError(file, i + 1, `expected ${n} fields "${layout}", got ${f.length}`);
    fn(f, i + 1);
  });
}

/** TREC qrels: `qid iter docno grade` per line (whitespace separated). */
export function readTrecQrels(file: string): Qrels {
  const qrels: Qrels = new Map();
  eachRecord(file, 4, 'qid iter docno grade', (f, line) => addQrel(qrels, { file, line }, f[0], f[2], f[3]));
  return qrels;
}

export function writeTrecQrels(file: string, qrels: Qrels): void {
  const lines: string[] = [];
  for (const [qid, m] of qrels) for (const [doc, g] of m) lines.push(`${qid} 0 ${doc} ${g}`);
  writeFileAtomic(file, lines.join('\n') + '\n');
}

/** TREC run: `qid Q0 docno rank score tag`. Duplicate documents within a query are rejected, as trec_eval does. */
export function readTrecRun(file: string): Run {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  eachRecord(file, 6, 'qid Q0 docno rank score tag', (f, line) => {
    const score = Number(f[4]);
    if (!Number.isFinite(score)) throw new InputError(file, line, `score "${f[4]}" is not a number`);
    if (!Number.isInteger(Number(f[3]))) throw new InputError(file, line, `rank "${f[3]}" is not an integer`);
    const s = seen.get(f[0]) ?? new Set<string>();
    if (s.has(f[2])) throw new InputError(file, line, `document ${f[2]} appears twice for query ${f[0]}`);
    s.add(f[2]);
    seen.set(f[0], s);
    const list = run.get(f[0]) ?? [];
    list.push({ docId: f[2], score });
    run.set(f[0], list);
  });
  return run;
}

/**
 * Writes a run in the given rank order with unique, strictly descending scores (the rank order is the truth:
 * score = n − rank + 1 scaled into the printed value), so trec_eval's score sort and docno tie-break cannot
 * reorder it.
 */
export function writeTrecRun(file: string, run: Map<string, string[]>, tag: string): void {
  const lines: string[] = [];
  for (const [qid, docs] of run) {
    docs.forEach((doc, i) => lines.push(`${qid} Q0 ${doc} ${i + 1} ${(docs.length - i).toFixed(0)} ${tag}`));
  }
  writeFileAtomic(file, lines.join('\n') + (lines.length ? '\n' : ''));
}

/** A run whose scores encode the given order (unique, descending), for computeMetrics. */
export function rankedRun(run: Map<string, string[]>): Run {
  const out: Run = new Map();
  for (const [qid, docs] of run) out.set(qid, docs.map((docId, i) => ({ docId, score: docs.length - i })));
  return out;
}
