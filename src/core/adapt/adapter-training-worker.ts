import { parentPort } from 'node:worker_threads';
import { trainQueryAdapter, type AdapterTrainingOptions, type TrainingExample } from './train-adapter';
import type { AdapterModel } from './query-adapter';

/**
 * The worker thread that trains a query adapter off the caller's event loop (src/core/adapt/training-runner.ts):
 * one job per message, the epochs reported as they end, the weights returned (transferred, not copied).
 */
export type TrainingMessage =
  | { type: 'examples'; part: 'fit' | 'heldOut'; examples: TrainingExample[] }
  | { type: 'train'; model: AdapterModel; settings: Partial<AdapterTrainingOptions> };

/** The examples arrive in parts (so no single copy holds the caller's event loop), then the job. */
const job = { fit: [] as TrainingExample[], heldOut: [] as TrainingExample[] };

parentPort?.on('message', (m: TrainingMessage) => {
  if (m.type === 'examples') {
    job[m.part].push(...m.examples);
    return;
  }
  try {
    const r = trainQueryAdapter(m.model, job.fit, job.heldOut, m.settings, 'auto', (epoch) => parentPort?.postMessage({ type: 'epoch', epoch }));
    const weights = r.adapter.weights;
    parentPort?.postMessage({ type: 'done', weights, history: r.history, bestEpoch: r.bestEpoch, epochs: r.epochs, steps: r.steps, ms: r.ms }, [weights.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});

// Loaded: the caller sends the examples now.
parentPort?.postMessage({ type: 'ready' });
