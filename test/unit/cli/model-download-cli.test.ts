import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { startHubFileServer, type HubFileServer } from '../../helpers/hub-file-server';
import { demoDir, sharedModelDir, skipUnlessShared } from '../../helpers/shared';

const fixture = sharedModelDir('minilm-shape-random');

/** The CLI given a hub id: downloads it (HF_ENDPOINT → a hub-layout file server) into $XDG_CACHE_HOME, never falls back. */
describe('CLI with a hub model id', { skip: skipUnlessShared('the MiniLM-shaped fixture model', fixture) }, () => {
  let hub: HubFileServer;
  const env = { HF_ENDPOINT: process.env.HF_ENDPOINT, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  let ws: string;
  before(async () => {
    hub = await startHubFileServer({ 'Xenova/all-MiniLM-L6-v2': fixture as string });
    process.env.XDG_CACHE_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cli-cache-'));
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cli-hub-'));
    fs.cpSync(demoDir, ws, { recursive: true });
    fs.rmSync(path.join(ws, '.retrieval-lens', 'index'), { recursive: true, force: true });
  });
  after(async () => {
    await hub?.close();
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out, err };
  };

  it('downloads it once with plain progress lines (not a terminal), then searches with it; a second run makes no request', async () => {
    process.env.HF_ENDPOINT = hub.url;
    const r = await run(['search', ws, 'how long are events kept', '--retriever', 'dense', '--k', '3', '--model', 'Xenova/all-MiniLM-L6-v2', '--json']);
    assert.equal(r.code, 0, r.err.join('\n'));
    const progress = r.err.filter((l) => l.startsWith('downloading Xenova/all-MiniLM-L6-v2: '));
    assert.ok(progress.length >= 1, r.err.join('\n'));
    assert.ok(r.err.every((l) => !l.includes('\r') && !l.includes('\x1b')), 'no terminal control characters in a log');
    assert.ok(r.err.some((l) => /^downloaded Xenova\/all-MiniLM-L6-v2 into .*Xenova__all-MiniLM-L6-v2\.main\.q8$/.test(l)));
    assert.ok(fs.existsSync(path.join(process.env.XDG_CACHE_HOME as string, 'retrieval-lens', 'models', 'Xenova__all-MiniLM-L6-v2.main.q8', 'retrieval-lens-model.json')));
    const result = JSON.stringify(JSON.parse(r.out.join('\n')));
    assert.equal((result.match(/"docId"/g) ?? []).length >= 3, true, 'three dense hits from the downloaded model');
    hub.requests.length = 0;
    const again = await run(['search', ws, 'how long are events kept', '--retriever', 'dense', '--k', '3', '--model', 'Xenova/all-MiniLM-L6-v2']);
    assert.equal(again.code, 0, again.err.join('\n'));
    assert.equal(hub.requests.length, 0);
    assert.ok(!again.err.some((l) => l.startsWith('downloading')));
  });

  it('exits 2 naming the model and the reason when the hub cannot be reached (no silent fallback)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    process.env.HF_ENDPOINT = `http://127.0.0.1:${port}/`;
    const r = await run(['search', ws, 'events', '--retriever', 'dense', '--model', 'Xenova/bge-small-en-v1.5']);
    assert.equal(r.code, 2);
    assert.match(r.err.join('\n'), /error: cannot download Xenova\/bge-small-en-v1\.5: 127\.0\.0\.1:\d+ could not be reached: ECONNREFUSED \(use --model use-lite to run offline, or HF_ENDPOINT for a mirror\)/);
  });
});
