import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBeirFolder } from '../../core/corpus/load-beir';
import { EvalSetFile } from '../../core/eval/evalset-file';
import { DEFAULT_TRAIN_SHARE, describeQueryLogImport, planQueryLogImport, type QueryLogFormat, type SampleStrategy } from '../../core/eval/query-log';
import { importQueryLog } from '../../core/eval/query-log-import';
import { UsageError, type CliIO } from '../cli-context';
import { parseCommand } from '../parse-command';

export const importQueriesUsage = `retrieval-lens import-queries <workspace> <file> [--format jsonl|csv|text] [--field NAME] [--sample N]
    [--strategy top|random|proportional] [--seed N] [--train-share ${DEFAULT_TRAIN_SHARE}] [--dry-run]`;

/** A query log → unjudged queries in the workspace eval set (source "log", with the log frequency). */
export async function importQueriesCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    format: { type: 'string' },
    field: { type: 'string' },
    sample: { type: 'string' },
    strategy: { type: 'string', default: 'top' },
    seed: { type: 'string', default: '1' },
    'train-share': { type: 'string', default: String(DEFAULT_TRAIN_SHARE) },
    'dry-run': { type: 'boolean', default: false },
  });
  if (positionals.length !== 2) throw new UsageError(`import-queries takes a workspace folder and a log file\n${importQueriesUsage}`);
  const [workspace, file] = positionals.map((p) => path.resolve(p));
  if (!fs.existsSync(workspace) || !fs.statSync(workspace).isDirectory()) throw new UsageError(`${workspace}: not a folder`);
  if (isBeirFolder(workspace)) throw new UsageError(`${workspace} is a BEIR folder: import queries into a workspace folder`);
  if (values.format !== undefined && !['jsonl', 'csv', 'text'].includes(values.format)) throw new UsageError(`--format must be jsonl, csv or text, got "${values.format}"`);
  const { sample, seed, trainShare } = samplingFromArgs(values);

  const evalSet = EvalSetFile.forWorkspace(workspace);
  const options = { format: values.format as QueryLogFormat | undefined, field: values.field, sample, strategy: values.strategy as SampleStrategy, seed, trainShare };
  const summary = values['dry-run'] ? await planQueryLogImport(file, evalSet.all(), options) : await importQueryLog(evalSet, file, options);
  for (const line of describeQueryLogImport(summary)) io.out(line);
  if (values['dry-run']) io.out('dry run: the eval set was not changed');
  else if (summary.added.length) io.out(`wrote ${evalSet.file}`);
  return 0;
}

/** --strategy, --sample, --seed and --train-share, checked as import-queries and import-traces both take them. */
export function samplingFromArgs(values: { strategy?: string; sample?: string; seed?: string; 'train-share'?: string }): { sample: number | undefined; seed: number; trainShare: number } {
  if (!['top', 'random', 'proportional'].includes(values.strategy as string)) throw new UsageError(`--strategy must be top, random or proportional, got "${values.strategy}"`);
  const sample = values.sample === undefined ? undefined : Number(values.sample);
  if (sample !== undefined && (!Number.isInteger(sample) || sample < 1)) throw new UsageError(`--sample must be a positive integer, got "${values.sample}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  const trainShare = Number(values['train-share']);
  if (!(trainShare >= 0 && trainShare <= 1)) throw new UsageError(`--train-share must be a number from 0 to 1, got "${values['train-share']}"`);
  return { sample, seed, trainShare };
}
