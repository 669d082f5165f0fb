import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CrossEncoder, Embedder } from '../core/embed/embedder';
import { DEFAULT_EMBEDDING_MODEL, formatDownload, resolveEmbeddingModel } from '../core/embed/model-download';
import { OpenAIEmbedder } from '../core/embed/openai-embedder';
import { checkProcessCount, defaultEmbeddingProcesses, EmbedderPool } from '../core/embed/embedder-pool';
import { WorkerCrossEncoder } from '../core/embed/worker-models';
import { environmentSecrets } from '../core/io/secret-source';
import { loadEvalTarget, type EvalTarget } from '../core/eval/eval-target';
import type { RunManifest } from '../core/eval/run-manifest';
import { ignoredSettingsLine, TRUST_WORKSPACE_ENV } from '../core/settings/workspace-trust';
import { indexFolderName } from '../core/index/index-folder';
import { WorkspaceIndex } from '../core/index/workspace-index';
import type { RetrievalSettings } from '../core/settings/workspace-settings';
import type { RetrieverName } from '../core/retrieve/types';
import { formatStageProgress, ProgressEta } from '../core/index/progress-eta';
import type { CliIO } from './cli-io';
import { progressLine } from './progress-line';

export type { CliIO } from './cli-io';

/** Bad arguments or input files: exit code 2 with the message. */
export class UsageError extends Error {}

/**
 * Index folder: `--index-dir` as given, else inside the workspace (.retrieval-lens/index, never indexed itself) or a
 * user cache for BEIR folders, one folder per combination named by indexFolderName (the editor's rule too).
 */
export function indexDir(target: EvalTarget, retrieval: Pick<RetrievalSettings, 'chunker' | 'keyword'>, model: string | undefined, explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const name = indexFolderName(retrieval.chunker, retrieval.keyword, model);
  if (target.kind === 'workspace') return path.join(target.root, '.retrieval-lens', 'index', name);
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const rootKey = crypto.createHash('sha1').update(target.root).digest('hex').slice(0, 10);
  return path.join(cache, 'retrieval-lens', rootKey, name);
}

/** The flags that decide which settings a command reads (part of RETRIEVAL_OPTIONS). */
export interface TargetArgs {
  settings?: string;
  'trust-workspace'?: boolean;
}

/** True when the user trusted the workspace for this run: --trust-workspace, or RETRIEVAL_LENS_TRUST_WORKSPACE=1. */
export function workspaceTrusted(values: TargetArgs, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[TRUST_WORKSPACE_ENV]?.trim().toLowerCase();
  return values['trust-workspace'] === true || v === '1' || v === 'true';
}

/**
 * The folder to evaluate with the settings this run may use. The workspace's own .vscode/settings.json is read as
 * the editor's Restricted Mode reads it (no model, endpoint, retriever, reranker or adapter it names is used, no
 * secret it names is read) unless the user trusted it; one line on stderr names what was left out. A file given
 * with --settings is the user's own and applies whole.
 */
export async function loadTarget(dir: string, values: TargetArgs, io: CliIO, options: { requireQueries?: boolean } = {}): Promise<EvalTarget> {
  const target = await loadEvalTarget(dir, { ...options, settingsFile: values.settings, trustWorkspace: workspaceTrusted(values) });
  const line = target.settingsTrust.file && ignoredSettingsLine(path.relative(process.cwd(), target.settingsTrust.file) || target.settingsTrust.file, target.settingsTrust.ignored);
  if (line) io.err(line);
  return target;
}

/** What a run manifest records of the settings a run used (RunManifest.settings). */
export function settingsRecord(target: EvalTarget): NonNullable<RunManifest['settings']> {
  const t = target.settingsTrust;
  const file = t.file && (path.relative(target.root, t.file).startsWith('..') ? t.file : path.relative(target.root, t.file));
  return { source: t.source, file, restrictedApplied: t.applied, ignored: t.ignored.map((k) => `retrievalLens.${k}`) };
}

/**
 * The embedding model: the flag, else the settings' embeddingModel (and embeddingDtype), else the editor's default
 * (BGE small, downloaded once into the CLI's model cache; when the hub cannot be reached, the built-in USE-lite, as
 * the editor falls back, with a line saying so). In `processes` model processes (--embed-processes, see
 * embedProcessesFromArgs). A name from retrievalLens.embeddingEndpoints is that OpenAI-compatible endpoint (its key
 * from the environment).
 */
