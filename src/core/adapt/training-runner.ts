import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { TrainingMessage } from './adapter-training-worker';
import { QueryAdapter, type AdapterModel } from './query-adapter';
import type { AdapterTrainingOptions, AdapterTrainingResult, TrainingExample } from './train-adapter';

/** The trainer's signature: in-process (trainQueryAdapter) or in a worker thread (trainInWorker). */
export type AdapterTrainer = (model: AdapterModel, fit: TrainingExample[], heldOut: TrainingExample[], settings: Partial<AdapterTrainingOptions>) => Promise<AdapterTrainingResult>;

/**
 * The worker script: dist/adapter-training-worker.js beside the bundle, else the TypeScript source (tests, scripts)
 * run through tsx.
 */
function workerFile(): { file: string; execArgv: string[] } {
  for (const name of ['adapter-training-worker.js', 'adapter-training-worker.ts']) {
    const file = path.join(__dirname, name);
    if (fs.existsSync(file)) return { file, execArgv: name.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [] };
  }
  throw new Error(`adapter training worker not found beside ${__dirname} (build with npm run build)`);
}

/** Examples per message to the worker. */
const PART = 50;

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled');
    this.name = 'AbortError';
  }
}

/**
 * Trains a query adapter in a worker thread, so the caller's event loop (the editor's extension host) stays free:
 * the same trainer and seed as in-process, so the same weights bit for bit. A worker thread is fine here although
 * model inference runs in child processes: the reason for those is onnxruntime-node (it cannot be loaded again in a
 * new thread and crashed at exit), and training runs pure JavaScript and WebAssembly. The signal terminates the
 * worker at once (cancel does not wait for an epoch to end); a worker that dies rejects with its reason.
 */
export function trainInWorker(
  options: {
    signal?: AbortSignal;
    onEpoch?: (e: AdapterTrainingResult['history'][number]) => void;
    /** Caps the worker's heap: a job that outgrows it ends the worker (and rejects) instead of the caller's process. */
    resourceLimits?: ResourceLimits;
  } = {},
): AdapterTrainer {
  return (model, fit, heldOut, settings) =>
    new Promise<AdapterTrainingResult>((resolve, reject) => {
      if (options.signal?.aborted) return reject(new TrainingCancelled());
      const { file, execArgv } = workerFile();
      const worker = new Worker(file, { execArgv, ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}) });
      let settled = false;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        f();
        void worker.terminate();
      };
      const onAbort = () => finish(() => reject(new TrainingCancelled()));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const send = async () => {
        // Once the worker has loaded (its start-up then does not compete with the copies for the caller's core), in
        // parts of fifty examples with a turn of the event loop between them: one copy of a thousand
        // pairs' vectors at once held the caller for over 50 ms.
        for (const [part, list] of [['fit', fit], ['heldOut', heldOut]] as const) {
          for (let i = 0; i < list.length && !settled; i += PART) {
            const m: TrainingMessage = { type: 'examples', part, examples: list.slice(i, i + PART) };
            worker.postMessage(m);
            await new Promise((r) => setImmediate(r));
          }
        }
        const m: TrainingMessage = { type: 'train', model, settings };
        if (!settled) worker.postMessage(m);
      };
      worker.on('message', (m: { type: 'ready' } | { type: 'epoch'; epoch: AdapterTrainingResult['history'][number] } | ({ type: 'done'; weights: Float32Array } & Omit<AdapterTrainingResult, 'adapter'>) | { type: 'error'; message: string }) => {
        if (m.type === 'ready') void send();
        else if (m.type === 'epoch') options.onEpoch?.(m.epoch);
        else if (m.type === 'error') finish(() => reject(new Error(`adapter training failed: ${m.message}`)));
        else finish(() => resolve({ adapter: new QueryAdapter(model, m.weights), history: m.history, bestEpoch: m.bestEpoch, epochs: m.epochs, steps: m.steps, ms: m.ms }));
      });
      worker.on('error', (e) => finish(() => reject(new Error(`adapter training worker failed: ${e.message}`))));
      worker.on('exit', (code) => finish(() => reject(new Error(`adapter training worker exited (code ${code}) before it finished`))));
    });
}
