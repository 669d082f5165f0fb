import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ADAPTERS_DIR, saveAdapter } from '../../core/adapt/adapter-store';
import { TrialInputError, trialFineTune, type TrialOutput } from '../../core/adapt/trial-finetune';
import { renderTrialMarkdown, trialHeadline } from '../../core/adapt/trial-report';
import { trainInWorker } from '../../core/adapt/training-runner';
import { levelSupport } from '../../core/eval/label-level';
import { RUNS_DIR, saveRun } from '../../core/eval/run-manifest';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { availableRetrievers } from '../../core/retrieve/types';
import { workspaceWriteRefusal } from '../../core/settings/workspace-trust';
import type { AdapterService } from '../adapt/adapter-service';
import type { EvalSetService } from '../eval-set/eval-set-service';
import { readConfig, updateSetting } from '../config';
import type { IndexService } from '../indexing/index-service';
import type { CommandFactory } from './registry';
import { plainMessageText } from '../safe-markdown';

export interface TrainAdapterDeps {
  root: string | undefined;
  indexService: IndexService;
  evalSet: EvalSetService;
  adapters: AdapterService;
  log: vscode.LogOutputChannel;
  /** The extension's own storage, for the trial's Markdown report. */
  storageDir: string;
}

export interface TrainAdapterOutcome {
  output: TrialOutput;
  adapterDir: string;
  reportFile: string;
}

/**
 * "Retrieval Lens: Train Query Adapter (trial fine-tune)": trains on the eval set's train split, measures on its
 * eval split (the same trial as the CLI's trial-finetune), with progress and Cancel; saves the adapter under
 * .retrieval-lens/adapters/ and both runs under .retrieval-lens/runs/, shows the trial's report and offers to
 * switch the adapter on. Training runs in a worker thread: Cancel stops it at once, and the other steps between them.
 */
export async function trainAdapterCommand(d: TrainAdapterDeps): Promise<TrainAdapterOutcome | undefined> {
  if (!d.root) {
    void vscode.window.showErrorMessage('Retrieval Lens: open a folder first: a query adapter is trained on its eval set.');
    return undefined;
  }
  const refusal = workspaceWriteRefusal(vscode.workspace.isTrusted, 'the query adapter');
  if (refusal) {
    void vscode.window.showWarningMessage(plainMessageText(`Retrieval Lens: ${refusal.replace(/ to save labels.*$/, ' to train and save a query adapter.')}`));
    return undefined;
  }
  const index = await d.indexService.ensureIndex();
  if (!index) return undefined;
  if (!index.embedder) {
    void vscode.window.showErrorMessage('Retrieval Lens: a query adapter maps dense query vectors: this index has no embedding model.');
    return undefined;
  }
  const queries = d.evalSet.queries();
  const level = levelSupport(queries, 'eval').levels[0] ?? 'chunk';
  let output: TrialOutput;
  try {
    output = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: trial fine-tune (query adapter)', cancellable: true },
      async (progress, token) => {
        const t = performance.now();
        // Training runs in a worker thread (the extension host's event loop stays free); Cancel ends it at once and
        // is checked between the trial's other steps (mining, scoring).
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let step = '';
        const out = await trialFineTune(index, queries, {
          level,
          fusion: readConfig().fusion,
          signal: controller.signal,
          trainer: trainInWorker({ signal: controller.signal, onEpoch: (e) => progress.report({ message: `${step} · epoch ${e.epoch}, held-out loss ${e.heldOutLoss.toFixed(3)}` }) }),
          onProgress: (m) => {
            step = m;
            d.log.info(`trial: ${m}`);
            progress.report({ message: m });
          },
        });
        controller.signal.throwIfAborted();
        d.log.info(`trial: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
        return out;
      },
    );
  } catch (e) {
    if (e instanceof Error && e.name === 'AbortError') {
      void vscode.window.showInformationMessage('Retrieval Lens: trial fine-tune cancelled; nothing was saved.');
      return undefined;
    }
    if (e instanceof TrialInputError) {
      void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${e.message}. Toggle queries to the train split in the Eval Set view.`));
      return undefined;
    }
    throw e;
  }
  const r = output.result;
  const adapterDir = saveAdapter(path.join(d.root, ADAPTERS_DIR), output.adapter, r);
  const runs = path.join(d.root, RUNS_DIR);
  for (const run of [output.baselineRun, output.adaptedRun]) saveRun(runs, { all: run.metrics.all, perQuery: run.metrics.perQuery, manifest: run.manifest });
  d.log.info(`trial: ${trialHeadline(r)}; adapter saved to ${adapterDir}`);
  d.adapters.reset();
  fs.mkdirSync(d.storageDir, { recursive: true });
  const reportFile = path.join(d.storageDir, `trial-${output.adapter.id}.md`);
  writeFileAtomic(reportFile, renderTrialMarkdown(r));
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(reportFile));
  const current = d.adapters.setting().value;
  const use = current === output.adapter.id ? undefined : 'Use This Adapter';
  void vscode.window.showInformationMessage(plainMessageText(`Retrieval Lens: ${trialHeadline(r)}. Saved as ${output.adapter.id}.`), ...(use ? [use] : []), 'Run Baseline').then(async (pick) => {
    if (pick === use && use) {
      await updateSetting('queryAdapter', output.adapter.id);
      void vscode.window.setStatusBarMessage(`Retrieval Lens: query adapter ${output.adapter.id} on`, 4000);
    } else if (pick === 'Run Baseline') {
      await vscode.commands.executeCommand('retrievalLens.runBaseline', availableRetrievers({ dense: true, rerank: false }));
    }
  });
  return { output, adapterDir, reportFile };
}

/** "Train Query Adapter (trial fine-tune)". */
export const trainAdapter: CommandFactory = (s) => () => trainAdapterCommand(s);
