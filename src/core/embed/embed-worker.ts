/**
 * Worker-thread entry (bundled to dist/embed-worker.js): hosts one embedder or cross-encoder so model inference
 * never runs on the caller's event loop. Messages: see worker-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CrossEncoder, Embedder } from './embedder';
import { loadCrossEncoder, loadEmbedder, type ModelSpec } from './embedder-factory';
import type { FromWorker, ToWorker } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('embed-worker must run in a worker thread');
const { spec, role } = workerData as { spec: ModelSpec; role: 'embedder' | 'cross-encoder' };
const controllers = new Map<number, AbortController>();
const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const loading: Promise<Embedder | CrossEncoder> = (role === 'embedder'
  ? loadEmbedder({ ...spec, onDownload: (file, loaded, total) => send({ type: 'download', file, loaded, total }) })
  : loadCrossEncoder({ ...spec, onDownload: (file, loaded, total) => send({ type: 'download', file, loaded, total }) }));

loading.then(
  (m) => send({ type: 'ready', info: m.info }),
  (e: unknown) => send({ type: 'failed', message: e instanceof Error ? e.message : String(e) }),
);

port.on('message', async (m: ToWorker) => {
  if (m.type === 'cancel') {
    controllers.get(m.id)?.abort();
    return;
  }
  if (m.type === 'dispose') {
    const model = await loading.catch(() => undefined);
    await model?.dispose();
    process.exit(0);
  }
  const controller = new AbortController();
  controllers.set(m.id, controller);
  const onProgress = (done: number, total: number) => send({ type: 'progress', id: m.id, done, total });
  try {
    const model = await loading;
    if (m.type === 'embed') {
      const vectors = await (model as Embedder).embed(m.texts, { signal: controller.signal, onProgress, kind: m.kind });
      const dims = vectors[0]?.length ?? 0;
      const flat = new Float32Array(vectors.length * dims);
      vectors.forEach((v, i) => flat.set(v, i * dims));
      send({ type: 'vectors', id: m.id, dims, data: flat }, [flat.buffer as ArrayBuffer]);
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
