import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunkerKey } from '../core/chunking/chunker-key';
import type { CrossEncoder, Embedder } from '../core/embed/embedder';
import { OpenAIEmbedder } from '../core/embed/openai-embedder';
import { defaultEmbeddingProcesses, EmbedderPool } from '../core/embed/embedder-pool';
import { WorkerCrossEncoder } from '../core/embed/worker-models';
import { environmentSecrets } from '../core/retrieve/secret-source';
import type { EvalTarget } from '../core/eval/eval-target';
import { WorkspaceIndex } from '../core/index/workspace-index';
import type { RetrievalSettings } from '../core/workspace-settings';

/** Where the CLI writes output and reads nothing else from: injectable for tests. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Bad arguments or input files: exit code 2 with the message. */
export class UsageError extends Error {}

/** Index folder: inside the workspace (.retrieval-lens/index, never indexed itself) or a user cache for BEIR folders. */
export function indexDir(target: EvalTarget, retrieval: Pick<RetrievalSettings, 'chunker' | 'keyword'>, model: string | undefined, explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const keyword = Object.keys(retrieval.keyword).length ? `\u0000${JSON.stringify(retrieval.keyword)}` : '';
  const key = crypto.createHash('sha1').update(`${chunkerKey(retrieval.chunker)}\u0000${model ?? ''}${keyword}`).digest('hex').slice(0, 10);
  if (target.kind === 'workspace') return path.join(target.root, '.retrieval-lens', 'index', key);
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const rootKey = crypto.createHash('sha1').update(target.root).digest('hex').slice(0, 10);
  return path.join(cache, 'retrieval-lens', rootKey, key);
}

/**
 * The embedding model: the flag, else the workspace's embeddingModel (and embeddingDtype) setting, else USE-lite,
 * in `processes` model processes (--embed-processes, see embedProcessesFromArgs). A name from
 * retrievalLens.embeddingEndpoints is that OpenAI-compatible endpoint (its key from the environment).
 */
export async function startEmbedder(model: string | undefined, target: EvalTarget, io: CliIO, processes = target.settings.embeddingProcesses ?? defaultEmbeddingProcesses()): Promise<Embedder> {
  const chosen = model ?? target.settings.embeddingModel ?? 'use-lite';
  const endpoint = target.settings.embeddingEndpoints?.[chosen];
  if (endpoint) {
    return OpenAIEmbedder.create(chosen, endpoint, environmentSecrets).catch((e: unknown) => {
      throw new UsageError(`cannot use the embedding endpoint: ${e instanceof Error ? e.message : e}`);
    });
  }
  const spec = path.isAbsolute(chosen) || chosen === 'use-lite' ? chosen : chosen.startsWith('.') ? path.resolve(chosen) : chosen;
  return EmbedderPool.start(
    {
      model: spec,
      dtype: target.settings.embeddingDtype,
      allowRemote: true,
      cacheDir: path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'retrieval-lens', 'models'),
      onDownload: (file, loaded, total) => io.err(`downloading ${file}: ${total ? Math.round((100 * loaded) / total) : 0}%`),
    },
    { processes },
  ).catch((e: unknown) => {
    throw new UsageError(`cannot load the embedding model: ${e instanceof Error ? e.message : e}`);
  });
}

/** The cross-encoder: the flag, else the workspace's rerankerModel setting; null when neither names one. */
export async function startReranker(model: string | undefined, target: EvalTarget): Promise<CrossEncoder | null> {
  const chosen = model ?? target.settings.rerankerModel;
  if (!chosen) return null;
  return WorkerCrossEncoder.start({ model: path.isAbsolute(chosen) || !chosen.startsWith('.') ? chosen : path.resolve(chosen), dtype: target.settings.embeddingDtype, allowRemote: true }).catch((e: unknown) => {
    throw new UsageError(`cannot load the reranker: ${e instanceof Error ? e.message : e}`);
  });
}

/** Opens the saved index or builds it (keyword settings, fusion and rerank defaults from `retrieval`), with progress on stderr. */
export async function openIndex(
  target: EvalTarget,
  options: { retrieval: RetrievalSettings; embedder: Embedder | null; crossEncoder: CrossEncoder | null; indexDir?: string; quiet?: boolean },
  io: CliIO,
): Promise<WorkspaceIndex> {
  const { chunker, keyword, fusion, rerank } = options.retrieval;
  const storageDir = indexDir(target, options.retrieval, options.embedder?.info.id, options.indexDir);
  let lastPhase = '';
  let lastPct = -1;
  const { index, stats, rebuilt } = await WorkspaceIndex.openOrBuild(target.corpus, {
    chunker,
    keyword,
    search: { fusion, rerank },
    embedder: options.embedder,
    crossEncoder: options.crossEncoder,
    storageDir,
    onProgress: ({ phase, done, total }) => {
      const pct = total ? Math.floor((100 * done) / total / 10) * 10 : 100;
      if (phase !== lastPhase || pct !== lastPct) io.err(`index: ${phase} ${done}/${total}`);
      lastPhase = phase;
      lastPct = pct;
    },
  });
  if (rebuilt && rebuilt !== 'no saved index') io.err(`index rebuilt: ${rebuilt}`);
  if (options.quiet) return index;
  io.err(`index: ${index.docs.size} documents, ${index.chunkMap.size} chunks (${stats.added} added, ${stats.changed} changed, ${stats.removed} removed, ${stats.unchanged} unchanged; ${stats.chunksEmbedded} embedded, ${stats.embeddingCacheHits} from cache) in ${(stats.ms / 1000).toFixed(1)} s`);
  const e = options.embedder;
  if (e instanceof OpenAIEmbedder) io.err(`embedding endpoint ${e.name}: ${e.tokensUsed} tokens (as the service counts them) in ${e.requests} requests, ${e.retries} retried`);
  for (const s of target.corpus.skipped.filter((x) => x.reason !== 'unsupported-type')) io.err(`skipped ${s.path}: ${s.reason} (${s.detail})`);
  return index;
}
