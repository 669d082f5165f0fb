import * as fs from 'node:fs';
import * as path from 'node:path';
import { indexFolderName } from '../../core/index/index-folder';
import { externalReadinessLine, externalScoring } from '../../core/diagnose/external-readiness';
import { buildReadinessReport, renderReadinessMarkdown } from '../../core/diagnose/readiness-report';
import { destination } from '../../core/retrieve/retriever-consent';
import { checkExternalName, evaluateExternal, openExternalRetriever } from './external-retriever-args';
import type { Embedder } from '../../core/embed/embedder';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { openIndex, UsageError, withModels, type CliIO, loadTarget, settingsRecord } from '../cli-context';
import { RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs, retrieverFromArg, LOCAL_INDEX_OPTIONS } from './retrieval-args';
import { parseCommand } from '../parse-command';

export const diagnoseUsage = `retrieval-lens diagnose <workspace> [--k N] [--baseline dense|hybrid|bm25] [--model use-lite] [--models ID,PATH ...] [--reranker ID|PATH] [--json FILE] [--markdown FILE]
    [--retriever NAME ...] ${RETRIEVAL_USAGE}
    (--retriever NAME: a retriever from retrievalLens.retrievers, a line in the report beside the baseline)`;

/** Why each labeled span was missed, what each fix gains, and whether fine-tuning is justified. */
export async function diagnoseCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    k: { type: 'string', default: '5' },
    baseline: { type: 'string', default: 'dense' },
    models: { type: 'string' },
    reranker: { type: 'string' },
    json: { type: 'string' },
    markdown: { type: 'string' },
    ...LOCAL_INDEX_OPTIONS,
    retriever: { type: 'string', multiple: true },
    ...RETRIEVAL_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError(`diagnose takes one workspace folder\n${diagnoseUsage}`);
  const k = Number(values.k);
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a positive integer, got "${values.k}"`);
  const baseline = retrieverFromArg(values.baseline);
  if (baseline === 'rerank') throw new UsageError('--baseline cannot be rerank (reranking is one of the fixes tried)');
  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  for (const name of values.retriever ?? []) checkExternalName(name, target);
  const retrieval = retrievalFromArgs(values, target);
  return withModels(target, values, io, async (models) => {
    const base = await models.embedder();
    const alternatives: Embedder[] = [];
    const crossEncoder = await models.reranker();
    for (const m of (values.models ?? '').split(',').map((s) => s.trim()).filter(Boolean)) alternatives.push(await models.embedder(m));
    const report = await buildReadinessReport(
      target,
      // One embedding cache group for the baseline and every what-if index: a chunk text is embedded once.
      (c, e, x) => openIndex(target, { retrieval: { ...retrieval, chunker: c }, embedder: e, crossEncoder: x, indexDir: values['index-dir'] && path.join(values['index-dir'], indexFolderName(c, retrieval.keyword, e?.info.id)), quiet: true, embeddingCacheGroup: target.root }, io),
      { baseline: base, alternatives, crossEncoder, chunker: retrieval.chunker },
      { k, baseline, onProgress: (m) => io.err(`diagnose: ${m}`) },
    );
    // Configured external retrievers, scored beside the baseline by labeled spans, with their misses.
    for (const name of values.retriever ?? []) {
      const index = await openIndex(target, { retrieval, embedder: base, crossEncoder: null, indexDir: values['index-dir'] && path.join(values['index-dir'], indexFolderName(retrieval.chunker, retrieval.keyword, base.info.id)), quiet: true }, io);
      // At the level the labels support, like every other figure of the report (report.levels).
      const level = report.levels.scored[0] ?? ('doc' as const);
      const opened = await openExternalRetriever(name, target, values.model, io);
      try {
        const r = await evaluateExternal(opened.retriever, target, { ...externalScoring(level, k), depth: 100 }, io);
        (report.external ??= []).push(await externalReadinessLine({ name, destination: opened.retriever.kind === 'recorded' ? `recorded run ${opened.retriever.endpoint} (nothing contacted)` : destination(opened.retriever.config), result: r, retriever: opened.retriever, documentId: opened.retriever.config.documentId }, index, target.queries, { baseline, level, k, root: target.kind === 'workspace' ? target.root : undefined }));
      } finally {
        await opened.dispose();
      }
    }
    const md = renderReadinessMarkdown(report);
    if (values.json) writeFileAtomic(values.json, JSON.stringify({ ...report, settings: settingsRecord(target) }, null, 1));
    if (values.markdown) {
      fs.mkdirSync(path.dirname(path.resolve(values.markdown)), { recursive: true });
      writeFileAtomic(values.markdown, md);
    }
    if (!values.json && !values.markdown) io.out(md);
    else io.out(report.verdict.headline);
    return 0;
  });
}
