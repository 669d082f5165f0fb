import type { EvalTarget } from '../../core/eval/eval-target';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdapterMismatchError, loadAdapter } from '../../core/adapt/adapter-store';
import type { QueryAdapter } from '../../core/adapt/query-adapter';
import { evaluate } from '../../core/eval/evaluate';
import { writeTrecRun } from '../../core/eval/trec-io';
import { describeFusion } from '../../core/retrieve/fusion-label';
import { RUNS_DIR, saveRun } from '../../core/eval/run-manifest';
import { writeFileAtomic } from '../../core/io/atomic-write';
import type { RetrieverName } from '../../core/retrieve/types';
import { openIndex, UsageError, withModels, type CliIO, loadTarget, settingsRecord } from '../cli-context';
import { diagnoseEvaluation, missCounts, type Miss } from '../../core/diagnose/diagnose-misses';
import { checkExternalName, evaluateExternal, isBuiltInRetriever, openExternalRetriever } from './external-retriever-args';
import { checkLevel, EVALUATION_OPTIONS, evaluationFromArgs, RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs, retrieverFromArg, LOCAL_INDEX_OPTIONS } from './retrieval-args';
import { parseCommand } from '../parse-command';
import { targetAgreement } from '../../core/judge/agreement-summary';
import { syntheticFigureNote, syntheticInFigures } from '../../core/judge/synthetic-readiness';

export const evalUsage = `retrieval-lens eval <dir> --retriever bm25|dense|hybrid|rerank|NAME [--model ID|PATH|use-lite] [--reranker ID|PATH]
    [--level doc|chunk] [--k N] [--run-out FILE] [--metrics-out FILE] [--fail-under MEASURE=VALUE ...]
    [--split eval|train|all] [--adapter DIR] [--index-dir DIR] [--concurrency N] ${RETRIEVAL_USAGE}
    (NAME: a retriever configured in retrievalLens.retrievers)`;

export async function evalCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    retriever: { type: 'string', default: 'bm25' },
    reranker: { type: 'string' },
    'run-out': { type: 'string' },
    'metrics-out': { type: 'string' },
    'fail-under': { type: 'string', multiple: true },
    ...LOCAL_INDEX_OPTIONS,
    adapter: { type: 'string' },
    concurrency: { type: 'string' },
    ...EVALUATION_OPTIONS,
    ...RETRIEVAL_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError(`eval takes one folder\n${evalUsage}`);
  const external = isBuiltInRetriever(values.retriever) ? undefined : (values.retriever as string);
  const retriever: RetrieverName = external ? 'keyword' : retrieverFromArg(values.retriever);
  const { level, depth, split } = evaluationFromArgs(values);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) throw new UsageError(`--concurrency must be a positive integer, got "${values.concurrency}"`);
  const bounds = (values['fail-under'] ?? []).map((s) => {
    const m = /^([A-Za-z_0-9]+)=([0-9.]+)$/.exec(s);
    if (!m) throw new UsageError(`--fail-under takes MEASURE=VALUE (e.g. ndcg_cut_10=0.6), got "${s}"`);
    return { measure: m[1], bound: Number(m[2]) };
  });

  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  if (!target.queries.some((q) => q.judgments.length)) throw new UsageError(`${target.root}: no judged queries to evaluate`);
  checkLevel(target.queries, level, split, io);
  if (external) {
    checkExternalName(external, target);
    return evalExternal(external, target, { level, depth, split, concurrency, model: values.model, runOut: values['run-out'], metricsOut: values['metrics-out'], bounds, retrieval: retrievalFromArgs(values, target), indexDir: values['index-dir'] }, io);
  }
  const retrieval = retrievalFromArgs(values, target);
  return withModels(target, values, io, async (models) => {
    const index = await models.indexFor(retriever, retrieval, values['index-dir']);
    // A saved query adapter (trial-finetune) on the dense leg; one for another model or dimension is refused.
    let queryTransform: QueryAdapter | undefined;
    if (values.adapter) {
      if (retriever === 'keyword') throw new UsageError('--adapter maps query vectors: it needs --retriever dense, hybrid or rerank');
      try {
        queryTransform = loadAdapter(path.resolve(values.adapter), index.manifest.model).adapter;
      } catch (e) {
        if (e instanceof AdapterMismatchError) throw new UsageError(`${values.adapter}: ${e.message}`);
        throw e;
      }
    }
    let lastTenth = -1;
    const result = await evaluate(index, target.queries, {
      retriever,
      level,
      depth,
      split,
      workspaceRoot: target.root,
      queryTransform,
      onProgress: (done, total) => {
        const tenth = Math.floor((10 * done) / total);
        if (tenth !== lastTenth) io.err(`eval: ${done}/${total} queries`);
        lastTenth = tenth;
      },
    });
    for (const b of bounds) if (!(b.measure in result.metrics.all)) throw new UsageError(`--fail-under: unknown measure "${b.measure}" (known: ${Object.keys(result.metrics.all).join(', ')})`);
    if (values['run-out']) writeTrecRun(values['run-out'], result.ranking, `retrieval-lens-${retriever}`);
    const manifest = { ...result.manifest, settings: settingsRecord(target) };
    const judgeAgreement = targetAgreement(target);
    const syntheticQueries = syntheticInFigures(target.queries, split);
    if (syntheticQueries) io.err(syntheticFigureNote(syntheticQueries, result.metrics.all.num_q));
    const report = {
      all: result.metrics.all,
      per_query: result.metrics.perQuery,
      manifest,
      ...(judgeAgreement ? { judgeAgreement } : {}),
      ...(syntheticQueries ? { syntheticQueries } : {}),
    };
    if (values['metrics-out']) writeFileAtomic(values['metrics-out'], JSON.stringify(report, null, 1));
    // Workspaces keep every run so later ones can be compared; BEIR folders are often read-only and are left alone.
    if (target.kind === 'workspace') io.err(`run saved to ${saveRun(path.join(target.root, RUNS_DIR), { all: result.metrics.all, perQuery: result.metrics.perQuery, manifest })}`);
    const shown = ['P_10', 'recall_10', 'recall_100', 'recip_rank', 'map', 'ndcg_cut_10'];
    const fusion = result.manifest.fusion ? `; ${describeFusion(result.manifest.fusion)}` : '';
    io.out(`${retriever} (${level} level, ${result.metrics.all.num_q} queries, ${index.manifest.chunkerKey}${result.manifest.model ? `, ${result.manifest.model.id}` : ''}${fusion})`);
    for (const m of shown) io.out(`${m.padEnd(12)} ${result.metrics.all[m].toFixed(4)}`);
    return checkBounds(result.metrics.all, bounds, io);
  });
}

