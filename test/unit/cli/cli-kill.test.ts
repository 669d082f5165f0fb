import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../helpers/shared';
import { goneWithin, isAlive } from '../core/embed/process-probe';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const built = fs.existsSync(cli) && fs.existsSync(path.join(repoRoot, 'dist', 'embed-worker.js'));

/** Pids of the live children of `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** CPU time (user + system, in clock ticks) a process has used: rises while it embeds. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

describe('the CLI leaves no model process behind', { skip: process.platform !== 'linux' ? 'reads /proc (Linux only)' : built ? false : 'dist/cli.js not built: run node esbuild.mjs' }, () => {
  let ws: string;
  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-kill-'));
    const words = 'clients retry failed publishes with exponential backoff while the broker keeps every message for seven days'.split(' ');
    for (let f = 0; f < 60; f++) {
      const paras = Array.from({ length: 30 }, (_, p) => Array.from({ length: 6 }, (_, s) => `${Array.from({ length: 14 }, (_, w) => words[(f * 31 + p * 7 + s * 3 + w) % words.length]).join(' ')}.`).join(' '));
      fs.writeFileSync(path.join(ws, `doc-${f}.md`), `# Document ${f}\n\n${paras.join('\n\n')}\n`);
    }
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  /** Starts a dense search that must index the workspace; resolves with the CLI and its model processes once they embed. */
  async function midIndexing() {
    const child = spawn(process.execPath, [cli, 'search', ws, 'retry backoff', '--retriever', 'dense', '--model', 'use-lite', '--embed-processes', '2', '--index-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'rl-kill-index-'))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const pid = child.pid as number;
    const t0 = performance.now();
    let models: number[] = [];
    // Both model processes started and one of them computing (its CPU time rising), well before the build ends.
    for (;;) {
      assert.ok(child.exitCode === null, `the CLI ended before the test could interrupt it: ${stderr.slice(-800)}`);
      assert.ok(performance.now() - t0 < 120_000, `no two busy model processes within 120 s: ${stderr.slice(-800)}`);
      models = childrenOf(pid);
      if (models.length === 2) {
        const before = models.map(cpuTicks);
        await new Promise((r) => setTimeout(r, 500));
        if (models.every(isAlive) && models.some((m, i) => cpuTicks(m) - before[i] > 10)) break;
      } else await new Promise((r) => setTimeout(r, 200));
    }
    return { child, models, stderr: () => stderr };
  }

  it('killed with SIGKILL mid-indexing: its model processes are gone within 2 s', { timeout: 180_000 }, async () => {
    const { child, models } = await midIndexing();
    child.kill('SIGKILL');
    const ms = await goneWithin(models, 2000);
    console.log(`# model processes gone ${Math.round(ms)} ms after the CLI was SIGKILLed`);
    assert.ok(ms <= 2000);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} mid-indexing: the CLI ends its model processes and exits with ${code}`, { timeout: 180_000 }, async () => {
      const { child, models, stderr } = await midIndexing();
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      const t0 = performance.now();
      child.kill(signal);
      assert.equal(await exited, code, stderr());
      const exitMs = performance.now() - t0;
      await goneWithin(models, 2000);
      console.log(`# ${signal}: the CLI exited ${Math.round(exitMs)} ms after the signal, its model processes were gone ${Math.round(performance.now() - t0)} ms after it`);
      assert.ok(performance.now() - t0 <= 2000);
    });
  }
});
