import { plural } from '../../protocol/words';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cachedHubModel, formatDownload, isHubId, resolveEmbeddingModel, type ResolvedModel } from '../../core/embed/model-download';
import { EmbedderPool } from '../../core/embed/embedder-pool';
import type { OpenAIEmbedder } from '../../core/embed/openai-embedder';
import { WorkerCrossEncoder } from '../../core/embed/worker-models';
import { BUILT_IN_MODEL } from '../../core/settings/workspace-trust';
import { updateSetting } from '../config';
import { indexEmbeddingEndpoint, openEndpointEmbedder } from './endpoint-embedder';
import { plainMessageText } from '../safe-markdown';

/**
 * The models the index runs with, each in a process of its own (src/core/embed/worker-models.ts), or an
 * OpenAI-compatible endpoint when the embedding model names one: started on first use, kept while their settings
 * stay, replaced when a setting changes or a process died, disposed with the extension. A hub model comes from the
 * verified cache or is downloaded first (a cancellable notification with bytes); a model that cannot be had falls
 * back to the built-in USE-lite with one notice per cause saying what was used and how to change it.
 */
/** `retrievalLens.embeddingModel` value for a keyword-only index (no embedding model). */
export const KEYWORD_ONLY_MODEL = 'none';

export class ModelProcesses implements vscode.Disposable {
  private embedder: EmbedderPool | OpenAIEmbedder | undefined;
  /** Model, dtype and process count the embedder was started with (switching any starts another; the index stays). */
  private embedderSpec = '';
  private crossEncoder: WorkerCrossEncoder | undefined;
  private readonly fallbackShown = new Set<string>();
  /** Set by dispose: a model that finishes starting afterwards is closed at once, never kept. */
  private disposed = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    /** Builds the index again (the fallback notice's Retry). */
    private readonly rebuild: () => void,
  ) {}

  private get cacheDir(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'models');
  }

  /**
   * The model to start for a setting's value: a hub model from the verified cache, else downloaded (a cancellable
   * notification with bytes) into the extension's global storage; USE-lite when downloads are off, the hub cannot be
   * reached within seconds or the download is cancelled (see fallbackNotice). HF_ENDPOINT names a hub mirror.
   */
  private async resolveModel(model: string, dtype: 'q8' | 'fp32', allowDownload: boolean): Promise<ResolvedModel> {
    const cacheDir = this.cacheDir;
    const remoteHost = process.env.HF_ENDPOINT || undefined;
    if (!isHubId(model) || cachedHubModel(cacheDir, model, 'main', dtype) || !allowDownload) return resolveEmbeddingModel({ model, dtype, allowDownload, cacheDir, remoteHost });
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Retrieval Lens: downloading ${model}`, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      progress.report({ message: 'connecting…' });
      let shown = 0;
      let last = 0;
      const t0 = performance.now();
      const r = await resolveEmbeddingModel({
        model,
        dtype,
        allowDownload,
        cacheDir,
        remoteHost,
        signal: controller.signal,
        onProgress: (e) => {
          const now = performance.now();
          if (now - last < 200 && e.loaded < e.total) return;
          last = now;
          const pct = e.total ? (100 * e.loaded) / e.total : 0;
          progress.report({ message: `${formatDownload(e.loaded, e.total)} · ${e.file}`, increment: pct - shown });
          shown = pct;
        },
      });
      if (r.download && !r.download.fromCache) this.log.info(`downloaded ${model} (${formatDownload(r.download.bytesFetched, r.download.bytesFetched)} fetched, commit ${r.download.manifest.commit ?? '?'}) into ${r.download.dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return r;
    });
  }

  /** Says once per session and cause what was used instead of the model asked for, and how to change it. */
  private fallbackNotice(f: NonNullable<ResolvedModel['fallback']>, role: 'embedding' | 'reranker'): void {
    const key = `${f.reason} ${f.asked}`;
    this.log.warn(`${role} model ${f.asked} not used: ${f.detail}`);
    if (this.fallbackShown.has(key)) return;
    this.fallbackShown.add(key);
    const used = role === 'embedding' ? `Retrieval Lens indexed with the built-in USE-lite, not ${f.asked}` : `Retrieval Lens reranks nothing: the reranker ${f.asked} is not downloaded`;
    const how =
      f.reason === 'download-off'
        ? 'Turn that setting on, or pick another model with "Retrieval Lens: Select Embedding Model…".'
        : f.reason === 'unreachable'
          ? 'Build the index again when the network is back (HF_ENDPOINT names a mirror), or pick another model with "Retrieval Lens: Select Embedding Model…".'
          : 'Build the index again to resume the download where it stopped.';
    const actions = f.reason === 'download-off' ? ['Allow Download', 'Select Model'] : ['Retry', 'Select Model'];
    void vscode.window.showWarningMessage(plainMessageText(`${used}: ${f.detail}. ${how}`), ...actions).then(async (pick) => {
      if (pick === 'Allow Download') await updateSetting('allowModelDownload', true, vscode.ConfigurationTarget.Global);
      if (pick === 'Select Model') return void vscode.commands.executeCommand('retrievalLens.selectEmbeddingModel');
      if (pick) this.rebuild();
    });
  }

  /** The embedder and cross-encoder for these settings, started (or kept) as the class comment says. */
  async models(model: string, reranker: string, dtype: 'q8' | 'fp32', allowDownload: boolean, progress: (m: string) => void, processes: number) {
    // Second line of defence behind readConfig: nothing but the bundled model runs in an untrusted workspace.
    if (!vscode.workspace.isTrusted && (model !== BUILT_IN_MODEL || reranker || allowDownload)) throw new Error(`refusing to load "${model || reranker}" in an untrusted workspace`);
    const endpoint = model === KEYWORD_ONLY_MODEL ? undefined : indexEmbeddingEndpoint(model);
    if (model === KEYWORD_ONLY_MODEL) {
      // Keyword only: no model process, no vectors (dense, hybrid and rerank say no embedding model is configured).
      await this.embedder?.dispose();
      this.embedder = undefined;
      this.embedderSpec = '';
    } else if (endpoint) {
      // An OpenAI-compatible service embeds the index (consent-gated on its own: it receives the documents).
      const spec = `endpoint ${model} ${JSON.stringify(endpoint)}`;
      if (this.embedderSpec !== spec || !this.embedder) {
        await this.embedder?.dispose();
        this.embedder = undefined;
        progress(`contacting embedding endpoint ${model}`);
        this.embedder = await openEndpointEmbedder(this.context, model, endpoint);
        this.embedderSpec = spec;
      }
    } else {
      progress(`preparing the embedding model ${model}`);
      const resolved = await this.resolveModel(model, dtype, allowDownload);
      if (resolved.fallback) this.fallbackNotice(resolved.fallback, 'embedding');
      const spec = `${resolved.spec.model} ${dtype} ${resolved.spec.localDir ?? ''} ${processes}`;
      if (!this.embedder || ('alive' in this.embedder && !this.embedder.alive) || this.embedderSpec !== spec) {
        await this.embedder?.dispose();
        this.embedder = undefined;
        this.embedderSpec = spec;
        progress(`loading embedding model ${resolved.spec.model}`);
        const pool = await EmbedderPool.start(
          { ...resolved.spec, dtype, onDownload: (file, loaded, total) => progress(`downloading ${file} ${total ? Math.round((100 * loaded) / total) : 0}%`) },
          { processes },
        );
        if (this.disposed) {
          await pool.dispose();
          throw new Error('the model processes were closed while the embedding model started');
        }
        this.embedder = pool;
        this.log.info(`embedding with ${plural(processes, 'model process', 'model processes')} of ${resolved.spec.model}, ${plural(pool.threads, 'onnxruntime thread')} each`);
      }
    }
    const rerank = reranker ? await this.resolveModel(reranker, dtype, allowDownload) : undefined;
    if (rerank?.fallback) this.fallbackNotice(rerank.fallback, 'reranker');
    const rerankSpec = rerank && !rerank.fallback ? rerank.spec : undefined;
    if ((this.crossEncoder?.info.id ?? '') !== (rerankSpec?.model ?? '') || (this.crossEncoder && !this.crossEncoder.alive)) {
      await this.crossEncoder?.dispose();
      this.crossEncoder = rerankSpec ? await WorkerCrossEncoder.start({ ...rerankSpec, dtype }) : undefined;
      if (this.disposed && this.crossEncoder) {
        await this.crossEncoder.dispose();
        this.crossEncoder = undefined;
        throw new Error('the model processes were closed while the reranker started');
      }
    }
    return { embedder: this.embedder ?? null, crossEncoder: this.crossEncoder ?? null };
  }

  /**
   * Closes the model processes (each is told to exit and killed after 2 s). Should the extension host exit first,
   * worker-models.ts kills them on its way out, and a host that is killed leaves them to their parent watchdog
   * (src/core/embed/parent-watchdog.ts), which ends them within a second: none is left behind.
   */
  dispose(): void {
    this.disposed = true;
    void this.embedder?.dispose();
    void this.crossEncoder?.dispose();
    this.embedder = undefined;
    this.crossEncoder = undefined;
  }
}
