import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { defaultEmbeddingProcesses, EmbedderPool, threadsPerProcess } from '../../../../src/core/embed/embedder-pool';
import { WorkerEmbedder } from '../../../../src/core/embed/worker-models';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import type { Corpus } from '../../../../src/core/corpus/document';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { scifactDir, sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

// Its own file, so its own process: the models run only in model processes here (as in the editor).
const minilm = sharedModelDir('minilm-shape-random');
const scifact = scifactDir();

async function scifactCorpus(docs: number): Promise<Corpus> {
  const all = await loadBeirCorpus(scifact as string);
  return { ...all, documents: all.documents.slice(0, docs) };
}

/** SciFact abstracts cut into sentences of assorted lengths: distinct texts, so a vector out of place shows. */
async function texts(count: number): Promise<string[]> {
  const corpus = await scifactCorpus(200);
  const out = corpus.documents.flatMap((d) => d.text.split(/(?<=\.)\s+/)).filter((t) => t.trim().length > 20);
  return [...new Set(out)].slice(0, count);
}

/** user + system CPU ticks a process has used (Linux /proc), or undefined elsewhere. */
function cpuTicks(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function sameBits(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length, `${what}: as many vectors`);
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual(Buffer.from(a[i].buffer, a[i].byteOffset, a[i].byteLength), Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength), `${what}: vector ${i} differs`);
  }
}

