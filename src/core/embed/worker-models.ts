import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { approximateTokenCounter } from '../chunking/approximate-token-counter';
import type { CrossEncoder, EmbedOptions, Embedder, ModelInfo } from './embedder';
import type { ModelSpec } from './embedder-factory';
import type { FromWorker, ToWorker } from './worker-protocol';

/**
 * The worker script: dist/embed-worker.js beside the bundle, else the TypeScript source run through tsx (tests,
 * scripts). `RETRIEVAL_LENS_EMBED_WORKER` overrides.
 */
export function resolveEmbedWorkerScript(): string {
  const override = process.env.RETRIEVAL_LENS_EMBED_WORKER;
  if (override) return override;
  for (const name of ['embed-worker.js', 'embed-worker.ts']) {
    const file = path.join(__dirname, name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`embed worker not found beside ${__dirname} (build with npm run build)`);
}

/** A .ts worker (tests, scripts) is loaded through tsx's require hook. */
export function startWorker(file: string, workerData: unknown): Worker {
  if (!file.endsWith('.ts')) return new Worker(file, { workerData });
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData });
}

/** A request without its id (distributes over the union). */
type Request = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void; onProgress?: (d: number, t: number) => void };

/** Runs a model in a worker thread; requests carry ids, cancellation aborts between batches, buffers are transferred. */
class ModelWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly ready: Promise<ModelInfo>;

  constructor(spec: ModelSpec, role: 'embedder' | 'cross-encoder') {
    const { onDownload, ...serializable } = spec;
    this.worker = startWorker(resolveEmbedWorkerScript(), { spec: serializable, role });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve(m.info);
        else if (m.type === 'failed') reject(new Error(`${spec.model}: ${m.message}`));
        else if (m.type === 'download') onDownload?.(m.file, m.loaded, m.total);
        else if (m.type === 'progress') this.pending.get(m.id)?.onProgress?.(m.done, m.total);
        else {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (m.type === 'error') {
            const e = new Error(m.aborted ? 'cancelled' : `${spec.model}: ${m.message}`);
            if (m.aborted) e.name = 'AbortError';
            p.reject(e);
          } else p.resolve(m);
        }
      });
      this.worker.on('error', (e) => {
        const err = new Error(`${spec.model}: worker failed: ${e.message}`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  async request(message: Request, options: EmbedOptions = {}): Promise<FromWorker> {
    await this.ready;
    if (options.signal?.aborted) throw abortError();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress: options.onProgress });
      const onAbort = () => this.worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage({ ...message, id } as ToWorker);
    });
  }

  async dispose(): Promise<void> {
    this.worker.postMessage({ type: 'dispose' } satisfies ToWorker);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000);
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

/** An Embedder whose model runs in a worker thread. countTokens is the approximation unless a counter is given. */
export class WorkerEmbedder implements Embedder {
  private constructor(
    private readonly w: ModelWorker,
    readonly info: ModelInfo,
    private readonly counter: (text: string) => number,
  ) {}

  static async start(spec: ModelSpec, counter?: (text: string) => number): Promise<WorkerEmbedder> {
    const w = new ModelWorker(spec, 'embedder');
    try {
      return new WorkerEmbedder(w, await w.ready, counter ?? approximateTokenCounter.count);
    } catch (e) {
      await w.dispose();
      throw e;
    }
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (!texts.length) return [];
    const m = await this.w.request({ type: 'embed', texts, kind: options.kind }, options);
    if (m.type !== 'vectors') throw new Error(`unexpected reply ${m.type}`);
    return Array.from({ length: texts.length }, (_, i) => m.data.subarray(i * m.dims, (i + 1) * m.dims));
  }

  /** Exact counts under the model's tokenizer, computed in the worker. */
  async countTokensExact(texts: string[]): Promise<number[]> {
    const m = await this.w.request({ type: 'count', texts });
    if (m.type !== 'counts') throw new Error(`unexpected reply ${m.type}`);
    return m.counts;
  }

  countTokens(text: string): number {
    return this.counter(text);
  }

  dispose(): Promise<void> {
    return this.w.dispose();
  }
}

export class WorkerCrossEncoder implements CrossEncoder {
  private constructor(private readonly w: ModelWorker, readonly info: ModelInfo) {}

  static async start(spec: ModelSpec): Promise<WorkerCrossEncoder> {
    const w = new ModelWorker(spec, 'cross-encoder');
    try {
      return new WorkerCrossEncoder(w, await w.ready);
    } catch (e) {
      await w.dispose();
      throw e;
    }
  }

  async score(query: string, passages: string[], options: EmbedOptions = {}): Promise<number[]> {
    if (!passages.length) return [];
    const m = await this.w.request({ type: 'score', query, passages }, options);
    if (m.type !== 'scores') throw new Error(`unexpected reply ${m.type}`);
    return m.scores;
  }

  dispose(): Promise<void> {
    return this.w.dispose();
  }
}