/** eval --retriever NAME: the configured engine answers every query; no local index is built. */
async function evalExternal(
  name: string,
  target: EvalTarget,
  o: {
    level: 'doc' | 'chunk';
    depth: number;
    split: 'eval' | 'train' | 'all';
    concurrency?: number;
    model?: string;
    runOut?: string;
    metricsOut?: string;
    bounds: Array<{ measure: string; bound: number }>;
    retrieval: ReturnType<typeof retrievalFromArgs>;
    indexDir?: string;
  },
  io: CliIO,
): Promise<number> {
  const opened = await openExternalRetriever(name, target, o.model, io);
  try {
    const result = await evaluateExternal(opened.retriever, target, { level: o.level, depth: o.depth, split: o.split, concurrency: o.concurrency }, io);
    for (const b of o.bounds) if (!(b.measure in result.metrics.all)) throw new UsageError(`--fail-under: unknown measure "${b.measure}" (known: ${Object.keys(result.metrics.all).join(', ')})`);
    if (o.runOut) writeTrecRun(o.runOut, result.ranking, `retrieval-lens-${name}`);
    const manifest = { ...result.manifest, endpoint: opened.retriever.endpoint, settings: settingsRecord(target) };
    // At chunk level, why labeled spans were missed in the top K: the one diagnosis, with the local index's legs as
    // the what-ifs and the categories the engine cannot give evidence for named with why.
    let misses: Miss[] | undefined;
    if (o.level === 'chunk') {
      const keywordIndex = await openIndex(target, { retrieval: o.retrieval, embedder: null, crossEncoder: null, indexDir: o.indexDir, quiet: true }, io);
      const k = target.settings.topK ?? 10;
      const root = target.kind === 'workspace' ? target.root : undefined;
      const d = await diagnoseEvaluation(
        { index: keywordIndex, root, corpusOptions: root ? { include: target.settings.include, exclude: target.settings.exclude } : undefined, queries: target.queries, variants: [] },
        { retriever: opened.retriever, documentId: opened.retriever.config.documentId, result },
        { k, candidates: Math.max(30, k), split: 'all' },
      );
      misses = d.misses;
      const counts = Object.entries(missCounts(misses)).filter(([, n]) => n);
      io.err(`${name}: ${misses.length} labeled spans missed in the top ${k}${counts.length ? `: ${counts.map(([c, n]) => `${c} ${n}`).join(', ')}` : ''}`);
      for (const u of d.uncomputed) io.err(`  not computable for ${name}: ${u.category}: ${u.why}`);
      for (const m of misses.slice(0, 5)) io.err(`  ${m.category}: ${m.queryId} ${m.docId}:${m.start}-${m.end}: ${m.evidence}`);
    }
    if (o.metricsOut) writeFileAtomic(o.metricsOut, JSON.stringify({ all: result.metrics.all, per_query: result.metrics.perQuery, manifest, failures: result.failures, misses, judgeAgreement: targetAgreement(target) }, null, 1));
    if (target.kind === 'workspace') io.err(`run saved to ${saveRun(path.join(target.root, RUNS_DIR), { all: result.metrics.all, perQuery: result.metrics.perQuery, manifest })}`);
    io.out(`${name} (${opened.retriever.kind} ${opened.retriever.endpoint}; ${o.level} level${o.level === 'chunk' ? ', labeled spans' : ''}, ${result.metrics.all.num_q} queries${result.failures.length ? `, ${result.failures.length} failed` : ''})`);
    for (const m of ['P_10', 'recall_10', 'recall_100', 'recip_rank', 'map', 'ndcg_cut_10']) io.out(`${m.padEnd(12)} ${result.metrics.all[m].toFixed(4)}`);
    return checkBounds(result.metrics.all, o.bounds, io);
  } finally {
    await opened.dispose();
  }
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${e instanceof Error ? e.message : e}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String(e));
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : 1;
    throw new UsageError(`${file}:${line}: invalid JSON: ${e instanceof Error ? e.message : e}`);
  }
}

/** Exit code 1 when a --fail-under bound is missed, each miss printed; 0 otherwise. */
function checkBounds(all: Record<string, number>, bounds: Array<{ measure: string; bound: number }>, io: CliIO): number {
  let failed = 0;
  for (const b of bounds) {
    const v = all[b.measure];
    if (v < b.bound) {
      io.err(`FAIL ${b.measure} = ${v.toFixed(4)} < ${b.bound}`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}
