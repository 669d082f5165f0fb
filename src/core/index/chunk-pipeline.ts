import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Chunk, ChunkerConfig, TokenCounter } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import { createChunker } from '../chunking/chunker-registry';
import type { SourceDocument } from '../corpus/document';
import type { ChunkReply, ChunkRequest } from './chunk-worker';
import { chunkFromRow } from './index-parts';

/** Below this much text a worker's start-up costs more than the chunking it takes off the main thread. */
export const WORKER_MIN_CHARS = 2_000_000;
/** Characters of documents per message to the worker. */
const BATCH_CHARS = 200_000;
/** Batches out at once: the worker cuts the next while the main thread indexes the last. */
const IN_FLIGHT = 3;

/**
 * The worker script: dist/chunk-worker.js beside the bundle, else the TypeScript source (tests, scripts) run
 * through tsx; undefined when neither is there (chunking then stays on the main thread).
 */
function workerFile(): { file: string; execArgv: string[] } | undefined {
  for (const name of ['chunk-worker.js', 'chunk-worker.ts']) {
    const file = path.join(__dirname, name);
    if (fs.existsSync(file)) return { file, execArgv: name.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [] };
  }
  return undefined;
}

/**
 * Each document with its chunks, in order. Large batches of documents are cut in a worker thread (both cores: it
 * chunks ahead while the caller indexes what it got), only with the default token counter (a model's tokenizer
 * cannot cross threads); otherwise, or without the worker script, on this thread. The chunks are the same either
 * way: the same chunker over the same document, the text sliced from the caller's own copy of the document.
 */
export async function* chunkDocuments(
  docs: SourceDocument[],
  config: ChunkerConfig,
  counter: TokenCounter | undefined,
  signal?: AbortSignal,
  /** Text (characters) from which the worker is used; tests lower it. */
  workerMinChars = WORKER_MIN_CHARS,
): AsyncGenerator<{ doc: SourceDocument; chunks: Chunk[] }> {
  const chars = docs.reduce((n, d) => n + d.text.length, 0);
  const script = counter === undefined && chars >= workerMinChars ? workerFile() : undefined;
  if (!script) {
    const chunker = createChunker(config, counter);
    for (const doc of docs) {
      signal?.throwIfAborted();
      yield { doc, chunks: chunker.chunk(doc) };
    }
    return;
  }
  createChunker(config); // an invalid config throws here, as on the main thread
  const key = chunkerKey(config);
  const batches: SourceDocument[][] = [];
  for (let i = 0, size = 0; i < docs.length; i++) {
    if (!batches.length || size >= BATCH_CHARS) {
      batches.push([]);
      size = 0;
    }
    batches[batches.length - 1].push(docs[i]);
    size += docs[i].text.length;
  }
  const worker = new Worker(script.file, { execArgv: script.execArgv });
  const waiting = new Map<number, { resolve: (r: ChunkReply) => void; reject: (e: unknown) => void }>();
  const replies = new Map<number, Promise<ChunkReply>>();
  let failure: unknown;
  const failAll = (e: unknown) => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  worker.on('message', (r: ChunkReply) => {
    waiting.get(r.batch)?.resolve(r);
    waiting.delete(r.batch);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`chunk worker exited (${code})`)));
  const onAbort = () => failAll(signal?.reason ?? new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  const send = (b: number) => {
    const p = new Promise<ChunkReply>((resolve, reject) => waiting.set(b, { resolve, reject }));
    p.catch(() => undefined); // awaited below; a batch never awaited (cancelled) must not be an unhandled rejection
    replies.set(b, p);
    if (failure) return;
    worker.postMessage({ type: 'chunk', batch: b, config, docs: batches[b] } satisfies ChunkRequest);
  };
  try {
    for (let b = 0; b < Math.min(IN_FLIGHT, batches.length); b++) send(b);
    for (let b = 0; b < batches.length; b++) {
      signal?.throwIfAborted();
      const reply = await (replies.get(b) as Promise<ChunkReply>);
      replies.delete(b);
      if (b + IN_FLIGHT < batches.length) send(b + IN_FLIGHT);
      if (reply.type === 'error') throw new Error(reply.message);
      for (let i = 0; i < batches[b].length; i++) {
        signal?.throwIfAborted();
        const doc = batches[b][i];
        yield { doc, chunks: reply.rows[i].map((row) => chunkFromRow(doc, row, key)) };
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    worker.removeAllListeners('exit');
    worker.on('error', () => undefined);
    void worker.terminate();
  }
}