export async function startEmbedder(model: string | undefined, target: EvalTarget, io: CliIO, processes = target.settings.embeddingProcesses ?? defaultEmbeddingProcesses()): Promise<Embedder> {
  const asked = model ?? target.settings.embeddingModel;
  const chosen = asked ?? DEFAULT_EMBEDDING_MODEL;
  const endpoint = target.settings.embeddingEndpoints?.[chosen];
  if (endpoint) {
    return OpenAIEmbedder.create(chosen, endpoint, environmentSecrets).catch((e: unknown) => {
      throw new UsageError(`cannot use the embedding endpoint: ${e instanceof Error ? e.message : e}`);
    });
  }
  const resolved = await downloadModel(modelSpec(chosen, model === undefined ? target.root : process.cwd()), target.settings.embeddingDtype, io, asked === undefined);
  return EmbedderPool.start({ ...resolved, dtype: target.settings.embeddingDtype }, { processes }).catch((e: unknown) => {
    throw new UsageError(`cannot load the embedding model: ${e instanceof Error ? e.message : e}`);
  });
}

/**
 * A model value as the loader takes it: a folder starting with "." is resolved against `base` (the current folder
 * for a flag the user typed, the workspace for a value from its settings); hub ids, absolute paths and use-lite stay.
 */
function modelSpec(value: string, base: string): string {
  return value.startsWith('.') ? path.resolve(base, value) : value;
}

/** Where the CLI keeps hub models: $XDG_CACHE_HOME/retrieval-lens/models (~/.cache when unset). */
export function cliModelCache(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'retrieval-lens', 'models');
}

/**
 * A hub id downloaded (verified, resumable, progress on stderr) into the CLI's model cache; other values as they
 * are. A model the user or the settings named is never replaced: a run must measure the model it was asked for.
 * Only the default (`mayFallBack`) falls back to the built-in USE-lite when the hub cannot be reached, as the
 * editor does, and says so.
 */
async function downloadModel(model: string, dtype: 'q8' | 'fp32' | undefined, io: CliIO, mayFallBack = false) {
  const line = progressLine(io);
  const r = await resolveEmbeddingModel({
    model,
    dtype,
    allowDownload: true,
    cacheDir: cliModelCache(),
    remoteHost: process.env.HF_ENDPOINT || undefined,
    onProgress: (p) => line.update(`downloading ${model}: ${formatDownload(p.loaded, p.total)} (${p.file})`),
  }).catch((e: unknown) => {
    line.done();
    throw new UsageError(`cannot download ${model}: ${e instanceof Error ? e.message : e}`);
  });
  line.done(r.download && !r.download.fromCache ? `downloaded ${model} into ${r.download.dir}` : undefined);
  if (r.fallback && mayFallBack) {
    io.err(`the default model ${model} could not be downloaded (${r.fallback.detail}): embedding with the built-in USE-lite instead, as the editor does offline; the figures are USE-lite's (--model use-lite says so explicitly, HF_ENDPOINT names a mirror)`);
    return r.spec;
  }
  if (r.fallback) throw new UsageError(`cannot download ${model}: ${r.fallback.detail} (use --model use-lite to run offline, or HF_ENDPOINT for a mirror)`);
  return r.spec;
}

/** The cross-encoder: the flag, else the workspace's rerankerModel setting; null when neither names one. */
async function startReranker(model: string | undefined, target: EvalTarget, io?: CliIO): Promise<CrossEncoder | null> {
  const chosen = model ?? target.settings.rerankerModel;
  if (!chosen) return null;
  const resolved = await downloadModel(modelSpec(chosen, model === undefined ? target.root : process.cwd()), target.settings.embeddingDtype, io ?? { out: () => undefined, err: () => undefined });
  return WorkerCrossEncoder.start({ ...resolved, dtype: target.settings.embeddingDtype }).catch((e: unknown) => {
    throw new UsageError(`cannot load the reranker: ${e instanceof Error ? e.message : e}`);
  });
}

/** The model flags every indexing command takes (see RETRIEVAL_OPTIONS for --embed-processes). */
export interface ModelArgs {
  model?: string;
  reranker?: string;
  'embed-processes'?: string;
}

/** --embed-processes N, else retrievalLens.embeddingProcesses, else the cores (capped). Checked as the setting is. */
export function embedProcessesFromArgs(values: Pick<ModelArgs, 'embed-processes'>, target: EvalTarget): number {
  const raw = values['embed-processes'];
  if (raw === undefined) return target.settings.embeddingProcesses ?? defaultEmbeddingProcesses();
  const n = Number(raw);
  const problem = checkProcessCount(n);
  if (raw.trim() === '' || problem) throw new UsageError(`--embed-processes ${problem ?? 'must be a number'}, got "${raw}"`);
  return n;
}

/**
 * The models one command runs with: each started here (download progress on stderr, --embed-processes applied to
 * every embedding model that indexes) and every one disposed by withModels when the command ends, however it ends.
 */
