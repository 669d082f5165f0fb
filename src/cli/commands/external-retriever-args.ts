import type { Embedder } from '../../core/embed/embedder';
import type { EvalTarget } from '../../core/eval/eval-target';
import { evaluateRetriever, type RetrieverEvaluationResult } from '../../core/eval/evaluate-retriever';
import type { PlacementCounts } from '../../core/eval/hit-placement';
import { configuredRetrievers, createExternalRetriever, type ExternalRetriever as ConfiguredRetriever } from '../../core/retrieve/external-retrievers';
import { isRecordedName, RecordedRetriever } from '../../core/eval/recorded-retriever';
import { environmentSecrets } from '../../core/io/secret-source';
import { startEmbedder, UsageError, type CliIO } from '../cli-context';
import { retrieverFromArg } from './retrieval-args';
import { RETRIEVERS } from '../../core/retrieve/types';

const BUILT_IN: readonly string[] = ['bm25', ...RETRIEVERS];

/** A configured engine, or a recorded production run (`trace:<name>`, replayed from the workspace). */
export type ExternalRetriever = ConfiguredRetriever | RecordedRetriever;

export function isBuiltInRetriever(v: string | undefined): boolean {
  return v === undefined || BUILT_IN.includes(v);
}

/** A --retriever that is not built in must be a name in retrievalLens.retrievers; otherwise the built-in message. */
export function checkExternalName(v: string, target: EvalTarget): void {
  if (target.settings.retrievers?.[v]) return;
  if (isRecordedName(v)) return void openRecorded(v, target);
  try {
    retrieverFromArg(v);
  } catch (e) {
    const known = configuredRetrievers(target.settings);
    throw new UsageError(`${(e as Error).message}${known.length ? ` or one of the configured retrievers ${known.join(', ')}` : ' (or a name configured in retrievalLens.retrievers)'}`);
  }
}

/**
 * The configured retriever `name`, with the query-vector model it names loaded when it is `local` (the same model
 * the local index uses: --model, else retrievalLens.embeddingModel). Secrets come from the environment.
 */
export async function openExternalRetriever(name: string, target: EvalTarget, model: string | undefined, io: CliIO): Promise<{ retriever: ExternalRetriever; embedder: Embedder | null; dispose: () => Promise<void> }> {
  if (isRecordedName(name) && !target.settings.retrievers?.[name]) return { retriever: openRecorded(name, target), embedder: null, dispose: async () => {} };
  const config = target.settings.retrievers?.[name];
  if (!config) throw new UsageError(`no retriever "${name}" in retrievalLens.retrievers`);
  // It embeds queries only, never an index: one model process serves.
  const embedder = config.embeddingModel === 'local' ? await startEmbedder(model, target, io, 1) : null;
  const retriever = createExternalRetriever(name, target.settings, {
    secrets: environmentSecrets,
    localQueryEmbedder: embedder ? async (q, signal) => (await embedder.embed([q], { kind: 'query', signal }))[0] : undefined,
  });
  return {
    retriever,
    embedder,
    dispose: async () => {
      await retriever.dispose?.();
      await embedder?.dispose();
    },
  };
}

/** `trace:<name>`: the run import-traces recorded in the workspace. */
function openRecorded(name: string, target: EvalTarget): RecordedRetriever {
  try {
    return RecordedRetriever.open(target.root, name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Ctrl-C cancels an external evaluation: no new queries are sent and the command exits with what it says. */
export function interruptSignal(): { signal: AbortSignal; release: () => void } {
  const c = new AbortController();
  const onInt = () => c.abort(new Error('interrupted'));
  process.once('SIGINT', onInt);
  return { signal: c.signal, release: () => process.off('SIGINT', onInt) };
}

export async function evaluateExternal(
  retriever: ExternalRetriever,
  target: EvalTarget,
  options: { level: 'doc' | 'chunk'; depth: number; split: 'eval' | 'train' | 'all'; concurrency?: number; cutoffs?: number[] },
  io: CliIO,
): Promise<RetrieverEvaluationResult> {
  const { signal, release } = interruptSignal();
  let lastTenth = -1;
  try {
    const result = await evaluateRetriever(retriever, target.corpus.documents, target.queries, {
      ...options,
      documentId: retriever.config.documentId,
      workspaceRoot: target.root,
      signal,
      onProgress: (done, total) => {
        const tenth = Math.floor((10 * done) / total);
        if (tenth !== lastTenth) io.err(`${retriever.name}: ${done}/${total} queries`);
        lastTenth = tenth;
      },
    });
    reportExternal(result, io);
    if (result.failures.length && !result.metrics.all.num_q) {
      throw new UsageError(`${retriever.name}: every query failed; the first: ${result.failures[0].error}`);
    }
    return result;
  } catch (e) {
    if (signal.aborted) throw new UsageError(`${retriever.name}: evaluation cancelled`);
    throw e;
  } finally {
    release();
  }
}

/** Failed queries (each message once, the first ten), hits that could not be placed, filters not applied. */
export function reportExternal(result: RetrieverEvaluationResult, io: CliIO): void {
  for (const f of result.failures.slice(0, 10)) io.err(`error: ${f.error}`);
  if (result.failures.length > 10) io.err(`... and ${result.failures.length - 10} more failed queries`);
  if (result.failures.length) io.err(`${result.failures.length} of ${result.failures.length + result.metrics.all.num_q} queries failed and are left out of the metrics`);
  io.err(`${result.retriever}: hits placed ${describePlacement(result.placement)}`);
  const unplaced = [...result.placed.values()].flat().filter((p) => p.placement === 'unplaced' || (p.placement === 'document' && result.manifest.level === 'chunk'));
  for (const p of unplaced.slice(0, 5)) io.err(`  not placed: hit "${p.hit.id}" (rank ${p.hit.rank}): ${p.reason}`);
  if (result.filtersNotApplied) io.err(`${result.filtersNotApplied} queries have a metadata filter ${result.retriever} does not apply`);
}

export function describePlacement(c: PlacementCounts): string {
  return Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none (no hits)';
}
