import { InputError } from '../corpus/input-error';
import { writeFileAtomic } from '../io/atomic-write';
import { readLines } from '../io/read-lines';
import type { Qrels, Run } from './evalset-types';

/** TREC qrels: `qid iter docno grade` per line (whitespace separated). */
export function readTrecQrels(file: string): Qrels {
  const qrels: Qrels = new Map();
  readLines(file).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const f = line.split(/\s+/);
    if (f.length !== 4) throw new InputError(file, i + 1, `expected 4 fields "qid iter docno grade", got ${f.length}`);
    const grade = Number(f[3]);
    if (!Number.isInteger(grade)) throw new InputError(file, i + 1, `grade "${f[3]}" is not an integer`);
    const m = qrels.get(f[0]) ?? new Map<string, number>();
    if (m.has(f[2])) throw new InputError(file, i + 1, `document ${f[2]} judged twice for query ${f[0]}`);
    m.set(f[2], grade);
    qrels.set(f[0], m);
  });
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
  readLines(file).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const f = line.split(/\s+/);
    if (f.length !== 6) throw new InputError(file, i + 1, `expected 6 fields "qid Q0 docno rank score tag", got ${f.length}`);
    const score = Number(f[4]);
    if (!Number.isFinite(score)) throw new InputError(file, i + 1, `score "${f[4]}" is not a number`);
    if (!Number.isInteger(Number(f[3]))) throw new InputError(file, i + 1, `rank "${f[3]}" is not an integer`);
    const s = seen.get(f[0]) ?? new Set<string>();
    if (s.has(f[2])) throw new InputError(file, i + 1, `document ${f[2]} appears twice for query ${f[0]}`);
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
