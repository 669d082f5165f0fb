import * as vscode from 'vscode';
import { externalReadinessLine } from '../../core/diagnose/external-readiness';
import { buildReadinessReport, renderReadinessMarkdown, type ReadinessReport } from '../../core/diagnose/readiness-report';
import { loadEvalTarget } from '../../core/eval/eval-target';
import { WorkspaceIndex } from '../../core/index/workspace-index';
import type { RetrieverName } from '../../core/retrieve/types';
import { readConfig } from '../config';
import { evaluateConfiguredRetrievers } from '../configured-retrievers';
import { showReadinessReport as showReadinessView } from '../webviews/readiness/readiness-panel';
import type { Services } from '../services';
import type { CommandFactory } from './registry';

/**
 * "Fine-Tune Readiness Report": the same report as the CLI's `diagnose` (src/core/diagnose/readiness-report.ts) on
 * the workspace's eval set, each variant (chunker, model) in an index of its own under the extension's storage, plus
 * a line per configured retriever the user allowed; then it offers the trial fine-tune.
 */
export const showReadinessReport: CommandFactory = (s) => async () => {
  const root = s.root;
  if (!root) return;
  const index = await s.indexService.ensureIndex();
  if (!index?.embedder) return;
  const embedder = index.embedder;
  const cfg = readConfig();
  const { report, md } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: fine-tune readiness', cancellable: false }, async (progress) => {
    const target = await loadEvalTarget(root, { trustWorkspace: vscode.workspace.isTrusted });
    const report = await buildReadinessReport(
      target,
      async (chunker, variantEmbedder, crossEncoder) => {
        if (variantEmbedder === index.embedder && JSON.stringify(chunker) === JSON.stringify(index.manifest.chunker)) return index;
        return (
          await WorkspaceIndex.openOrBuild(target.corpus, {
            chunker,
            keyword: index.options.keyword,
            search: index.searchDefaults,
            embedder: variantEmbedder,
            crossEncoder,
            storageDir: s.indexService.storageDir(chunker, index.options.keyword ?? {}, variantEmbedder?.info.id ?? 'none'),
          })
        ).index;
      },
      { baseline: embedder, alternatives: [], crossEncoder: index.crossEncoder, chunker: index.manifest.chunker },
      { k: Math.min(cfg.topK, 10), onProgress: (m) => progress.report({ message: m }) },
    );
    progress.report({ message: 'scoring configured retrievers' });
    await addConfiguredRetrievers(s, report, index, target.queries, (message) => progress.report({ message }));
    return { report, md: `${renderReadinessMarkdown(report)}\n\n---\n\nMeasure what adapting the model would gain on your own labels: run [Retrieval Lens: Train Query Adapter (trial fine-tune)](command:retrievalLens.trainAdapter) (command palette), then switch it on with retrievalLens.queryAdapter.\n` };
  });
  await showReadinessView(s, report, md);
};

/** Configured retrievers the user allowed, scored beside the baseline as the CLI's `diagnose --retriever` does. */
async function addConfiguredRetrievers(s: Services, report: ReadinessReport, index: WorkspaceIndex, queries: Parameters<typeof evaluateConfiguredRetrievers>[2], progress: (m: string) => void): Promise<void> {
  const k = report.baseline.k;
  const configured = await evaluateConfiguredRetrievers(s.context, index, queries, k, s.log, { progress });
  for (const line of configured?.lines ?? []) {
    if (line.status !== 'scored' || !line.result) {
      (report.externalNotScored ??= []).push({ name: line.name, reason: `${line.status}${line.reason ? `: ${line.reason}` : ''}` });
      continue;
    }
    const scoring = { baseline: report.baseline.retriever as RetrieverName, level: report.levels.scored[0] ?? ('doc' as const), k };
    (report.external ??= []).push(await externalReadinessLine({ name: line.name, destination: line.destination, result: line.result }, index, queries, scoring));
  }
}
