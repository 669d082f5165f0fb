import * as vscode from 'vscode';
import { externalReadinessLine } from '../../../core/diagnose/external-readiness';
import { buildReadinessReport, renderReadinessMarkdown, type ReadinessReport } from '../../../core/diagnose/readiness-report';
import { loadEvalTarget } from '../../../core/eval/eval-target';
import type { Embedder } from '../../../core/embed/embedder';
import { WorkspaceIndex } from '../../../core/index/workspace-index';
import type { RetrieverName } from '../../../core/retrieve/types';
import { readConfig } from '../../config';
import { diagnosisSettings } from '../../diagnosis/miss-diagnoses';
import { latestReadiness } from '../../eval-set/labels-needed-row';
import { evaluateConfiguredRetrievers } from '../../retrievers/configured-retrievers';
import type { Services } from '../../services';

/**
 * The readiness view's host work: the same report as the CLI's `diagnose` (src/core/diagnose/readiness-report.ts) on
 * the workspace's eval set, each variant (chunker, model) in an index of its own under the extension's storage, plus
 * a line per configured retriever the user allowed, with progress in a notification; and its Markdown.
 */
export async function buildWorkspaceReadiness(s: Services, root: string, index: WorkspaceIndex, embedder: Embedder): Promise<{ report: ReadinessReport; md: string }> {
  const cfg = readConfig();
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Retrieval Lens: fine-tune readiness', cancellable: false }, async (progress) => {
    const target = await loadEvalTarget(root, { trustWorkspace: vscode.workspace.isTrusted });
    // The question every view asks (found in the top K of the baseline leg), with the corpus globs the report loaded.
    const settings = diagnosisSettings({ topK: cfg.topK, include: target.settings.include, exclude: target.settings.exclude }, root, true);
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
            embeddingCacheGroup: root,
          })
        ).index;
      },
      { baseline: embedder, alternatives: [], crossEncoder: index.crossEncoder, chunker: index.manifest.chunker },
      { k: settings.k, baseline: settings.baseline, candidates: settings.candidates, onProgress: (m) => progress.report({ message: m }) },
    );
    // The report's diagnosis is the one the other views read: its base categories fill the shared cache, and its
    // what-if refinements are named beside them in the inspector, the Problems entries and the baseline.
    // On human labels: the other views read human labels only (with a validated judge the report's own misses also
    // count the judge's labels; its human-only figures are beside them).
    s.diagnoses.record(index, target.queries.filter((q) => q.split === 'eval'), settings, report.humanOnly?.misses ?? report.misses);
    progress.report({ message: 'scoring configured retrievers' });
    await addConfiguredRetrievers(s, report, index, target.queries, (message) => progress.report({ message }));
    // The Eval Set view shows how many labels are enough from the latest report.
    latestReadiness.record(root, report);
    return { report, md: `${renderReadinessMarkdown(report)}\n\n---\n\nMeasure what adapting the model would gain on your own labels: run [Retrieval Lens: Train Query Adapter (trial fine-tune)](command:retrievalLens.trainAdapter) (command palette), then switch it on with retrievalLens.queryAdapter.\n` };
  });
}

/** Configured retrievers the user allowed, scored beside the baseline as the CLI's `diagnose --retriever` does. */
async function addConfiguredRetrievers(s: Services, report: ReadinessReport, index: WorkspaceIndex, queries: Parameters<typeof evaluateConfiguredRetrievers>[2], progress: (m: string) => void): Promise<void> {
  const k = report.baseline.k;
  const configured = await evaluateConfiguredRetrievers(s.context, index, queries, k, s.log, { progress, root: s.indexService.root });
  for (const line of configured?.lines ?? []) {
    if (line.status !== 'scored' || !line.result) {
      (report.externalNotScored ??= []).push({ name: line.name, reason: `${line.status}${line.reason ? `: ${line.reason}` : ''}` });
      continue;
    }
    const scoring = { baseline: report.baseline.retriever as RetrieverName, level: report.levels.scored[0] ?? ('doc' as const), k };
    const retriever = line.open?.();
    if (!retriever) continue;
    try {
      (report.external ??= []).push(await externalReadinessLine({ name: line.name, destination: line.destination, result: line.result, retriever, documentId: line.documentId }, index, queries, { ...scoring, root: s.indexService.root }));
    } finally {
      await retriever.dispose?.();
    }
  }
}
