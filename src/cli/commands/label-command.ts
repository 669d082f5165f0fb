import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../core/io/input-error';
import { EVALSET_PATH, EvalSetFile } from '../../core/eval/evalset-file';
import { judgmentKey } from '../../core/eval/evalset-merge';
import type { Grade, Judgment, Split } from '../../core/eval/evalset-types';
import { makeSpanTarget, reanchor } from '../../core/eval/span-anchor';
import { UsageError, type CliIO } from '../cli-context';
import { parseCommand } from '../parse-command';

export const labelUsage = 'retrieval-lens label <workspace> --query TEXT --file PATH --start N --end N --grade 0-3 [--split eval|train] [--remove]';

/**
 * Labels a span of a workspace file for a query, by the same code the editor's "Mark Relevant" uses (EvalSetFile:
 * locked, merged with concurrent writers, atomic and fsync'd). `--query` names an existing query by its text, else
 * a new one is added; `--remove` takes the judgment of that span out. Offsets are character (UTF-16) offsets into
 * the file's text, as the editor counts them. Exit 0 written, 1 a conflict with a concurrent writer (reported, the
 * file keeps the other writer's grade), 2 bad arguments or input.
 */
export async function labelCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, { query: { type: 'string' }, file: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' }, grade: { type: 'string' }, split: { type: 'string' }, remove: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new UsageError(`label takes one workspace folder\n  ${labelUsage}`);
  const root = path.resolve(positionals[0]);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${positionals[0]} is not a folder`);
  const queryText = values.query?.trim();
  if (!queryText) throw new UsageError(`--query TEXT is required\n  ${labelUsage}`);
  if (!values.file) throw new UsageError(`--file PATH is required\n  ${labelUsage}`);
  const int = (name: string, v: string | undefined): number => {
    if (v === undefined) throw new UsageError(`--${name} N is required\n  ${labelUsage}`);
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number >= 0, got "${v}"`);
    return Number(v);
  };
  const start = int('start', values.start);
  const end = int('end', values.end);
  if (end <= start) throw new UsageError(`--end (${end}) must be greater than --start (${start})`);
  let grade: Grade | undefined;
  if (!values.remove) {
    if (values.grade === undefined) throw new UsageError(`--grade 0-3 is required (or --remove)\n  ${labelUsage}`);
    if (!/^[0-3]$/.test(values.grade)) throw new UsageError(`--grade must be 0, 1, 2 or 3, got "${values.grade}"`);
    grade = Number(values.grade) as Grade;
  }
  if (values.split !== undefined && values.split !== 'eval' && values.split !== 'train') throw new UsageError(`--split must be eval or train, got "${values.split}"`);

  const abs = path.resolve(root, values.file);
  const docId = path.relative(root, abs).split(path.sep).join('/');
  if (docId.startsWith('../') || docId === '..' || path.isAbsolute(docId)) throw new UsageError(`--file ${values.file} is outside the workspace ${root}`);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new InputError(values.file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
  if (end > text.length) throw new UsageError(`--end ${end} is past the end of ${docId} (${text.length} characters)`);

  const evalFile = path.join(root, EVALSET_PATH);
  const es = EvalSetFile.load(evalFile);
  let q = es.all().find((x) => x.text.trim() === queryText);
  const created = !q;
  if (values.remove) {
    if (!q) throw new UsageError(`no query "${queryText}" in ${EVALSET_PATH}`);
    const hit = q.judgments.findIndex((j) => j.target.type === 'span' && j.target.docId === docId && ((j.target.start === start && j.target.end === end) || sameSpan(reanchor(j.target, text), start, end)));
    if (hit < 0) throw new UsageError(`query ${q.id} "${q.text}" has no judgment of ${docId} [${start}, ${end})`);
    es.removeJudgment(q.id, hit);
  } else {
    if (!q) {
      q = { id: es.nextId(), text: queryText, split: (values.split as Split | undefined) ?? 'eval', judgments: [] };
      es.upsert(q);
    } else if (values.split && values.split !== q.split) es.upsert({ ...q, split: values.split as Split });
    const judgment: Judgment = { grade: grade as Grade, target: makeSpanTarget(docId, text, start, end), createdAt: new Date().toISOString() };
    const before = es.get(q.id)?.judgments.find((j) => judgmentKey(j) === judgmentKey(judgment));
    es.addJudgment(q.id, judgment);
    if (before && before.grade !== grade) io.out(`grade of ${docId} [${start}, ${end}) changed from ${before.grade} to ${grade}`);
  }
  const r = es.save();
  const id = r.renamed.get(q.id) ?? q.id;
  for (const c of r.conflicts) io.err(`conflict: ${c.message}`);
  io.out(
    values.remove
      ? `removed ${docId} [${start}, ${end}) from ${id} "${queryText}"`
      : `labeled ${docId} [${start}, ${end}) grade ${grade} for ${id} "${queryText}"${created ? ' (new query)' : ''}${r.merged ? ' (merged with changes on disk)' : ''}`,
  );
  return r.conflicts.length ? 1 : 0;
}

function sameSpan(a: { status: string; start: number; end: number }, start: number, end: number): boolean {
  return a.status !== 'stale' && a.start === start && a.end === end;
}
