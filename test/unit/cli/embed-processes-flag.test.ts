import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { InputError } from '../../../src/core/io/input-error';
import { checkSetting, readWorkspaceSettings } from '../../../src/core/settings/workspace-settings';
import { demoDir } from '../../helpers/shared';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

function demoCopy(settings: Record<string, unknown>): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-procs-'));
  fs.cpSync(demoDir, ws, { recursive: true });
  fs.rmSync(path.join(ws, '.retrieval-lens', 'index'), { recursive: true, force: true });
  fs.rmSync(path.join(ws, '.retrieval-lens', 'runs'), { recursive: true, force: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'retrievalLens.exclude': ['archive/**'], ...settings }, null, 2));
  return ws;
}

describe('embedding processes: retrievalLens.embeddingProcesses and --embed-processes', () => {
  it('the setting takes a whole number from 1 to 16 (or null for the default); anything else names the file and line', () => {
    assert.equal(checkSetting('embeddingProcesses', 3), undefined);
    assert.equal(checkSetting('embeddingProcesses', null), undefined);
    for (const bad of [0, 2.5, 17, '2']) assert.match(checkSetting('embeddingProcesses', bad) ?? '', /^retrievalLens\.embeddingProcesses must be a whole number from 1 to 16 or null, got /);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-procs-set-'));
    fs.mkdirSync(path.join(ws, '.vscode'));
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), '{\n  "retrievalLens.topK": 5,\n  "retrievalLens.embeddingProcesses": 0\n}\n');
    assert.throws(() => readWorkspaceSettings(ws), (e: unknown) => e instanceof InputError && e.line === 3 && /embeddingProcesses must be a whole number from 1 to 16/.test(e.message));
  });

  it('a bad --embed-processes is a usage error before anything is loaded', async () => {
    for (const bad of ['0', 'two', '']) {
      const c = io();
      assert.equal(await runCli(['eval', demoDir, '--retriever', 'bm25', '--embed-processes', bad], c.io), 2);
      assert.match(c.err.join('\n'), new RegExp(`--embed-processes must be (a whole number from 1 to 16|a number), got "${bad}"`));
    }
  });

  it('the count changes the processes, not the index: the same hits with 2 and 1, and the second run embeds nothing', { timeout: 300_000 }, async () => {
    const ws = demoCopy({ 'retrievalLens.embeddingProcesses': 2 });
    const a = io();
    assert.equal(await runCli(['search', ws, 'retry budget for consumers', '--retriever', 'dense', '--json'], a.io), 0, a.err.join('\n'));
    const built = a.err.find((l) => l.startsWith('index: ') && l.includes('embedded'));
    assert.match(built ?? '', /; [1-9]\d* embedded, 0 from cache\)/);
    const b = io();
    assert.equal(await runCli(['search', ws, 'retry budget for consumers', '--retriever', 'dense', '--json', '--embed-processes', '1'], b.io), 0, b.err.join('\n'));
    assert.match(b.err.find((l) => l.startsWith('index: ') && l.includes('embedded')) ?? '', /; 0 embedded, /, 'the saved index is used as it is');
    assert.equal(b.out.join('\n'), a.out.join('\n'));
    // A fresh index with one process: the same vectors, so the same ranking and scores.
    const c = io();
    assert.equal(await runCli(['search', ws, 'retry budget for consumers', '--retriever', 'dense', '--json', '--embed-processes', '1', '--index-dir', path.join(ws, 'one-process-index')], c.io), 0, c.err.join('\n'));
    assert.match(c.err.find((l) => l.startsWith('index: ') && l.includes('embedded')) ?? '', /; [1-9]\d* embedded, 0 from cache\)/);
    assert.equal(c.out.join('\n'), a.out.join('\n'));
    fs.rmSync(ws, { recursive: true, force: true });
  });
});
