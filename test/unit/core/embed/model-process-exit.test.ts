import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { EmbedderPool } from '../../../../src/core/embed/embedder-pool';
import { USE_LITE_MAX_INPUT_CHARS } from '../../../../src/core/embed/use-lite-embedder';
import { sharedModelDir } from '../../../helpers/shared';
import { goneWithin, isAlive } from './process-probe';

/** How soon a model process must be gone once its parent is (the watchdog checks every 500 ms). */
const PARENT_GONE_BOUND_MS = 2000;
/**
 * How soon a model process must be gone after SIGTERM while it embeds the costliest batch it can be sent (every
 * input at the model's window). The process adds no listener, so Node's own signal handling ends it in the middle
 * of the forward pass: 33-48 ms measured on a loaded 2-core machine (a listener waited for the batch: 0.3-7.2 s).
 */
export const SIGTERM_BOUND_MS = 2000;

const minilm = sharedModelDir('minilm-shape-random');
const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

/** Resolves with the first stdout line of `child` matching `re` (fails with its stderr if it ends first). */
export function lineMatching(child: ChildProcess, re: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; stdout: ${out.slice(-500)} stderr: ${err.slice(-1000)}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      reject(new Error(`ended (${code ?? signal}) before a line matching ${re}; stderr: ${err.slice(-1500)}`));
    });
  });
}

async function killParentMidEmbedding(model: string): Promise<void> {
  const parent = spawn(process.execPath, ['--import', 'tsx', fixture('pool-parent.ts'), model, '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const pids = JSON.parse((await lineMatching(parent, /pids (\[[\d,]*\])\n/))[1]) as number[];
    assert.equal(pids.length, 2, 'two model processes started');
    await lineMatching(parent, /embedding\n/);
    // Mid-batch: the processes are inside forward passes by now.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(pids.every(isAlive), 'both model processes run before the parent is killed');
    parent.kill('SIGKILL');
    const ms = await goneWithin(pids, PARENT_GONE_BOUND_MS);
    console.log(`# ${path.basename(model)}: both model processes gone ${Math.round(ms)} ms after their parent was killed (bound ${PARENT_GONE_BOUND_MS} ms)`);
    assert.ok(ms <= PARENT_GONE_BOUND_MS, `gone after ${Math.round(ms)} ms > ${PARENT_GONE_BOUND_MS}`);
  } finally {
    parent.kill('SIGKILL');
  }
}

async function sigtermMidBatch(model: string, texts: string[]): Promise<void> {
  const pool = await EmbedderPool.start({ model, dtype: 'q8' }, { processes: 1 });
  try {
    const [pid] = pool.pids;
    let first: () => void = () => undefined;
    const progressed = new Promise<void>((r) => (first = r));
    const call = pool.embed(texts, { onProgress: () => first() }).catch((e: unknown) => e);
    // One batch has come back: the next is inside its forward pass.
    await progressed;
    await new Promise((r) => setTimeout(r, 50));
    process.kill(pid, 'SIGTERM');
    const ms = await goneWithin([pid], SIGTERM_BOUND_MS);
    console.log(`# ${path.basename(model)}: exited ${Math.round(ms)} ms after SIGTERM mid-batch (bound ${SIGTERM_BOUND_MS} ms)`);
    assert.ok(ms <= SIGTERM_BOUND_MS, `exited after ${Math.round(ms)} ms > ${SIGTERM_BOUND_MS}`);
    // The pool replaces the ended process and sends the batch again; closing it ends the call.
    await pool.dispose();
    await call;
  } finally {
    await pool.dispose();
  }
}

const prose = (chars: number, seed: number) => {
  const words = 'the retry budget caps how often clients publish again after the broker refused their message'.split(' ');
  let s = '';
  for (let i = seed; s.length < chars; i++) s += `${words[(i * 5) % words.length]} `;
  return s.slice(0, chars);
};

describe('model processes die with their parent', () => {
  it('USE-lite: a pool of 2 whose parent is SIGKILLed mid-embedding: both processes are gone within 2 s', { timeout: 180_000 }, async () => {
    await killParentMidEmbedding('use-lite');
  });

  it('MiniLM-shaped fixture: a pool of 2 whose parent is SIGKILLed mid-embedding: both processes are gone within 2 s', { skip: minilm ? false : 'the MiniLM-shaped fixture (shared models/minilm-shape-random) is not present', timeout: 180_000 }, async () => {
    await killParentMidEmbedding(minilm as string);
  });

  it('the watchdog thread ends a process whose event loop is blocked for good, once its parent is killed (no IPC)', { timeout: 60_000 }, async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', fixture('orphan-guard.ts'), 'parent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const pid = Number((await lineMatching(parent, /child (\d+)\n/, 30_000))[1]);
      await new Promise((r) => setTimeout(r, 700));
      assert.ok(isAlive(pid), 'the blocked child runs while its parent does');
      parent.kill('SIGKILL');
      const ms = await goneWithin([pid], PARENT_GONE_BOUND_MS);
      console.log(`# blocked child gone ${Math.round(ms)} ms after its parent was killed`);
      assert.ok(ms <= PARENT_GONE_BOUND_MS);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('USE-lite: SIGTERM mid-batch (16 inputs at the window) ends the process within the bound, not after the job', { timeout: 180_000 }, async () => {
    await sigtermMidBatch('use-lite', Array.from({ length: 16 * 40 }, (_, i) => prose(USE_LITE_MAX_INPUT_CHARS, i)));
  });

  it('MiniLM-shaped fixture: SIGTERM mid-batch (32 inputs of 512 tokens) ends the process within the bound', { skip: minilm ? false : 'the MiniLM-shaped fixture (shared models/minilm-shape-random) is not present', timeout: 180_000 }, async () => {
    await sigtermMidBatch(minilm as string, Array.from({ length: 32 * 20 }, (_, i) => prose(4000, i)));
  });
});
