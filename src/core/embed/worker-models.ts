import * as fs from 'node:fs';
import * as path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { approximateTokenCounter } from '../chunking/approximate-token-counter';
import type { CrossEncoder, EmbedOptions, Embedder, ModelInfo } from './embedder';
import type { ModelSpec } from './embedder-factory';
import type { FromWorker, ToWorker } from './worker-protocol';

/**
 * The model process script: dist/embed-worker.js beside the bundle, else the TypeScript source run through tsx
 * (tests, scripts). `RETRIEVAL_LENS_EMBED_WORKER` overrides.
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

/**
 * Starts the model process. A child process, not a worker thread: onnxruntime-node 1.21 cannot be loaded again
 * by a new worker thread once its first ones exited ("Module did not self-register", so switching models failed)
 * and corrupts the heap at exit when several threads used it; in a process of its own a native crash ends that
 * process only, never the extension host. Typed arrays cross the IPC channel by structured clone.
 */
export function startModelProcess(file: string): ChildProcess {
  const execArgv = file.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [];
  // In desktop VS Code process.execPath is the Electron binary: ELECTRON_RUN_AS_NODE makes it run the script as Node.
  const child = fork(file, [], { execArgv, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  live.add(child);
  if (!exitHooked) {
    exitHooked = true;
    // However this process ends (process.exit, the end of its event loop, an uncaught error), its model processes
    // end with it; a kill is synchronous, so it runs in an 'exit' listener. (Killed by SIGKILL, this cannot run: the
    // model process's own parent watchdog ends it then; see parent-watchdog.ts.)
    process.on('exit', () => endModelProcesses());
  }
  child.once('exit', () => live.delete(child));
  return child;
}

/** Model processes started by this process and not yet seen to exit. */
const live = new Set<ChildProcess>();
let exitHooked = false;

/**
 * Ends every model process this process started, at once (SIGKILL by default: they hold nothing worth saving). The
 * CLI calls it on SIGINT and SIGTERM before it exits; it also runs when this process exits.
 */
export function endModelProcesses(signal: NodeJS.Signals = 'SIGKILL'): number[] {
  const pids: number[] = [];
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      pids.push(child.pid);
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }
  return pids;
}

/** A request without its id (distributes over the union). */
type Request = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void; onProgress?: (d: number, t: number) => void };

/**
 * Runs a model in its own process; requests carry ids, cancellation aborts between batches. The process keeps
 * the caller alive only while requests are pending, and ends with the caller.
 */
class ModelWorker {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  /** The process has ended (disposed, crashed or killed); its requests fail and a new one must be started. */
  exited = false;
  readonly ready: Promise<ModelInfo>;

  constructor(spec: ModelSpec, role: 'embedder' | 'cross-encoder') {
    const { onDownload, ...serializable } = spec;
    this.child = startModelProcess(resolveEmbedWorkerScript());
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve(m.info);
        else if (m.type === 'failed') reject(new Error(`${spec.model}: ${m.message}`));
        else if (m.type === 'download') onDownload?.(m.file, m.loaded, m.total);
        else if (m.type === 'progress') this.pending.get(m.id)?.onProgress?.(m.done, m.total);
        else {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.settle(m.id);
          if (m.type === 'error') {
            const e = new Error(m.aborted ? 'cancelled' : `${spec.model}: ${m.message}`);
            if (m.aborted) e.name = 'AbortError';
            p.reject(e);
          } else p.resolve(m);
        }
      });
      const fail = (why: string) => {
        const err = new Error(`${spec.model}: the model process ${why}${this.stderr.trim() ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      this.child.on('error', (e) => {
        // A send to a process that just died fails (EPIPE) before its exit is seen: the process is gone either way,
        // and its exit (signal, code) is the better reason, so wait briefly for it.
        this.exited = true;
        const t = setTimeout(() => fail(`failed: ${e.message}`), 1000);
        this.child.once('exit', () => clearTimeout(t));
      });
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        fail(signal ? `was ended by ${signal}` : `exited with code ${code}`);
      });
    });
    this.child.send({ type: 'init', spec: serializable, role } satisfies ToWorker);
    // Loading is work in flight: the caller stays alive until the model is ready or failed, then only while requests are pending.
    this.ready.then(
      () => this.pending.size || this.idle(),
      () => this.idle(),
    );
  }

  /** No request in flight: the process does not keep the caller's event loop alive. */
  private idle(): void {
    this.child.unref();
    this.child.channel?.unref();
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (!this.pending.size) this.idle();
  }

  /** The process id (tests end a process to check what survives it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  async request(message: Request, options: EmbedOptions = {}): Promise<FromWorker> {
    await this.ready;
    if (options.signal?.aborted) throw abortError();
    if (this.exited) throw new Error('the model process has exited');
    const id = this.nextId++;
    this.child.ref();
    this.child.channel?.ref();
    const onAbort = () => this.exited || this.child.send({ type: 'cancel', id } satisfies ToWorker);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await new Promise<FromWorker>((resolve, reject) => {
        this.pending.set(id, { resolve, reject, onProgress: options.onProgress });
        this.child.send({ ...message, id } as ToWorker);
      });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async dispose(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    // Until the exit is seen: an unreferenced process let the caller's loop end between the kill and its exit event.
    this.child.ref();
    if (this.child.connected) this.child.send({ type: 'dispose' } satisfies ToWorker);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(t);
  }
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

/** An Embedder whose model runs in its own process. countTokens is the approximation unless a counter is given. */
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

  /** False once the model process has ended (e.g. crashed): start a new embedder then. */
  get alive(): boolean {
    return !this.w.exited;
  }

  get pid(): number | undefined {
    return this.w.pid;
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

  get alive(): boolean {
    return !this.w.exited;
  }

  dispose(): Promise<void> {
    return this.w.dispose();
  }
}