describe('embedder pool: N model processes behind one Embedder', () => {
  it('the default count is the cores, at most 4 and one per 4 GiB of RAM; onnxruntime threads are shared out', () => {
    const GiB = 1024 ** 3;
    assert.equal(defaultEmbeddingProcesses(2, 24 * GiB), 2);
    assert.equal(defaultEmbeddingProcesses(16, 64 * GiB), 4);
    assert.equal(defaultEmbeddingProcesses(8, 8 * GiB), 2);
    assert.equal(defaultEmbeddingProcesses(1, 2 * GiB), 1);
    assert.deepEqual([threadsPerProcess(1, 2), threadsPerProcess(2, 2), threadsPerProcess(3, 2), threadsPerProcess(4, 8)], [2, 1, 1, 2]);
  });

  for (const [name, model, count] of [
    ['the MiniLM-shaped fixture', minilm, 200],
    ['USE-lite', 'use-lite', 72],
  ] as const) {
    it(`${name}: the same vectors, bit for bit and in input order, with 1, 2 and 3 processes`, { skip: skipUnlessShared('SciFact and the model fixtures', scifact && model), timeout: 300_000 }, async () => {
      const inputs = await texts(count);
      assert.equal(inputs.length, count);
      // The single model process the product used before the pool: the reference.
      const single = await WorkerEmbedder.start({ model: model as string });
      const reference = await single.embed(inputs).finally(() => single.dispose());
      assert.ok(new Set(reference.map((v) => v.slice(0, 4).join())).size > count * 0.9, 'the texts give distinct vectors, so one out of place would show');
      const lines: string[] = [];
      for (const processes of [1, 2, 3]) {
        const pool = await EmbedderPool.start({ model: model as string }, { processes });
        try {
          await pool.started();
          assert.equal(pool.processes, processes);
          const before = pool.pids.map(cpuTicks);
          const t = performance.now();
          const progress: number[] = [];
          const got = await pool.embed(inputs, { onProgress: (done) => progress.push(done) });
          const ms = performance.now() - t;
          sameBits(got, reference, `${processes} process(es)`);
          assert.equal(progress.at(-1), count, 'progress ends at the total');
          const used = pool.pids.map((pid, i) => (cpuTicks(pid) ?? NaN) - (before[i] ?? NaN));
          if (processes > 1 && used.every((u) => !Number.isNaN(u))) assert.ok(used.every((u) => u > 0), `every process embedded (CPU ticks ${used.join(', ')})`);
          lines.push(`${processes} process(es) × ${pool.threads} thread(s): ${ms.toFixed(0)} ms${used.every((u) => !Number.isNaN(u)) ? ` (CPU ticks per process ${used.join(', ')})` : ''}`);
        } finally {
          await pool.dispose();
        }
      }
      console.log(`${name}, ${count} texts: ${lines.join('; ')}`);
    });
  }

  it('cancel during a parallel build is honoured within 1 s, and the pool serves the next call', { skip: skipUnlessShared('SciFact', scifact), timeout: 300_000 }, async () => {
    const corpus = await scifactCorpus(300);
    const pool = await EmbedderPool.start({ model: 'use-lite' }, { processes: 2 });
    try {
      await pool.started();
      const controller = new AbortController();
      let abortedAt = 0;
      const build = WorkspaceIndex.build(corpus, {
        chunker: { kind: 'recursive', size: 400, overlap: 0 },
        embedder: pool,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'embed' && p.done >= 256 && !abortedAt) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      });
      await assert.rejects(build, (e: Error) => e.name === 'AbortError');
      const ms = performance.now() - abortedAt;
      assert.ok(abortedAt > 0, 'the build reached embedding');
      console.log(`cancel during a 2-process USE-lite build honoured after ${ms.toFixed(0)} ms (target <= 1000 ms)`);
      assert.ok(ms <= 1000, `cancel took ${ms.toFixed(0)} ms`);
      const [v] = await pool.embed(['after the cancel']);
      assert.equal(v.length, 512);
      assert.equal(pool.processes, 2, 'no process was lost to the cancel');
    } finally {
      await pool.dispose();
    }
  });

  it('a model process killed mid-build: its batches go to the others and the index is the one a 1-process build makes', { skip: skipUnlessShared('SciFact and the model fixtures', scifact && minilm), timeout: 300_000 }, async () => {
    const corpus = await scifactCorpus(300);
    const options = { chunker: { kind: 'recursive' as const, size: 400, overlap: 0 } };
    const one = await EmbedderPool.start({ model: minilm as string }, { processes: 1 });
    const { index: reference, stats: refStats } = await WorkspaceIndex.build(corpus, { ...options, embedder: one }).finally(() => one.dispose());
    const pool = await EmbedderPool.start({ model: minilm as string }, { processes: 2 });
    try {
      await pool.started();
      let killed: number | undefined;
      const { index, stats } = await WorkspaceIndex.build(corpus, {
        ...options,
        embedder: pool,
        onProgress: (p) => {
          // After the first group: the others are in flight, so the killed process dies under its batches.
          if (p.phase === 'embed' && p.done > 0 && killed === undefined) {
            killed = pool.pids[0];
            process.kill(killed, 'SIGKILL');
          }
        },
      });
      assert.ok(killed, 'a process was killed during the build');
      assert.equal(pool.restarted, 1, 'the killed process was replaced');
      assert.ok(pool.retried >= 1, 'the batches it held were sent again');
      assert.ok(!pool.pids.includes(killed), 'the killed process is not serving');
      assert.equal(index.chunkMap.size, reference.chunkMap.size);
      assert.equal(stats.chunksEmbedded, refStats.chunksEmbedded, 'each distinct text embedded once, none lost');
      assert.equal(index.vectors?.size, index.chunkMap.size, 'one vector per chunk');
      const a = index.vectors?.snapshot();
      const b = reference.vectors?.snapshot();
      assert.deepEqual(a?.ids, b?.ids, 'the same chunks in the same order');
      assert.ok(a && b && Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)), 'the same vectors, bit for bit');
      console.log(`killed process ${killed} mid-build: ${index.chunkMap.size} chunks, ${stats.chunksEmbedded} embedded, ${pool.restarted} process restarted, ${pool.retried} batch(es) sent again, vectors identical to the 1-process build`);
    } finally {
      await pool.dispose();
    }
  });

  it('batches come back in input order across processes, with at most 2 requests held by a process at a time', async () => {
    const previous = process.env.RETRIEVAL_LENS_EMBED_WORKER;
    process.env.RETRIEVAL_LENS_EMBED_WORKER = path.join(__dirname, 'fixtures', 'counting-model-process.ts');
    try {
      const pool = await EmbedderPool.start({ model: 'counting', batchSize: 4 }, { processes: 3 });
      try {
        await pool.started();
        const inputs = Array.from({ length: 400 }, (_, i) => `text ${i}`);
        // Two calls at once (as the index sends two groups), each cut into batches of 4 over 3 processes.
        const [a, b] = await Promise.all([pool.embed(inputs.slice(0, 200)), pool.embed(inputs.slice(200))]);
        const got = [...a, ...b];
        assert.deepEqual(got.map((v) => v[0]), inputs.map((_, i) => i), 'every vector in its input place, none lost or doubled');
        const most = Math.max(...got.map((v) => v[1]));
        assert.ok(most <= 2, `a process held ${most} requests at once`);
        assert.equal(most, 2, 'the next request waits in the process while one runs');
      } finally {
        await pool.dispose();
      }
    } finally {
      if (previous === undefined) delete process.env.RETRIEVAL_LENS_EMBED_WORKER;
      else process.env.RETRIEVAL_LENS_EMBED_WORKER = previous;
    }
  });

  it('a model that ends every process it runs in fails the call with the reason instead of retrying forever', async () => {
    const previous = process.env.RETRIEVAL_LENS_EMBED_WORKER;
    process.env.RETRIEVAL_LENS_EMBED_WORKER = path.join(__dirname, 'fixtures', 'crashing-model-process.ts');
    try {
      const pool = await EmbedderPool.start({ model: 'crashing' }, { processes: 2 });
      try {
        await pool.started();
        const t = performance.now();
        await assert.rejects(pool.embed(Array.from({ length: 40 }, (_, i) => `text ${i}`)), /crashing: .*ended by SIGSEGV: free\(\): invalid pointer/);
        assert.ok(performance.now() - t < 30_000);
        assert.ok(pool.restarted <= 4, `restarts are bounded (${pool.restarted})`);
      } finally {
        await pool.dispose();
      }
    } finally {
      if (previous === undefined) delete process.env.RETRIEVAL_LENS_EMBED_WORKER;
      else process.env.RETRIEVAL_LENS_EMBED_WORKER = previous;
    }
  });
});
