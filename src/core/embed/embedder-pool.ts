import { setMaxListeners } from 'node:events';
import * as os from 'node:os';
import { approximateTokenCounter } from '../chunking/approximate-token-counter';
import { inInputOrder, lengthFirstOrder } from './batch-order';
import type { EmbedOptions, Embedder, ModelInfo } from './embedder';
import type { ModelSpec } from './embedder-factory';
import { WorkerEmbedder } from './worker-models';

/**
 * The default process count is the machine's cores, capped here: each process holds its own copy of the model and
 * its activations (measured peak RSS per process on SciFact chunks: USE-lite ~370 MB; the MiniLM-shaped fixture
 * ~2 GB with batches of 32 chunks of up to 512 tokens), so past a handful the memory costs more than the extra
 * processes give on a laptop that also runs the editor.
 */
export const MAX_DEFAULT_EMBEDDING_PROCESSES = 4;
/** And at most one default process per this much RAM (a MiniLM-sized model peaks near 2 GB per process). */
export const RAM_PER_DEFAULT_PROCESS = 4 * 1024 ** 3;
/** The most the setting and the flag accept. */
export const MAX_EMBEDDING_PROCESSES = 16;
/** A batch that ended this many processes is not tried again: the build fails with the reason. */
const MAX_ATTEMPTS = 3;

export function machineCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** The cores, capped at MAX_DEFAULT_EMBEDDING_PROCESSES and at one per RAM_PER_DEFAULT_PROCESS of memory. */
export function defaultEmbeddingProcesses(cores = machineCores(), totalMemory = os.totalmem()): number {
  return Math.max(1, Math.min(cores, MAX_DEFAULT_EMBEDDING_PROCESSES, Math.floor(totalMemory / RAM_PER_DEFAULT_PROCESS)));
}

/**
 * onnxruntime runs one intra-op thread per core in each process (a MiniLM-shaped model in one process measured
 * 187-199 % CPU on 2 cores); N processes each get cores/N so together they do not oversubscribe the machine.
 * USE-lite (TF.js) is single-threaded (100 % CPU measured), so only more processes make it use more cores.
 */
export function threadsPerProcess(processes: number, cores = machineCores()): number {
  return Math.max(1, Math.floor(cores / processes));
}

/** Texts per model batch: the model's own batch size (USE-lite 16, transformers.js 32 unless the spec says). */
export function modelBatchSize(spec: Pick<ModelSpec, 'model' | 'batchSize'>): number {
  return spec.batchSize ?? (spec.model === 'use-lite' ? 16 : 32);
}

/** Why `n` is not a valid process count, or undefined when it is. */
export function checkProcessCount(n: unknown): string | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_EMBEDDING_PROCESSES ? undefined : `must be a whole number from 1 to ${MAX_EMBEDDING_PROCESSES}`;
}

export interface EmbedderPoolOptions {
  /** Model processes (default: defaultEmbeddingProcesses()). */
  processes?: number;
  /** Requests sent to one process at a time: one running and the next already there (default 2). */
  perProcess?: number;
  /** Replacement processes started after crashes over the pool's life (default: processes + 2). */
  maxRestarts?: number;
  /** Token counter for countTokens (default: the approximation, as WorkerEmbedder). */
  counter?: (text: string) => number;
}

interface Proc {
  embedder: WorkerEmbedder;
  inFlight: number;
}

interface Slot {
  proc?: Proc;
  starting?: Promise<void>;
  /** No process here any more: it failed to start, or crashed with the restart budget spent. */
  dead: boolean;
}

interface Job {
  texts: string[];
  kind?: 'query' | 'passage';
  signal: AbortSignal;
  attempts: number;
  settled: boolean;
  resolve(v: Float32Array[]): void;
  reject(e: Error): void;
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

/**
 * One Embedder over N model processes (WorkerEmbedder each). A call's texts are cut into model batches at fixed
 * positions (the model's batch size, whatever N; for a padded model after ordering them longest first, as one
 * model process does), the batches go to whichever process has room, and the vectors come back in input order:
 * each model batch holds the same texts for any N, so the vectors are the same bits.
 *
 * - Bounded: a process holds at most `perProcess` requests; the rest wait here as slices of the caller's texts.
 * - Cancellation: the call rejects as soon as its signal aborts; the processes are told to drop the batches.
 * - Crashes: a process that ends under a request is replaced (up to `maxRestarts`) and its batch is sent again, to
 *   whichever process is free first; a batch has one result or the call fails, so nothing is lost or doubled. A
 *   batch that ends MAX_ATTEMPTS processes, or a pool with no process left, fails the call with the reason.
 * - The first process starts before `start` resolves (a hub model is downloaded once, by it); the others start
 *   from the cache behind it and take work as they become ready.
 */
export class EmbedderPool implements Embedder {
  readonly info: ModelInfo;
  /** Problems that left the pool smaller than asked (a process that failed to start), for the log. */
  readonly warnings: string[] = [];
  private readonly slots: Slot[];
  private readonly waiting: Job[] = [];
  private readonly perProcess: number;
  private readonly maxRestarts: number;
  private readonly counter: (text: string) => number;
  private restarts = 0;
  private resent = 0;
  private lastCrash = '';
  private disposed = false;

