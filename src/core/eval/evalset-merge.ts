import type { EvalQuery, Judgment } from './evalset-types';

/**
 * Two writers changed the same judgment (same query, same span or document) in different ways since the version
 * both started from. The merge keeps the version on disk (`theirs`) and reports this; nothing is decided silently.
 */
export interface EvalSetConflict {
  queryId: string;
  queryText: string;
  /** A judgment's target, or undefined for a conflict on the query itself (its text, split, filter or deletion). */
  target?: Judgment['target'];
  /** What this writer wanted (undefined: removed). */
  ours?: Judgment | EvalQuery;
  /** What is on disk and kept (undefined: removed there). */
  theirs?: Judgment | EvalQuery;
  message: string;
}

export interface MergeResult {
  queries: EvalQuery[];
  conflicts: EvalSetConflict[];
  /** Queries this writer added under an id the other writer had taken meanwhile: old id -> id written. */
  renamed: Map<string, string>;
}

/** The identity of a judgment inside its query: its document and span (offsets and quote), or the whole document. */
export function judgmentKey(j: Judgment): string {
  const t = j.target;
  return t.type === 'span' ? `span\u0000${t.docId}\u0000${t.start}\u0000${t.end}\u0000${t.exact}` : `doc\u0000${t.docId}`;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function describe(t: Judgment['target']): string {
  return t.type === 'span' ? `${t.docId} [${t.start}, ${t.end})` : t.docId;
}

/**
 * Three-way merge of an eval set, judgment by judgment: `base` is what this writer read, `ours` what it wants to
 * write, `theirs` what is on disk now (another window or the CLI wrote it meanwhile). A change made on one side only
 * is taken; the same change on both sides is taken once; different changes to one judgment (two grades for one
 * span, or a removal against a change) are conflicts that keep the disk's version and are returned. Query fields
 * other than `id` and `judgments` (text, split, filter and any field added later) merge field by field the same way.
 */
export function mergeEvalSets(base: EvalQuery[], ours: EvalQuery[], theirs: EvalQuery[]): MergeResult {
  const B = new Map(base.map((q) => [q.id, q]));
  const O = new Map(ours.map((q) => [q.id, q]));
  const T = new Map(theirs.map((q) => [q.id, q]));
  const conflicts: EvalSetConflict[] = [];
  const renamed = new Map<string, string>();
  const out = new Map<string, EvalQuery>(theirs.map((q) => [q.id, q]));

  for (const [id, b] of B) {
    const o = O.get(id);
    const t = T.get(id);
    if (same(o, b)) continue; // untouched here: the disk's version stands
    if (!o) {
      // Removed here.
      if (!t) continue;
      if (same(t, b)) out.delete(id);
      else conflicts.push({ queryId: id, queryText: t.text, ours: undefined, theirs: t, message: `query ${id} "${t.text}" was deleted here but changed on disk; the changed query is kept` });
      continue;
    }
    if (!t) {
      // Changed here, removed on disk: keep ours, nothing labeled is lost.
      out.set(id, o);
      conflicts.push({ queryId: id, queryText: o.text, ours: o, theirs: undefined, message: `query ${id} "${o.text}" was deleted on disk but changed here; it is kept with the changes made here` });
      continue;
    }
    out.set(id, mergeQuery(b, o, t, conflicts));
  }

  // Queries added here.
  const takenIds = new Set([...out.keys(), ...O.keys()]);
  for (const [id, o] of O) {
    if (B.has(id)) continue;
    const sameText = [...out.values()].find((q) => !B.has(q.id) && q.text.trim() === o.text.trim());
    if (sameText) {
      // Both writers added this query: one query, judgments merged.
      out.set(sameText.id, mergeQuery({ ...sameText, judgments: [] }, { ...o, id: sameText.id }, sameText, conflicts));
      if (sameText.id !== id) renamed.set(id, sameText.id);
      continue;
    }
    if (!out.has(id)) {
      out.set(id, o);
      continue;
    }
    let n = 1;
    while (takenIds.has(`q${n}`)) n++;
    const fresh = `q${n}`;
    takenIds.add(fresh);
    out.set(fresh, { ...o, id: fresh });
    renamed.set(id, fresh);
  }
  return { queries: [...out.values()], conflicts, renamed };
}

function mergeQuery(b: EvalQuery, o: EvalQuery, t: EvalQuery, conflicts: EvalSetConflict[]): EvalQuery {
  const merged: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(b), ...Object.keys(o), ...Object.keys(t)]);
  const rb = b as unknown as Record<string, unknown>;
  const ro = o as unknown as Record<string, unknown>;
  const rt = t as unknown as Record<string, unknown>;
  for (const k of keys) {
    if (k === 'judgments') continue;
    let v: unknown;
    if (same(ro[k], rb[k])) v = rt[k];
    else if (same(rt[k], rb[k]) || same(ro[k], rt[k])) v = ro[k];
    else {
      v = rt[k];
      conflicts.push({ queryId: t.id, queryText: t.text, ours: o, theirs: t, message: `query ${t.id} "${t.text}": "${k}" was changed to ${JSON.stringify(ro[k])} here and to ${JSON.stringify(rt[k])} on disk; the disk's value is kept` });
    }
    if (v !== undefined) merged[k] = v;
  }
  merged.id = t.id;
  merged.judgments = mergeJudgments(t, b.judgments, o.judgments, t.judgments, conflicts);
  return merged as unknown as EvalQuery;
}

function mergeJudgments(q: EvalQuery, base: Judgment[], ours: Judgment[], theirs: Judgment[], conflicts: EvalSetConflict[]): Judgment[] {
  const B = new Map(base.map((j) => [judgmentKey(j), j]));
  const O = new Map(ours.map((j) => [judgmentKey(j), j]));
  const T = new Map(theirs.map((j) => [judgmentKey(j), j]));
  const result = new Map<string, Judgment>();
  const order = [...T.keys(), ...[...O.keys()].filter((k) => !T.has(k))];
  for (const k of order) {
    const b = B.get(k);
    const o = O.get(k);
    const t = T.get(k);
    let v: Judgment | undefined;
    if (same(o, b)) v = t;
    else if (same(t, b) || same(o, t)) v = o;
    else if (o && t && o.grade === t.grade) v = o; // same grade, other details (note, time): no judgment differs
    else {
      v = t ?? o; // never lose a judgment: a removal loses to a change
      const target = (t ?? o)?.target as Judgment['target'];
      const what = (j: Judgment | undefined) => (j ? `grade ${j.grade}` : 'removed');
      conflicts.push({
        queryId: q.id,
        queryText: q.text,
        target,
        ours: o,
        theirs: t,
        message: `query ${q.id} "${q.text}", ${describe(target)}: ${what(o)} here but ${what(t)} on disk (written by another window or the CLI); kept ${v === t ? 'the disk\'s' : 'this'} ${what(v)}`,
      });
    }
    if (v) result.set(k, v);
  }
  return [...result.values()];
}
