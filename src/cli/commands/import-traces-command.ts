import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBeirFolder } from '../../core/corpus/load-beir';
import { classifyTraceFailures, DEFAULT_FAIL_SCORE, describeTraceFailures } from '../../core/diagnose/trace-failures';
import { EvalSetFile } from '../../core/eval/evalset-file';
import { measureNames } from '../../core/eval/metrics';
import type { DocumentIdRule } from '../../core/retrieve/retriever-config';
import { documentLookup } from '../../core/eval/hit-placement';
import { DEFAULT_TRAIN_SHARE, type SampleStrategy } from '../../core/eval/query-log';
import { describeTraceImport, importTraces, planTraceImport } from '../../core/eval/trace-import';
import { checkRunName, documentIdProblem, readRecordedRun, recordedRunFile, recordedRunNames } from '../../core/eval/trace-store';
import { parseFieldMap } from '../../core/eval/traces/generic-jsonl';
import { clean, TRACE_FORMATS, type TraceFormat } from '../../core/eval/traces/trace-model';
import { describeTraceDrift, DRIFT_PERIODS, traceDrift, type DriftPeriod } from '../../core/eval/trace-drift';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { loadTarget, UsageError, type CliIO } from '../cli-context';
import { parseCommand } from '../parse-command';
import { samplingFromArgs } from './import-queries-command';

export const importTracesUsage = `retrieval-lens import-traces <workspace> <file> --format ${TRACE_FORMATS.join('|')}
    [--map query=…,documents=…,id=…,path=…,text=…,score=…,answer=…,feedback=…,label=…,comment=…,timestamp=…,trace=…]
    [--name prod] [--drop-answers] [--document-id-from id|path] [--document-id-pattern RE --document-id-replace S]
    [--sample N] [--strategy top|random|proportional] [--seed N] [--train-share ${DEFAULT_TRAIN_SHARE}] [--dry-run] [--failures] [--fail-score ${DEFAULT_FAIL_SCORE}]`;

export const traceFailuresUsage = `retrieval-lens trace-failures <workspace> [--name prod] [--fail-score ${DEFAULT_FAIL_SCORE}] [--json FILE] [--settings FILE]`;

export const traceDriftUsage = `retrieval-lens trace-drift <workspace> [--name prod] [--by ${DRIFT_PERIODS.join('|')}] [--measure ndcg_cut_10] [--level doc|chunk] [--split all|eval|train] [--json FILE] [--settings FILE]`;

/**
 * Production traces → real queries in the eval set (source "trace", the same sampling and split as import-queries)
 * and the recorded run `trace:<name>` that `eval --retriever trace:<name>` scores. Nothing leaves the machine.
 */
export async function importTracesCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    format: { type: 'string' },
    map: { type: 'string' },
    name: { type: 'string', default: 'prod' },
    'drop-answers': { type: 'boolean', default: false },
    sample: { type: 'string' },
    strategy: { type: 'string', default: 'top' },
    seed: { type: 'string', default: '1' },
    'train-share': { type: 'string', default: String(DEFAULT_TRAIN_SHARE) },
    'dry-run': { type: 'boolean', default: false },
    failures: { type: 'boolean', default: false },
    'fail-score': { type: 'string', default: String(DEFAULT_FAIL_SCORE) },
    'document-id-from': { type: 'string' },
    'document-id-pattern': { type: 'string' },
    'document-id-replace': { type: 'string' },
  });
  if (positionals.length !== 2) throw new UsageError(`import-traces takes a workspace folder and a trace export file\n${importTracesUsage}`);
  const [workspace, file] = positionals.map((p) => path.resolve(p));
  checkWorkspace(workspace);
  if (values.format === undefined) throw new UsageError(`--format is required: ${TRACE_FORMATS.join(', ')}`);
  if (!TRACE_FORMATS.includes(values.format as TraceFormat)) throw new UsageError(`--format must be ${TRACE_FORMATS.join(', ')}, got "${values.format}"`);
  if (values.map !== undefined && values.format !== 'jsonl') throw new UsageError('--map applies to --format jsonl only');
  let map;
  try {
    map = parseFieldMap(values.map);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const name = runName(values.name as string);
  const { sample, seed, trainShare } = samplingFromArgs(values as Parameters<typeof samplingFromArgs>[0]);
  const failScore = failScoreArg(values['fail-score'] as string);
  const rule = clean({ from: values['document-id-from'], pattern: values['document-id-pattern'], replace: values['document-id-replace'] }) as DocumentIdRule;
  const ruleProblem = documentIdProblem(rule);
  if (ruleProblem) throw new UsageError(`--document-id-*: ${ruleProblem}`);
  const documentId = Object.keys(rule).length ? rule : undefined;

  const evalSet = EvalSetFile.forWorkspace(workspace);
  const options = { format: values.format as TraceFormat, map, sample, strategy: values.strategy as SampleStrategy, seed, trainShare, dropAnswers: values['drop-answers'], documentId };
  if (values['dry-run']) {
    const plan = await planTraceImport(file, evalSet.all(), options);
    for (const line of describeTraceImport(plan)) io.out(line);
    io.out('dry run: neither the eval set nor the recorded run was changed');
    return 0;
  }
  const result = await importTraces(evalSet, workspace, file, name, options);
  for (const line of describeTraceImport(result)) io.out(line);
  if (result.added.length) io.out(`wrote ${evalSet.file}`);
  io.out(`recorded ${result.recorded.length} traces as trace:${name} in ${path.relative(workspace, result.runFile)}${values['drop-answers'] ? ' (answers and feedback comments dropped)' : ''}; score it with: retrieval-lens eval ${positionals[0]} --retriever trace:${name}`);
  if (values.failures) await printFailures(workspace, name, failScore, undefined, {}, io);
  return 0;
}