  private constructor(
    private readonly spec: ModelSpec,
    first: WorkerEmbedder,
    readonly size: number,
    options: EmbedderPoolOptions,
  ) {
    this.info = first.info;
    this.perProcess = options.perProcess ?? 2;
    this.maxRestarts = options.maxRestarts ?? size + 2;
    this.counter = options.counter ?? approximateTokenCounter.count;
    this.slots = Array.from({ length: size }, () => ({ dead: false }));
    this.slots[0].proc = { embedder: first, inFlight: 0 };
    for (const slot of this.slots.slice(1)) this.startProcess(slot);
  }

  /** Starts the pool; resolves once the first process has loaded the model (its failure is the pool's). */
  static async start(spec: ModelSpec, options: EmbedderPoolOptions = {}): Promise<EmbedderPool> {
    const size = options.processes ?? defaultEmbeddingProcesses();
    const problem = checkProcessCount(size);
    if (problem) throw new Error(`embedding processes ${problem}, got ${size}`);
    // USE-lite (TF.js) runs one thread whatever it is told; onnxruntime's threads are shared out.
    const full: ModelSpec = { ...spec, batchSize: modelBatchSize(spec), threads: spec.model === 'use-lite' ? 1 : (spec.threads ?? threadsPerProcess(size)) };
    // A first process that fails to start is tried once more before the build fails: USE-lite's TF.js once
    // failed to start under heavy load ("Backend 'wasm' has not yet been initialized") and started on the next try.
    // A model that cannot load fails twice and its error is thrown.
    const first = await WorkerEmbedder.start(full, options.counter).catch(() => WorkerEmbedder.start(full, options.counter));
    // The others load what the first has downloaded; they need not report the download again.
    const { onDownload: _onDownload, ...rest } = full;
    return new EmbedderPool(rest, first, size, options);
  }

  /** Model batches are cut at fixed positions of this size. */
  get batchSize(): number {
    return modelBatchSize(this.spec);
  }

  /** A batch is padded to its longest text (transformers.js); USE-lite reads each text as it is. */
  private get padded(): boolean {
    return this.spec.model !== 'use-lite';
  }

  /** Threads each process computes with (onnxruntime intra-op threads; 1 for USE-lite). */
  get threads(): number {
    return this.spec.threads ?? 1;
  }

  /** Processes serving now. */
  get processes(): number {
    return this.slots.filter((s) => s.proc?.embedder.alive).length;
  }

  /** Process ids of the serving processes (tests end one to check what survives it). */
  get pids(): number[] {
    return this.slots.flatMap((s) => (s.proc?.embedder.alive && s.proc.embedder.pid !== undefined ? [s.proc.embedder.pid] : []));
  }

  /** Processes replaced after a crash so far. */
  get restarted(): number {
    return this.restarts;
  }

  /** Batches sent again because the process running them ended. */
  get retried(): number {
    return this.resent;
  }

  /** False once no process is left and none can be started: start a new pool then. */
  get alive(): boolean {
    return !this.disposed && this.slots.some((s) => !s.dead);
  }