export class CliModels {
  private readonly opened: Array<{ dispose(): Promise<void> }> = [];

  constructor(
    private readonly target: EvalTarget,
    private readonly values: ModelArgs,
    private readonly io: CliIO,
    /** Model processes for an embedder that indexes (embedProcessesFromArgs). */
    readonly processes: number,
  ) {}

  /** An embedding model in `processes` model processes (default: --model, else the settings, see startEmbedder). */
  async embedder(model = this.values.model): Promise<Embedder> {
    return this.track(await startEmbedder(model, this.target, this.io, this.processes));
  }

  /** The cross-encoder (default: --reranker, else the setting), null when neither names one. */
  async reranker(model = this.values.reranker): Promise<CrossEncoder | null> {
    const x = await startReranker(model, this.target, this.io);
    return x && this.track(x);
  }

  /**
   * The index one local retriever searches, with only the models it needs: no embedder for keyword, a
   * cross-encoder only for rerank (which refuses to run without one: a UsageError saying how to name it).
   */
  async indexFor(retriever: RetrieverName, retrieval: RetrievalSettings, indexDir: string | undefined): Promise<WorkspaceIndex> {
    if (retriever === 'rerank' && !(this.values.reranker ?? this.target.settings.rerankerModel)) throw new UsageError('--retriever rerank needs --reranker ID|PATH (a cross-encoder) or the retrievalLens.rerankerModel setting');
    const embedder = retriever === 'keyword' ? null : await this.embedder();
    const crossEncoder = retriever === 'rerank' ? await this.reranker() : null;
    return openIndex(this.target, { retrieval, embedder, crossEncoder, indexDir }, this.io);
  }

  /** Every model started here, newest first. */
  async dispose(): Promise<void> {
    for (const m of this.opened.splice(0).reverse()) await m.dispose();
  }

  private track<T extends { dispose(): Promise<void> }>(m: T): T {
    this.opened.push(m);
    return m;
  }
}

/** Runs `fn` with the command's models (CliModels) and disposes them after it, also when it throws. */
export async function withModels<T>(target: EvalTarget, values: ModelArgs, io: CliIO, fn: (models: CliModels) => Promise<T>): Promise<T> {
  const models = new CliModels(target, values, io, embedProcessesFromArgs(values, target));
  try {
    return await fn(models);
  } finally {
    await models.dispose();
  }
}

/** Opens the saved index or builds it (keyword settings, fusion and rerank defaults from `retrieval`), with progress on stderr. */
export async function openIndex(
  target: EvalTarget,
  options: { retrieval: RetrievalSettings; embedder: Embedder | null; crossEncoder: CrossEncoder | null; indexDir?: string; quiet?: boolean; embeddingCacheGroup?: string },
  io: CliIO,
): Promise<WorkspaceIndex> {
  const { chunker, keyword, fusion, rerank } = options.retrieval;
  const storageDir = indexDir(target, options.retrieval, options.embedder?.info.id, options.indexDir);
  const line = progressLine(io);
  const eta = new ProgressEta();
  const { index, stats, rebuilt, migrated } = await WorkspaceIndex.openOrBuild(target.corpus, {
    chunker,
    keyword,
    search: { fusion, rerank },
    embedder: options.embedder,
    crossEncoder: options.crossEncoder,
    storageDir,
    embeddingCacheGroup: options.embeddingCacheGroup,
    onProgress: ({ phase, done, total }) => {
      const pct = total ? Math.floor((100 * done) / total / 10) * 10 : 100;
      line.update(`index: ${formatStageProgress(eta.update(phase, done, total))}`, `${phase} ${pct}`);
    },
  }).finally(() => line.done());
  if (rebuilt && rebuilt !== 'no saved index') io.err(`index rebuilt: ${rebuilt}`);
  if (migrated) io.err(`index migrated: ${migrated}`);
  if (options.quiet) return index;
  io.err(`index: ${index.docs.size} documents, ${index.chunkMap.size} chunks (${stats.added} added, ${stats.changed} changed, ${stats.removed} removed, ${stats.unchanged} unchanged; ${stats.chunksEmbedded} embedded, ${stats.embeddingCacheHits} from cache) in ${(stats.ms / 1000).toFixed(1)} s`);
  const e = options.embedder;
  if (e instanceof OpenAIEmbedder) io.err(`embedding endpoint ${e.name}: ${e.tokensUsed} tokens (as the service counts them) in ${e.requests} requests, ${e.retries} retried`);
  for (const s of target.corpus.skipped.filter((x) => x.reason !== 'unsupported-type')) io.err(`skipped ${s.path}: ${s.reason} (${s.detail})`);
  return index;
}