/** Failed production traces split into unjudged / retrieval / generation / missing-document, with evidence. */
export async function traceFailuresCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    name: { type: 'string', default: 'prod' },
    'fail-score': { type: 'string', default: String(DEFAULT_FAIL_SCORE) },
    json: { type: 'string' },
    settings: { type: 'string' },
    'trust-workspace': { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError(`trace-failures takes a workspace folder\n${traceFailuresUsage}`);
  const workspace = path.resolve(positionals[0]);
  checkWorkspace(workspace);
  await printFailures(workspace, runName(values.name as string), failScoreArg(values['fail-score'] as string), values.json, values, io);
  return 0;
}

/** The recorded production run per week, day or import as a line of metrics, each change tested on the queries both periods answered. */
export async function traceDriftCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    name: { type: 'string', default: 'prod' },
    by: { type: 'string', default: 'week' },
    measure: { type: 'string', default: 'ndcg_cut_10' },
    level: { type: 'string', default: 'doc' },
    split: { type: 'string', default: 'all' },
    json: { type: 'string' },
    settings: { type: 'string' },
    'trust-workspace': { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError(`trace-drift takes a workspace folder\n${traceDriftUsage}`);
  const by = values.by as DriftPeriod;
  if (!DRIFT_PERIODS.includes(by)) throw new UsageError(`--by must be ${DRIFT_PERIODS.join(', ')}, got "${values.by}"`);
  if (values.level !== 'doc' && values.level !== 'chunk') throw new UsageError(`--level must be doc or chunk, got "${values.level}"`);
  if (!['all', 'eval', 'train'].includes(values.split as string)) throw new UsageError(`--split must be all, eval or train, got "${values.split}"`);
  const measures = measureNames();
  if (!measures.includes(values.measure as string)) throw new UsageError(`--measure must be one of ${measures.join(', ')}, got "${values.measure}"`);
  const workspace = path.resolve(positionals[0]);
  checkWorkspace(workspace);
  const name = runName(values.name as string);
  const run = readRecordedRun(existingRunFile(workspace, name));
  const target = await loadTarget(workspace, values, io);
  const report = await traceDrift(run, `trace:${name}`, target.corpus.documents, target.queries, {
    by,
    measure: values.measure as string,
    level: values.level as 'doc' | 'chunk',
    split: values.split as 'all' | 'eval' | 'train',
  });
  for (const line of describeTraceDrift(report, by === 'import' ? (f) => path.relative(process.cwd(), f) || f : undefined)) io.out(line);
  if (values.json) {
    writeFileAtomic(values.json, JSON.stringify(report, null, 1));
    io.err(`wrote ${values.json}`);
  }
  return 0;
}

function existingRunFile(workspace: string, name: string): string {
  const file = recordedRunFile(workspace, name);
  if (!fs.existsSync(file)) {
    const known = recordedRunNames(workspace);
    throw new UsageError(`no recorded run "${name}" in ${path.dirname(path.dirname(file))}${known.length ? ` (recorded: ${known.join(', ')})` : ': import traces first with import-traces'}`);
  }
  return file;
}

async function printFailures(workspace: string, name: string, failScore: number, json: string | undefined, targetArgs: { settings?: string; 'trust-workspace'?: boolean }, io: CliIO): Promise<void> {
  const run = readRecordedRun(existingRunFile(workspace, name));
  const target = await loadTarget(workspace, targetArgs, io);
  const report = classifyTraceFailures(run.traces, target.queries, documentLookup(target.corpus.documents), { failScore, documentId: run.header.documentId });
  io.out(`trace:${name} — production failures`);
  for (const line of describeTraceFailures(report)) io.out(line);
  if (json) {
    writeFileAtomic(json, JSON.stringify({ run: `trace:${name}`, ...report }, null, 1));
    io.err(`wrote ${json}`);
  }
}

function checkWorkspace(workspace: string): void {
  if (!fs.existsSync(workspace) || !fs.statSync(workspace).isDirectory()) throw new UsageError(`${workspace}: not a folder`);
  if (isBeirFolder(workspace)) throw new UsageError(`${workspace} is a BEIR folder: import traces into a workspace folder`);
}

function runName(name: string): string {
  try {
    checkRunName(name);
  } catch (e) {
    throw new UsageError(`--name: ${(e as Error).message}`);
  }
  return name;
}

function failScoreArg(v: string): number {
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n)) throw new UsageError(`--fail-score must be a number, got "${v}"`);
  return n;
}
