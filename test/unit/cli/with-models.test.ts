import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { UsageError, withModels } from '../../../src/cli/cli-context';
import type { Embedder } from '../../../src/core/embed/embedder';
import { EmbedderPool } from '../../../src/core/embed/embedder-pool';
import { loadEvalTarget } from '../../../src/core/eval/eval-target';
import { demoDir } from '../../helpers/shared';

const quiet = { out: () => undefined, err: () => undefined };

/** True while a process with this id exists (signal 0 only checks). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pids: number[]): Promise<boolean> {
  const until = Date.now() + 5000;
  while (pids.some(running) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return !pids.some(running);
}

describe('withModels: one place starts and disposes a command\'s models', () => {
  it('--embed-processes sizes the pool; every model is disposed after the command, also when a later model fails to start', { timeout: 300_000 }, async () => {
    const target = await loadEvalTarget(demoDir);
    let first: Embedder | undefined;
    let pids: number[] = [];
    const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-no-model-')), 'no-such-model');
    await assert.rejects(
      withModels(target, { model: 'use-lite', 'embed-processes': '2' }, quiet, async (models) => {
        assert.equal(models.processes, 2);
        first = await models.embedder();
        assert.ok(first instanceof EmbedderPool);
        await first.started();
        pids = first.pids;
        assert.equal(pids.length, 2, 'two model processes serving');
        await models.embedder(missing);
        assert.fail('a model folder that does not exist cannot start');
      }),
      (e: unknown) => e instanceof UsageError && /cannot (load the embedding model|download)/.test(e.message),
    );
    assert.ok(first instanceof EmbedderPool);
    assert.equal(first.alive, false, 'the first model was disposed');
    assert.ok(await gone(pids), `its processes ended (${pids.join(', ')})`);
  });

  it('a bad --embed-processes is refused before any model starts', async () => {
    const target = await loadEvalTarget(demoDir);
    let ran = false;
    await assert.rejects(
      withModels(target, { 'embed-processes': '17' }, quiet, async () => {
        ran = true;
      }),
      /--embed-processes must be a whole number from 1 to 16, got "17"/,
    );
    assert.equal(ran, false);
  });
});
