import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBeirFolder } from '../../core/corpus/load-beir';
import { loadFolderCorpus } from '../../core/corpus/load-folder';
import { EvalSetFile } from '../../core/eval/evalset-file';
import { applyJudgmentRows, describeJudgmentImport, readJudgmentRows, readQueryTexts, type JudgmentFormat } from '../../core/eval/judgment-exchange';
import { UsageError, type CliIO } from '../cli-context';
import { parseCommand } from '../parse-command';

export const importJudgmentsUsage = 'retrieval-lens import-judgments <workspace> <file> --format quepid|trec|beir [--queries FILE] [--dry-run]';

/**
 * Quepid CSV, TREC qrels or BEIR qrels → document judgments in the workspace eval set. Document ids map to
 * workspace paths (exact, without extension, file name); rows that map to nothing are listed by line, never dropped
 * silently. Exit 2 when no row could be imported.
 */
export async function importJudgmentsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, { format: { type: 'string' }, queries: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } });
  if (positionals.length !== 2) throw new UsageError(`import-judgments takes a workspace folder and a judgments file\n${importJudgmentsUsage}`);
  const format = values.format as JudgmentFormat;
  if (!['quepid', 'trec', 'beir'].includes(format)) throw new UsageError(`--format must be quepid, trec or beir, got ${values.format === undefined ? 'nothing' : `"${values.format}"`}`);
  if (format === 'quepid' && values.queries) throw new UsageError('--queries is for TREC and BEIR: Quepid rows carry the query text');
  const [workspace, file] = positionals.map((p) => path.resolve(p));
  if (!fs.existsSync(workspace) || !fs.statSync(workspace).isDirectory()) throw new UsageError(`${workspace}: not a folder`);
  if (isBeirFolder(workspace)) throw new UsageError(`${workspace} is a BEIR folder: import judgments into a workspace folder`);
  // Every readable file of the folder, including ones the index settings exclude: a judgment of an excluded file is
  // kept (diagnosis reports it as not indexed) rather than lost in the exchange.
  const corpus = await loadFolderCorpus(workspace);
  const rows = await readJudgmentRows(file, format);
  const queryTexts = values.queries ? await readQueryTexts(path.resolve(values.queries)) : undefined;
  const evalSet = EvalSetFile.forWorkspace(workspace);
  const summary = applyJudgmentRows(evalSet, rows, corpus.documents.map((d) => d.id), { file, format, queryTexts });
  for (const line of describeJudgmentImport(summary)) io.out(line);
  const changed = summary.added + summary.updated + summary.queriesCreated.length;
  if (values['dry-run']) io.out('dry run: the eval set was not changed');
  else if (changed) {
    evalSet.save();
    io.out(`wrote ${evalSet.file}`);
  }
  if (rows.length && !summary.added && !summary.updated && !summary.unchanged) {
    io.err(`error: no judgment of ${file} could be imported`);
    return 2;
  }
  return 0;
}
