import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_TRAIN_SHARE, describeQueryLogImport, type SampleStrategy } from '../../core/eval/query-log';
import type { CommandFactory } from './registry';
import { plainMessageText } from '../safe-markdown';

/**
 * "Import Query Log…": a log of what users searched (JSONL, CSV or one query per line; gzip too) sampled into the
 * eval set as unjudged queries (src/core/eval/query-log.ts), the same as the CLI's import-queries; the judging
 * queue follows. Refused where the eval set may not be written (the service says why).
 */
export const importQueryLog: CommandFactory = (s) => async (fileArg?: string, optionsArg?: { sample?: number; strategy?: SampleStrategy; seed?: number; trainShare?: number }) => {
  let file = fileArg;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import Queries', title: 'Query log: JSONL, CSV or one query per line (gzip too)', filters: { 'Query logs': ['jsonl', 'ndjson', 'csv', 'txt', 'log', 'gz'], 'All files': ['*'] } });
    if (!picked?.[0]) return undefined;
    file = picked[0].fsPath;
  }
  let options = optionsArg;
  if (!options) {
    const strategy = await vscode.window.showQuickPick(
      [
        { label: 'top', description: 'the most frequent queries', value: 'top' as const },
        { label: 'proportional', description: 'frequency-proportional random sample (representative of traffic)', value: 'proportional' as const },
        { label: 'random', description: 'uniform random sample of distinct queries (reaches the long tail)', value: 'random' as const },
      ],
      { title: 'Sample which queries?' },
    );
    if (!strategy) return undefined;
    const sample = await vscode.window.showInputBox({ title: 'How many queries?', prompt: 'Empty imports every distinct query', value: '50', validateInput: (v) => (!v.trim() || (Number.isInteger(Number(v)) && Number(v) > 0) ? undefined : 'A positive whole number, or empty for all') });
    if (sample === undefined) return undefined;
    const share = await vscode.window.showInputBox({ title: 'Share for the train split', prompt: 'The rest are eval queries; the split follows from each query, so re-imports agree', value: String(DEFAULT_TRAIN_SHARE), validateInput: (v) => (Number(v) >= 0 && Number(v) <= 1 && v.trim() !== '' ? undefined : 'A number from 0 to 1') });
    if (share === undefined) return undefined;
    options = { strategy: strategy.value, sample: sample.trim() ? Number(sample) : undefined, seed: 1, trainShare: Number(share) };
  }
  try {
    const summary = await s.evalSet.importQueryLog(file, options);
    const lines = describeQueryLogImport(summary, 200);
    for (const l of lines) s.log.info(l);
    if (s.judging.queue.built) await s.judging.queue.refresh();
    void vscode.window
      .showInformationMessage(plainMessageText(`Retrieval Lens: added ${summary.added.length} queries from ${path.basename(file)} — ${summary.linesRead} lines read, ${summary.unique} unique, ${summary.merged} merged, ${summary.skipped.length} skipped, ${summary.alreadyPresent.length} already there.`), 'Show Details', 'Build Judging Queue')
      .then((a) => {
        if (a === 'Show Details') s.log.show();
        if (a === 'Build Judging Queue') void vscode.commands.executeCommand('retrievalLens.buildJudgingQueue');
      });
    return summary;
  } catch (e) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${e instanceof Error ? e.message : e}`));
    return undefined;
  }
};
