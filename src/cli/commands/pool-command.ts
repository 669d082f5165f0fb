import { buildPool, describeHoles, judgingOrder, localRankings, retrieverRanking, type NamedRanking } from '../../core/eval/pool';
import type { EvalTarget } from '../../core/eval/eval-target';
import type { EvalQuery } from '../../core/eval/evalset-types';
import type { RetrievalSettings } from '../../core/settings/workspace-settings';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { openIndex, UsageError, withModels, type CliIO, type CliModels, loadTarget } from '../cli-context';
import { checkExternalName, interruptSignal, openExternalRetriever } from './external-retriever-args';
import { RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs, retrieverFromArg, LOCAL_INDEX_OPTIONS } from './retrieval-args';
import { parseCommand } from '../parse-command';
import { describeQueryValue, queryValues, QUEUE_ORDERS, valueOrder, type QueueOrder } from '../../core/judge/queue-order';
import { availableRetrievers, type RetrieverName } from '../../core/retrieve/types';

export const poolUsage = `retrieval-lens pool <workspace> [--k N] [--retrievers bm25,dense,hybrid] [--retriever NAME ...] [--split eval|train|all] [--order query|value] [--json FILE]
    [--model ID|PATH|use-lite] [--index-dir DIR] ${RETRIEVAL_USAGE}
    (--retriever NAME: also pool a retriever from retrievalLens.retrievers, e.g. the team's search engine)
    (--order: the order of the queue in --json. query (default): eval-set order, queries with no judgment first;
     value: label next — queries with the most highly ranked holes where the retrievers' top K disagree most first)`;

/** Pools the top K of each retriever into one judging queue (unjudged passages, each once) and prints Hole@K. */
export async function poolCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    k: { type: 'string', default: '10' },
    retrievers: { type: 'string', default: availableRetrievers({ dense: true, rerank: false }).join(',') },
    retriever: { type: 'string', multiple: true },
    split: { type: 'string', default: 'all' },
    json: { type: 'string' },
    order: { type: 'string', default: 'query' },
    ...LOCAL_INDEX_OPTIONS,
    ...RETRIEVAL_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError(`pool takes one workspace folder\n${poolUsage}`);
  const k = poolK(values);
  const order = poolOrder(values.order as string);
  const retrievers = poolRetrievers(values);
  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  for (const name of values.retriever ?? []) checkExternalName(name, target);
  const queries = poolQueries(target, values.split as string);
  const retrieval = retrievalFromArgs(values, target);
  return withModels(target, values, io, async (models) => {
    const rankings = await localPoolRankings(target, retrieval, models, values['index-dir'], io, { retrievers, queries, k });
    // External engines answer the same queries; their hits are placed in the workspace as evaluation places them.
    for (const name of values.retriever ?? []) {
      const opened = await openExternalRetriever(name, target, values.model, io);
      const { signal, release } = interruptSignal();
      try {
        const r = await retrieverRanking(opened.retriever, queries, target.corpus.documents, k, { documentId: opened.retriever.config.documentId, signal });
        for (const f of r.failures.slice(0, 10)) io.err(`error: ${f.error}`);
        if (r.failures.length) io.err(`${name}: ${r.failures.length} of ${queries.length} queries failed and add nothing to the pool`);
        if (r.unplaced) io.err(`${name}: ${r.unplaced} hits map to no workspace document, so they cannot be judged and are not pooled (see docs/RETRIEVERS.md, documentId)`);
        rankings.push(r.ranking);
      } finally {
        release();
        await opened.dispose();
      }
    }
    const pool = buildPool(queries, rankings, k);
    const queued = new Set(pool.items.map((i) => i.queryId)).size;
    io.out(`pool: ${pool.queries} queries, top ${k} of ${rankings.map((r) => r.retriever).join(', ')}: ${pool.items.length} passages to judge for ${queued} queries`);
    io.out(`Hole@${k}: ${describeHoles(pool.holes)}`);
    const items = order === 'value' ? valueOrder(pool) : pool.items;
    if (order === 'value') {
      const worth = queryValues(pool);
      const next = [...new Set(items.map((i) => i.queryId))].slice(0, 5);
      if (next.length) io.out(`label next: ${next.map((id) => `${id} (${describeQueryValue(worth.get(id))})`).join(', ')}`);
    }
    if (values.json) {
      writeFileAtomic(values.json, JSON.stringify({ k, queries: pool.queries, order, holes: pool.holes, items }, null, 1) + '\n');
      io.out(`wrote ${values.json}`);
    }
    return 0;
  });
}

/** --k (a positive whole number) and --split (eval, train or all), as pool and judge take them. */
export function poolK(values: { k?: string; split?: string }): number {
  const k = Number(values.k);
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a positive integer, got "${values.k}"`);
  if (!['eval', 'train', 'all'].includes(values.split as string)) throw new UsageError('--split must be eval, train or all');
  return k;
}

/** --order: query (the pool's order, the default) or value (label next: see judge/queue-order.ts, valueOrder). */
export function poolOrder(value: string | undefined): QueueOrder {
  if (!QUEUE_ORDERS.includes(value as QueueOrder)) throw new UsageError(`--order must be query or value, got "${value}"`);
  return value as QueueOrder;
}

/** --retrievers: the local retrievers to pool (rerank reorders one of them, so it is refused). */
export function poolRetrievers(values: { retrievers?: string }): RetrieverName[] {
  const retrievers = [...new Set((values.retrievers as string).split(',').map((s) => retrieverFromArg(s.trim())))] as RetrieverName[];
  if (retrievers.includes('rerank')) throw new UsageError('--retrievers: pool keyword, dense and hybrid (rerank reorders one of them)');
  return retrievers;
}

/** The queries of a split in judging order; none is a usage error. */
export function poolQueries(target: EvalTarget, split: string): EvalQuery[] {
  const queries = judgingOrder(target.queries.filter((q) => split === 'all' || q.split === split));
  if (!queries.length) throw new UsageError(`${target.root}: no queries in the ${split} split`);
  return queries;
}

/** The local retrievers' rankings of the queries over the workspace index (opened or built); a retriever that fails is named. */
export async function localPoolRankings(target: EvalTarget, retrieval: RetrievalSettings, models: CliModels, indexDir: string | undefined, io: CliIO, p: { retrievers: RetrieverName[]; queries: EvalQuery[]; k: number }): Promise<NamedRanking[]> {
  const embedder = p.retrievers.some((r) => r !== 'keyword') ? await models.embedder() : null;
  const index = await openIndex(target, { retrieval, embedder, crossEncoder: null, indexDir }, io);
  const { rankings, errors } = await localRankings(index, p.queries, p.retrievers, p.k);
  for (const [name, e] of Object.entries(errors)) io.err(`${name}: ${e}`);
  return rankings;
}