  /** Resolves when every process asked for has started (or failed to). */
  async started(): Promise<void> {
    while (this.slots.some((s) => s.starting)) await Promise.all(this.slots.map((s) => s.starting));
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (!texts.length) return [];
    if (options.signal?.aborted) throw abortError();
    // One signal for the call's batches: the caller's abort, or the first failure, stops the rest. Each batch in a
    // process listens to it (to send that process a cancel), so it may have more listeners than the warning's 10.
    const call = new AbortController();
    setMaxListeners(0, call.signal);
    const jobs: Job[] = [];
    const onAbort = () => {
      call.abort();
      for (const job of jobs) job.reject(abortError());
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const size = this.batchSize;
    // A padded model embeds the call longest first, as one of its processes would (see lengthFirstOrder).
    const order = this.padded && texts.length > size ? lengthFirstOrder(texts) : undefined;
    const ordered = order ? order.map((i) => texts[i]) : texts;
    let done = 0;
    const parts: Array<Promise<Float32Array[]>> = [];
    for (let i = 0; i < ordered.length; i += size) {
      parts.push(
        new Promise<Float32Array[]>((resolve, reject) => jobs.push(this.job(ordered.slice(i, i + size), options.kind, call.signal, resolve, reject))).then((v) => {
          done += v.length;
          options.onProgress?.(done, texts.length);
          return v;
        }),
      );
    }
    // A query (the inspector's search) goes before the batches of a build in progress.
    if (options.kind === 'query') this.waiting.unshift(...jobs);
    else this.waiting.push(...jobs);
    this.pump();
    try {
      const vectors = (await Promise.all(parts)).flat();
      return order ? inInputOrder(order, vectors) : vectors;
    } catch (e) {
      call.abort();
      for (const job of jobs) job.reject(abortError());
      throw options.signal?.aborted ? abortError() : e;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  countTokens(text: string): number {
    return this.counter(text);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const job of this.waiting.splice(0)) job.reject(new Error(`${this.info.id}: the embedding processes were closed`));
    await Promise.all(this.slots.map((s) => s.starting));
    await Promise.all(this.slots.map((s) => s.proc?.embedder.dispose()));
  }

  private job(texts: string[], kind: EmbedOptions['kind'], signal: AbortSignal, resolve: (v: Float32Array[]) => void, reject: (e: Error) => void): Job {
    const job: Job = {
      texts,
      kind,
      signal,
      attempts: 0,
      settled: false,
      resolve: (v) => {
        if (job.settled) return;
        job.settled = true;
        resolve(v);
      },
      reject: (e) => {
        if (job.settled) return;
        job.settled = true;
        const i = this.waiting.indexOf(job);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(e);
      },
    };
    return job;
  }

  /** Hands waiting batches to processes with room, least busy first. */
  private pump(): void {
    while (this.waiting.length && !this.disposed) {
      let best: { slot: Slot; proc: Proc } | undefined;
      for (const slot of this.slots) {
        const proc = slot.proc;
        if (!proc) continue;
        if (!proc.embedder.alive) {
          this.crashed(slot, proc, 'the model process ended while idle');
          continue;
        }
        if (proc.inFlight < this.perProcess && (!best || proc.inFlight < best.proc.inFlight)) best = { slot, proc };
      }
      if (!best) break;
      const job = this.waiting.shift() as Job;
      if (!job.settled) this.run(best.slot, best.proc, job);
    }
    if (this.waiting.length && this.slots.every((s) => s.dead)) {
      const why = new Error(`${this.info.id}: no embedding process left of ${this.size} (${this.restarts} restarted after crashes)${this.lastCrash ? `; last: ${this.lastCrash}` : ''}`);
      for (const job of this.waiting.splice(0)) job.reject(why);
    }
  }

  private run(slot: Slot, proc: Proc, job: Job): void {
    proc.inFlight++;
    job.attempts++;
    proc.embedder
      .embed(job.texts, { signal: job.signal, kind: job.kind })
      .then(
        (v) => job.resolve(v),
        (e: unknown) => {
          const err = e instanceof Error ? e : new Error(String(e));
          if (proc.embedder.alive || job.settled) return job.reject(err);
          // The process ended under this batch: replace it, and send the batch again unless it keeps ending them.
          this.crashed(slot, proc, err.message);
          if (job.attempts >= MAX_ATTEMPTS) {
            job.reject(new Error(`${this.info.id}: a batch of ${job.texts.length} texts ended ${job.attempts} embedding processes; last: ${err.message}`));
          } else {
            this.resent++;
            this.waiting.unshift(job);
          }
        },
      )
      .finally(() => {
        proc.inFlight--;
        this.pump();
      });
  }

  private crashed(slot: Slot, proc: Proc, why: string): void {
    if (slot.proc !== proc) return;
    slot.proc = undefined;
    this.lastCrash = why;
    if (this.disposed || this.restarts >= this.maxRestarts) {
      slot.dead = true;
      return;
    }
    this.restarts++;
    this.startProcess(slot);
  }

  private startProcess(slot: Slot): void {
    slot.starting = WorkerEmbedder.start(this.spec, this.counter)
      .then(
        async (embedder) => {
          if (this.disposed) return void (await embedder.dispose());
          if (JSON.stringify(embedder.info) !== JSON.stringify(this.info)) {
            await embedder.dispose();
            slot.dead = true;
            this.warnings.push(`an embedding process loaded ${JSON.stringify(embedder.info)}, not ${JSON.stringify(this.info)}; it was closed`);
            return;
          }
          slot.proc = { embedder, inFlight: 0 };
        },
        (e: unknown) => {
          slot.dead = true;
          const why = `an embedding process failed to start: ${e instanceof Error ? e.message : e}`;
          this.lastCrash ||= why;
          this.warnings.push(why);
        },
      )
      .finally(() => {
        slot.starting = undefined;
        this.pump();
      });
  }
}
