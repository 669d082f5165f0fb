import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChunkerConfig } from '../core/chunking/chunk';
import { CHUNKER_DEFAULTS } from '../core/chunking/chunker-registry';
import { chunkerKey } from '../core/chunking/chunker-key';
import type { CrossEncoder, Embedder } from '../core/embed/embedder';
import { WorkerCrossEncoder, WorkerEmbedder } from '../core/embed/worker-models';
import type { EvalTarget } from '../core/eval/eval-target';
import { WorkspaceIndex } from '../core/index/workspace-index';

/** Where the CLI writes output and reads nothing else from: injectable for tests. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Bad arguments or input files: exit code 2 with the message. */
export class UsageError extends Error {}

export const CHUNKER_NAMES = Object.keys(CHUNKER_DEFAULTS) as Array<ChunkerConfig['kind']>;

export function chunkerFromArgs(name: string | undefined, target: EvalTarget, size?: string, overlap?: string): ChunkerConfig {
  const kind = (name ?? target.settings.chunker ?? (target.kind === 'beir' ? 'whole-document' : 'markdown')) as ChunkerConfig['kind'];
  if (!CHUNKER_NAMES.includes(kind)) throw new UsageError(`unknown chunker "${kind}" (one of ${CHUNKER_NAMES.join(', ')})`);
  const base = { ...CHUNKER_DEFAULTS[kind] } as Record<string, unknown>;
  const num = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a non-negative number, got "${v}"`);
    return n;
  };
  const s = num(size, '--chunk-size') ?? (name ? undefined : (target.settings.chunkSize ?? undefined));
  const o = num(overlap, '--chunk-overlap') ?? (name ? undefined : (target.settings.chunkOverlap ?? undefined));
  if (s !== undefined) {
    if ('size' in base) base.size = s;
    else if ('maxSize' in base) base.maxSize = s;
    else if ('sentences' in base) base.sentences = s;
  }
  if (o !== undefined && 'overlap' in base) base.overlap = o;
  return base as ChunkerConfig;
}

/** Index folder: inside the workspace (.retrieval-lens/index, never indexed itself) or a user cache for BEIR folders. */
export function indexDir(target: EvalTarget, chunker: ChunkerConfig, model: string | undefined, explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const key = crypto.createHash('sha1').update(`${chunkerKey(chunker)}\u0000${model ?? ''}`).digest('hex').slice(0, 10);
  if (target.kind === 'workspace') return path.join(target.root, '.retrieval-lens', 'index', key);
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const rootKey = crypto.createHash('sha1').update(target.root).digest('hex').slice(0, 10);
  return path.join(cache, 'retrieval-lens', rootKey, key);
}

export async function startEmbedder(model: string, io: CliIO): Promise<Embedder> {
  const spec = path.isAbsolute(model) || model === 'use-lite' ? model : model.startsWith('.') ? path.resolve(model) : model;
  return WorkerEmbedder.start({
    model: spec,
    allowRemote: true,
    cacheDir: path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'retrieval-lens', 'models'),
    onDownload: (file, loaded, total) => io.err(`downloading ${file}: ${total ? Math.round((100 * loaded) / total) : 0}%`),
  });
}

export async function startReranker(model: string): Promise<CrossEncoder> {
  return WorkerCrossEncoder.start({ model: path.isAbsolute(model) || !model.startsWith('.') ? model : path.resolve(model), allowRemote: true });
}

/** Opens the saved index or builds it, with progress on stderr. */
export async function openIndex(
  target: EvalTarget,
  options: { chunker: ChunkerConfig; embedder: Embedder | null; crossEncoder: CrossEncoder | null; indexDir?: string; quiet?: boolean },
  io: CliIO,
): Promise<WorkspaceIndex> {
  const storageDir = indexDir(target, options.chunker, options.embedder?.info.id, options.indexDir);
  let lastPhase = '';
  let lastPct = -1;
  const { index, stats, rebuilt } = await WorkspaceIndex.openOrBuild(target.corpus, {
    chunker: options.chunker,
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
  for (const s of target.corpus.skipped.filter((x) => x.reason !== 'unsupported-type')) io.err(`skipped ${s.path}: ${s.reason} (${s.detail})`);
  return index;
}
