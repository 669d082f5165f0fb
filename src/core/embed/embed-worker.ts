/**
 * Model process entry (bundled to dist/embed-worker.js, started by worker-models.ts with an IPC channel): hosts
 * one embedder or cross-encoder so model inference never runs on the caller's event loop, and a native crash
 * never takes the caller down. Messages: see worker-protocol.ts.
 */
import type { CrossEncoder, Embedder } from './embedder';
import { loadCrossEncoder, loadEmbedder } from './embedder-factory';
import { exitWithParent } from './parent-watchdog';
import type { FromWorker, ToWorker } from './worker-protocol';

if (!process.send) throw new Error('embed-worker must be started with an IPC channel (child_process.fork)');
const send = (m: FromWorker) => process.send?.(m);
const controllers = new Map<number, AbortController>();
let loading: Promise<Embedder | CrossEncoder> | undefined;

// The caller is gone (closed, crashed or killed): nothing is left to serve. The IPC channel closing says so when
// the caller ends; the parent watchdog (a thread of its own) says so when it was killed and the main thread is busy.
process.on('disconnect', () => process.exit(0));
exitWithParent();
// SIGTERM and SIGINT end the process at once, also in the middle of a forward pass: Node's own handling of both
// (reset the terminal, then die by the signal) runs in the signal handler, where a JavaScript listener would wait for
// the event loop, i.e. for the batch to finish (seconds for a long batch on a loaded machine). So no listener is
// added here; should a library add one (none does today), endIfListened() adds ours, which exits at the next turn
// of the loop instead of letting the signal be swallowed.
function endIfListened(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    if (process.listenerCount(signal) === 0 || process.listeners(signal).includes(exitOn[signal])) continue;
    process.on(signal, exitOn[signal]);
  }
}
const exitOn = {
  SIGTERM: () => exitBySignal(143),
  SIGINT: () => exitBySignal(130),
};
function exitBySignal(code: number): void {
  for (const c of controllers.values()) c.abort();
  process.exit(code);
}

process.on('message', async (m: ToWorker) => {
  if (m.type === 'init') {
    const onDownload = (file: string, loaded: number, total: number) => send({ type: 'download', file, loaded, total });
    loading = m.role === 'embedder' ? loadEmbedder({ ...m.spec, onDownload }) : loadCrossEncoder({ ...m.spec, onDownload });
    loading.then(
      (model) => {
        endIfListened();
        send({ type: 'ready', info: model.info });
      },
      (e: unknown) => send({ type: 'failed', message: e instanceof Error ? e.message : String(e) }),
    );
    return;
  }
  if (m.type === 'cancel') {
    controllers.get(m.id)?.abort();
    return;
  }
  if (m.type === 'dispose') {
    const model = await loading?.catch(() => undefined);
    await model?.dispose();
    process.exit(0);
  }
  const controller = new AbortController();
  controllers.set(m.id, controller);
  const onProgress = (done: number, total: number) => send({ type: 'progress', id: m.id, done, total });
  try {
    if (!loading) throw new Error('no model: the init message did not arrive first');
    const model = await loading;
    if (m.type === 'embed') {
      const vectors = await (model as Embedder).embed(m.texts, { signal: controller.signal, onProgress, kind: m.kind });
      const dims = vectors[0]?.length ?? 0;
      const flat = new Float32Array(vectors.length * dims);
      vectors.forEach((v, i) => flat.set(v, i * dims));
      send({ type: 'vectors', id: m.id, dims, data: flat });
    } else if (m.type === 'score') {
      const scores = await (model as CrossEncoder).score(m.query, m.passages, { signal: controller.signal, onProgress });
      send({ type: 'scores', id: m.id, scores });
    } else if (m.type === 'count') {
      send({ type: 'counts', id: m.id, counts: m.texts.map((t) => (model as Embedder).countTokens(t)) });
    }
  } catch (e) {
    send({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e), aborted: e instanceof Error && e.name === 'AbortError' });
  } finally {
    controllers.delete(m.id);
  }
});
