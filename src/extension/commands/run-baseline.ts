import * as vscode from 'vscode';
import { availableRetrievers, type RetrieverName } from '../../core/retrieve/types';
import { showBaselineResults } from '../webviews/baseline/baseline-panel';
import { runBaseline as run } from '../webviews/baseline/baseline-host';
import { readConfig } from '../config';
import { evaluateConfiguredRetrievers } from '../retrievers/configured-retrievers';
import type { CommandFactory } from './registry';

/**
 * "Run Baseline": the chosen local retrievers (and, with an adapter on, their adapted runs) on the eval split, then
 * the configured retrievers the user allowed, with progress and Cancel; the results in the baseline view (one panel,
 * brought to the front on a re-run).
 */
export const runBaseline: CommandFactory = (s) => {
  let panel: vscode.WebviewPanel | undefined;
  return async (retrieversArg?: RetrieverName[]) => {
    const index = await s.indexService.ensureIndex();
    if (!index) return undefined;
    let retrievers = retrieversArg;
    if (!retrievers) {
      const picked = await vscode.window.showQuickPick(
        availableRetrievers({ dense: true, rerank: !!index.crossEncoder }).map((r) => ({ label: r, picked: r !== 'rerank' })),
        { canPickMany: true, title: 'Retrievers to evaluate on the eval split' },
      );
      if (!picked?.length) return undefined;
      retrievers = picked.map((p) => p.label as RetrieverName);
    }
    const cfg = readConfig();
    const chosen = retrievers;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: running the baseline', cancellable: true }, async (progress, token) => {
      const loaded = s.adapters.load(index);
      const r = await run(index, s.evalSet.queries(), chosen, cfg.topK, s.root, { include: cfg.include, exclude: cfg.exclude }, loaded.adapter, s.diagnoses);
      // Why there are no adapted runs, unless it is simply that none is set (the view says that itself).
      const note = loaded.status.setting || loaded.status.state === 'error' || /^(this workspace|no query adapter on)/.test(loaded.status.message ?? '') ? (loaded.status.message ?? '') : '';
      r.adapter = { id: loaded.adapter?.id, note, trained: loaded.status.trained, learningCurve: loaded.manifest?.learningCurve };
      // Retrievers from retrievalLens.retrievers: contacted only in a trusted workspace, once the user allowed each;
      // their queries run with bounded concurrency, with progress, and Cancel stops sending them.
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        r.configured = await evaluateConfiguredRetrievers(s.context, index, s.evalSet.queries(), cfg.topK, s.log, { signal: controller.signal, progress: (message) => progress.report({ message }), root: s.indexService.root });
      } catch (e) {
        if (!controller.signal.aborted) throw e;
        void vscode.window.showInformationMessage('Retrieval Lens: baseline cancelled while scoring the configured retrievers; the local results are shown.');
      }
      return r;
    });
    panel = showBaselineResults(s, result, panel);
    panel.onDidDispose(() => (panel = undefined));
    return result;
  };
};
