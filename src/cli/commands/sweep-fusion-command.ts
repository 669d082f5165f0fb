import { sweepFusion, sweepVerdict } from '../../core/eval/fusion-sweep';
import { measureNames } from '../../core/eval/metrics';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { evaluateRetriever } from '../../core/eval/evaluate-retriever';
import { compareRuns } from '../../core/eval/significance';
import { LocalRetriever } from '../../core/retrieve/local-retriever';
import { checkExternalName, evaluateExternal, openExternalRetriever } from './external-retriever-args';
import { openIndex, UsageError, withModels, type CliIO, loadTarget } from '../cli-context';
import { checkLevel, EVALUATION_OPTIONS, evaluationFromArgs, RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs, LOCAL_INDEX_OPTIONS } from './retrieval-args';
import { parseCommand } from '../parse-command';

export const sweepFusionUsage = `retrieval-lens sweep-fusion <dir> [--level doc|chunk] [--k N] [--weights 0.1,0.2,...] [--measure ndcg_cut_10] [--split eval|train|all]
    [--model ID|PATH|use-lite] [--json FILE] [--index-dir DIR] [--retriever NAME ...] ${RETRIEVAL_USAGE}
    (--retriever NAME: also score a retriever from retrievalLens.retrievers against the configured hybrid, paired)`;

/** Keyword, dense, weighted fusion along the dense weight, RRF and the configured hybrid, on the same queries. */
export async function sweepFusionCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    weights: { type: 'string' },
    retriever: { type: 'string', multiple: true },
    measure: { type: 'string', default: 'ndcg_cut_10' },
    json: { type: 'string' },
    ...LOCAL_INDEX_OPTIONS,
    ...EVALUATION_OPTIONS,
    ...RETRIEVAL_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError(`sweep-fusion takes one folder\n${sweepFusionUsage}`);
  const { level, depth, split } = evaluationFromArgs(values);
  const weights = values.weights?.split(',').map((w) => {
    const n = Number(w);
    if (!(n > 0 && n < 1)) throw new UsageError(`--weights takes dense weights strictly between 0 and 1 (0 and 1 are keyword and dense alone), got "${w}"`);
    return n;
  });
  if (!measureNames().includes(values.measure as string)) throw new UsageError(`--measure must be one of ${measureNames().join(', ')}, got "${values.measure}"`);
  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  if (!target.queries.some((q) => q.judgments.length)) throw new UsageError(`${target.root}: no judged queries to evaluate`);
  checkLevel(target.queries, level, split, io);
  for (const name of values.retriever ?? []) checkExternalName(name, target);
  const retrieval = retrievalFromArgs(values, target);
  return withModels(target, values, io, async (models) => {
    const embedder = await models.embedder();
    const index = await openIndex(target, { retrieval, embedder, crossEncoder: null, indexDir: values['index-dir'] }, io);
    const sweep = await sweepFusion(index, target.queries, { level, depth, split, weights, measure: values.measure, onPoint: (l) => io.err(`sweep: ${l}`) });
    const m = sweep.measure;
    const best = sweep.bestSingle.result.metrics.all[m];
    io.out(`${m} at ${level} level over ${sweep.bestSingle.result.metrics.all.num_q} ${split} queries (${index.manifest.chunkerKey}, ${embedder.info.id})`);
    const points = [...sweep.curve, sweep.rrf, sweep.configured];
    const width = Math.max(...points.map((p) => p.label.length)) + 2;
    io.out(`${'point'.padEnd(width)} ${m.padStart(12)}  recall_100  Δ vs ${sweep.bestSingle.label}`);
    for (const p of points) {
      const v = p.result.metrics.all[m];
      const d = v - best;
      io.out(`${p.label.padEnd(width)} ${v.toFixed(4).padStart(12)}  ${p.result.metrics.all.recall_100.toFixed(4).padStart(10)}  ${p === sweep.bestSingle ? '—' : `${d >= 0 ? '+' : ''}${d.toFixed(4)}`}`);
    }
    io.out(sweepVerdict(sweep));
    // External retrievers beside the configured hybrid, both through the retriever contract so they are scored
    // alike (at chunk level by labeled spans, since an engine's chunks are not the index's).
    const external: Array<{ name: string; all: Record<string, number>; per_query: Record<string, Record<string, number>>; vsConfigured: ReturnType<typeof compareRuns>; failed: number }> = [];
    if (values.retriever?.length) {
      const local = await evaluateRetriever(new LocalRetriever(index, 'hybrid'), target.corpus.documents, target.queries, { level, depth, split });
      io.out(`external retrievers vs the configured hybrid (${m}${level === 'chunk' ? ', labeled spans' : ''}; configured hybrid ${local.metrics.all[m].toFixed(4)}):`);
      for (const name of values.retriever) {
        const opened = await openExternalRetriever(name, target, values.model, io);
        try {
          const r = await evaluateExternal(opened.retriever, target, { level, depth, split }, io);
          // Paired over the queries the external retriever answered.
          const paired = Object.fromEntries(Object.entries(local.metrics.perQuery).filter(([q]) => q in r.metrics.perQuery));
          const c = compareRuns(paired, r.metrics.perQuery, m);
          io.out(`${name.padEnd(width)} ${r.metrics.all[m].toFixed(4).padStart(12)}  ${r.metrics.all.recall_100.toFixed(4).padStart(10)}  ${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(4)} vs configured (p = ${c.pValue.toFixed(3)}, ${c.queries} queries${r.failures.length ? `, ${r.failures.length} failed` : ''})`);
          external.push({ name, all: r.metrics.all, per_query: r.metrics.perQuery, vsConfigured: c, failed: r.failures.length });
        } finally {
          await opened.dispose();
        }
      }
    }
    if (values.json) {
      const saved = points.map((p) => ({ label: p.label, retriever: p.retriever, denseWeight: p.denseWeight, fusion: p.fusion, all: p.result.metrics.all, per_query: p.result.metrics.perQuery }));
      writeFileAtomic(values.json, JSON.stringify({ measure: m, level, split, points: saved, bestSingle: sweep.bestSingle.label, configuredVsBestSingle: sweep.configuredVsBestSingle, verdict: sweepVerdict(sweep), external }, null, 1));
    }
    return 0;
  });
}
