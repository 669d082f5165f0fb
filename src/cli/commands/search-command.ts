import type { EvalTarget } from '../../core/eval/eval-target';
import { UsageError, withModels, type CliIO, loadTarget } from '../cli-context';
import { documentLookup, emptyPlacementCounts, placeHits } from '../../core/eval/hit-placement';
import { checkExternalName, describePlacement, isBuiltInRetriever, openExternalRetriever } from './external-retriever-args';
import { FILTER_OPTIONS, FILTER_USAGE, filterFromArgs, RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs, retrieverFromArg, LOCAL_INDEX_OPTIONS } from './retrieval-args';
import { parseCommand } from '../parse-command';

export const searchUsage = `retrieval-lens search <dir> "<query>" [--retriever bm25|dense|hybrid|rerank|NAME] [--k N] [--json] [--model ...] [--reranker ...]
    ${FILTER_USAGE}
    ${RETRIEVAL_USAGE}`;

export async function searchCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    retriever: { type: 'string', default: 'hybrid' },
    k: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    reranker: { type: 'string' },
    ...LOCAL_INDEX_OPTIONS,
    ...RETRIEVAL_OPTIONS,
    ...FILTER_OPTIONS,
  });
  if (positionals.length !== 2) throw new UsageError(`search takes a folder and a query\n${searchUsage}`);
  const external = isBuiltInRetriever(values.retriever) ? undefined : (values.retriever as string);
  const retriever = external ? 'keyword' : retrieverFromArg(values.retriever);
  const k = Number(values.k);
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a positive integer, got "${values.k}"`);
  const filter = filterFromArgs(values);
  const target = await loadTarget(positionals[0], values, io);
  if (external) {
    checkExternalName(external, target);
    return searchExternal(external, positionals[1], k, target, values, io);
  }
  const retrieval = retrievalFromArgs(values, target);
  return withModels(target, values, io, async (models) => {
    const index = await models.indexFor(retriever, retrieval, values['index-dir']);
    const r = await index.search({ query: positionals[1], k, retrievers: [retriever], filter });
    const err = r.errors[retriever];
    if (err) throw new UsageError(err);
    const hits = r.results[retriever] ?? [];
    if (values.json) {
      io.out(JSON.stringify(hits.map((h) => ({ ...h, ...(({ id: _id, ...rest }) => rest)(index.getChunk(h.chunkId) ?? { id: '' }) })), null, 1));
      return 0;
    }
    for (const h of hits) {
      const c = index.getChunk(h.chunkId);
      io.out(`${String(h.rank).padStart(3)}  ${h.score.toFixed(4)}  ${h.docId}${c ? `:${c.start}-${c.end}` : ''}${c?.headingPath.length ? `  [${c.headingPath.join(' > ')}]` : ''}`);
      if (c) io.out(`      ${c.text.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    return 0;
  });
}

/** search --retriever NAME: the engine's hits, each placed in a workspace document (or shown as not placed). */
async function searchExternal(name: string, query: string, k: number, target: EvalTarget, values: { json?: boolean; model?: string; path?: string[] }, io: CliIO): Promise<number> {
  const opened = await openExternalRetriever(name, target, values.model, io);
  try {
    const hits = await opened.retriever.search(query, k).catch((e: unknown) => {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    });
    const placed = placeHits(hits, documentLookup(target.corpus.documents), opened.retriever.config.documentId);
    if (values.json) {
      io.out(JSON.stringify(placed.map((p) => ({ ...p.hit, docId: p.docId, start: p.start, end: p.end, placement: p.placement, reason: p.reason })), null, 1));
      return 0;
    }
    for (const p of placed) {
      const where = p.docId === null ? `not placed (${p.reason})` : `${p.docId}${p.start !== undefined ? `:${p.start}-${p.end}` : ''}  [${p.placement}${p.reason ? `: ${p.reason}` : ''}]`;
      io.out(`${String(p.hit.rank).padStart(3)}  ${p.hit.score.toFixed(4)}  ${p.hit.id}  ${where}`);
      if (p.hit.text) io.out(`      ${p.hit.text.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    const counts = emptyPlacementCounts();
    for (const p of placed) counts[p.placement]++;
    io.err(`${name}: ${placed.length} hits; placed ${describePlacement(counts)}`);
    return 0;
  } finally {
    await opened.dispose();
  }
}
