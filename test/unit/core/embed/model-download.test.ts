import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { cachedHubModel, ensureHubModel, formatDownload, gitBlobSha1, ModelDownloadError, resolveEmbeddingModel, type DownloadProgress } from '../../../../src/core/embed/model-download';
import { transformersFiles } from '../../../../src/core/embed/transformers-models';
import { dot } from '../../../../src/core/embed/vector-math';
import { WorkerEmbedder } from '../../../../src/core/embed/worker-models';
import { COMMIT, startHubFileServer, type HubFileServer } from '../../../helpers/hub-file-server';
import { sharedModelDir, skipUnlessShared } from '../../../helpers/shared';

const fixture = sharedModelDir('minilm-shape-random');
const MODEL = 'Xenova/all-MiniLM-L6-v2';
const ONNX = 'onnx/model_quantized.onnx';
const { files, optionalFiles } = transformersFiles('q8');

describe('model download from a hub-layout file server (the fixture model at the hub URLs)', { skip: skipUnlessShared('the MiniLM-shaped fixture model', fixture) }, () => {
  let hub: HubFileServer;
  let cacheDir: string;
  before(async () => {
    hub = await startHubFileServer({ [MODEL]: fixture as string });
  });
  after(() => hub?.close());
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-models-'));
    hub.requests.length = 0;
  });
  const download = (extra: { onProgress?: (p: DownloadProgress) => void; signal?: AbortSignal; model?: string } = {}) =>
    ensureHubModel({ model: MODEL, files, optionalFiles, cacheDir, remoteHost: hub.url, connectTimeoutMs: 3000, ...extra });
  const onnxSize = () => fs.statSync(path.join(fixture as string, ONNX)).size;
  const sameBytes = (dir: string) => {
    for (const f of [...files, 'special_tokens_map.json']) assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(fixture as string, f))), `${f} is byte-identical`);
  };

  it('downloads with byte progress, verifies every file, and a second start makes no request', async () => {
    hub.throttle(256 * 1024);
    const events: DownloadProgress[] = [];
    const got = await download({ onProgress: (p) => events.push(p) });
    hub.throttle(0);
    assert.equal(got.fromCache, false);
    sameBytes(got.dir);
    assert.equal(got.manifest.commit, COMMIT, 'the resolved commit (X-Repo-Commit) is recorded');
    assert.deepEqual(got.manifest.files.map((f) => f.path).sort(), [...files, 'special_tokens_map.json'].sort(), '1_Pooling/config.json is optional: its 404 is skipped');
    // Progress: per file and overall, growing, ending at the model's size.
    const onnx = events.filter((e) => e.file === ONNX);
    assert.ok(onnx.length > 10, `${onnx.length} progress events for the weights`);
    assert.equal(onnx.at(-1)?.fileLoaded, onnxSize());
    assert.equal(onnx.at(-1)?.fileTotal, onnxSize());
    for (let i = 1; i < events.length; i++) assert.ok(events[i].loaded >= events[i - 1].loaded, 'overall bytes never go back');
    const total = got.manifest.files.reduce((a, f) => a + f.size, 0);
    assert.equal(events.at(-1)?.loaded, total);
    assert.ok(hub.requests.some((r) => r.url.startsWith('/cdn/')), 'the weights came through the redirect, as from the hub');
    assert.ok(!fs.readdirSync(path.join(cacheDir, '.partial')).length, 'nothing is left in the partial folder');

    hub.requests.length = 0;
    const again = await download();
    assert.equal(again.fromCache, true);
    assert.equal(again.dir, got.dir);
    assert.equal(hub.requests.length, 0, 'the cached model is used without any request');
    console.log(`# downloaded ${formatDownload(total, total)} in ${events.length} progress events; second start: ${hub.requests.length} requests`);
  });

  it('two downloads of the same model at once (two windows): one fetches, the other waits and uses its result', async () => {
    hub.throttle(512 * 1024);
    const [a, b] = await Promise.all([download(), download()]);
    hub.throttle(0);
    sameBytes(a.dir);
    assert.equal(a.dir, b.dir);
    assert.deepEqual([a.fromCache, b.fromCache].sort(), [false, true]);
    assert.equal(hub.requests.filter((r) => r.url === `/cdn/${MODEL}/${ONNX}`).length, 1, 'the weights were fetched once');
    assert.ok(!fs.readdirSync(path.join(cacheDir, '.partial')).some((f) => f.endsWith('.lock')), 'the lock is released');
  });

  it('resumes a connection dropped mid-file with a Range request and ends with the right bytes', async () => {
    hub.dropMidFile(ONNX, 5_000_000, 2);
    const got = await download();
    sameBytes(got.dir);
    // The connection is reset after 5 MB is sent: what reached the client before the reset is kept and resumed.
    const ranges = hub.requests.filter((r) => r.url === `/cdn/${MODEL}/${ONNX}`).map((r) => Number(/^bytes=(\d+)-$/.exec(r.range ?? 'bytes=0-')?.[1]));
    assert.equal(ranges.length, 3, 'two drops, two resumes');
    assert.equal(ranges[0], 0);
    assert.ok(ranges[1] > 0 && ranges[1] <= 5_000_000 && ranges[2] > ranges[1] && ranges[2] <= ranges[1] + 5_000_000, `resumed at ${ranges.join(', ')}`);
    assert.equal(got.bytesFetched, got.manifest.files.reduce((a, f) => a + f.size, 0), 'no byte was fetched twice');
  });

  it('resumes a partial file left by an earlier session (closed editor) instead of starting over', async () => {
    hub.dropMidFile(ONNX, 1_000_000, 10);
    await assert.rejects(download(), (e: unknown) => e instanceof ModelDownloadError && e.kind === 'unreachable' && /dropped 5 times/.test(e.message));
    assert.equal(cachedHubModel(cacheDir, MODEL), undefined, 'a failed download leaves no model in the cache');
    assert.ok(!fs.existsSync(path.join(cacheDir, 'Xenova__all-MiniLM-L6-v2.main')));
    hub.dropMidFile(ONNX, 0, 0);
    hub.requests.length = 0;
    const partial = fs.statSync(path.join(cacheDir, '.partial', 'Xenova__all-MiniLM-L6-v2.main', `${ONNX}.partial`)).size;
    assert.ok(partial > 0 && partial <= 5_000_000, `${partial} bytes kept from 5 attempts of at most 1 MB`);
    const got = await download();
    sameBytes(got.dir);
    const ranges = hub.requests.filter((r) => r.url.startsWith('/cdn/')).map((r) => r.range);
    assert.deepEqual(ranges, [`bytes=${partial}-`], 'the next session resumes from the partial file');
    assert.equal(got.bytesFetched, onnxSize() - partial + got.manifest.files.filter((f) => f.path !== ONNX).reduce((a, f) => a + f.size, 0));
  });

  it('fails a 404 with a message naming the model and file, and caches nothing', async () => {
    await assert.rejects(download({ model: 'Xenova/no-such-model' }), (e: unknown) => e instanceof ModelDownloadError && e.kind === 'not-found' && /Xenova\/no-such-model: config\.json is not on 127\.0\.0\.1:\d+ \(HTTP 404\)/.test(e.message));
    assert.deepEqual(fs.readdirSync(cacheDir).filter((f) => f !== '.partial'), []);
  });

  it('refetches a corrupt file once from byte 0, and fails with nothing cached when it stays corrupt', async () => {
    hub.corrupt(ONNX, 1);
    const ok = await download();
    sameBytes(ok.dir);
    assert.equal(hub.requests.filter((r) => r.url === `/cdn/${MODEL}/${ONNX}`).length, 2, 'one corrupt answer, then a clean one');

    fs.rmSync(cacheDir, { recursive: true });
    hub.corrupt('tokenizer.json', 5);
    await assert.rejects(download(), (e: unknown) => e instanceof ModelDownloadError && e.kind === 'checksum' && /tokenizer\.json failed verification: its git-sha1 does not match/.test(e.message));
    hub.corrupt('tokenizer.json', 0);
    assert.equal(cachedHubModel(cacheDir, MODEL), undefined);
    assert.ok(!fs.existsSync(path.join(cacheDir, 'Xenova__all-MiniLM-L6-v2.main')), 'no model folder holds the bad bytes');
  });

  it('cancels at once mid-file; the partial bytes stay for the next try', async () => {
    hub.throttle(64 * 1024);
    const controller = new AbortController();
    const t0 = performance.now();
    const p = download({ signal: controller.signal, onProgress: (e) => e.file === ONNX && e.fileLoaded > 1_000_000 && controller.abort() });
    await assert.rejects(p, (e: unknown) => e instanceof ModelDownloadError && e.kind === 'cancelled');
    hub.throttle(0);
    assert.ok(performance.now() - t0 < 10_000);
    const partial = path.join(cacheDir, '.partial', 'Xenova__all-MiniLM-L6-v2.main', `${ONNX}.partial`);
    assert.ok(fs.statSync(partial).size >= 1_000_000);
    assert.equal(cachedHubModel(cacheDir, MODEL), undefined);
  });

  it('resolves the setting end to end: downloads, starts the model from the verified folder, same vectors as the fixture', async () => {
    const r = await resolveEmbeddingModel({ model: MODEL, allowDownload: true, cacheDir, remoteHost: hub.url });
    assert.equal(r.fallback, undefined);
    assert.equal(r.spec.revision, COMMIT);
    const fromHub = await WorkerEmbedder.start(r.spec);
    const direct = await WorkerEmbedder.start({ model: fixture as string });
    try {
      assert.equal(fromHub.info.id, MODEL, 'the index records the hub id');
      assert.equal(fromHub.info.revision, COMMIT, 'and the commit it was downloaded at');
      const [a] = await fromHub.embed(['retrieval lens downloads models']);
      const [b] = await direct.embed(['retrieval lens downloads models']);
      assert.ok(dot(a, b) > 0.99999, `same vectors (${dot(a, b)})`);
    } finally {
      await fromHub.dispose();
      await direct.dispose();
    }
    hub.requests.length = 0;
    const off = await resolveEmbeddingModel({ model: MODEL, allowDownload: false, cacheDir, remoteHost: hub.url });
    assert.equal(off.fallback, undefined, 'a cached model is used even with downloads off');
    assert.equal(hub.requests.length, 0);
  });
});

describe('falling back to the built-in model', () => {
  it('uses USE-lite, saying why, when downloads are off and the model is not cached', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-models-'));
    const r = await resolveEmbeddingModel({ model: 'Xenova/bge-small-en-v1.5', allowDownload: false, cacheDir });
    assert.deepEqual(r.spec, { model: 'use-lite' });
    assert.equal(r.fallback?.reason, 'download-off');
    assert.match(r.fallback?.detail ?? '', /retrievalLens\.allowModelDownload/);
  });

  it('uses USE-lite within seconds when the host refuses the connection', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-models-'));
    // A port nothing listens on: bound, then closed.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const t0 = performance.now();
    const r = await resolveEmbeddingModel({ model: 'Xenova/bge-small-en-v1.5', allowDownload: true, cacheDir, remoteHost: `http://127.0.0.1:${port}/` });
    const ms = performance.now() - t0;
    assert.equal(r.fallback?.reason, 'unreachable');
    assert.match(r.fallback?.detail ?? '', /127\.0\.0\.1:\d+ could not be reached: ECONNREFUSED/);
    assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  });

  it('uses USE-lite after the connect timeout when the host accepts but never answers', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-models-'));
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const t0 = performance.now();
      const r = await resolveEmbeddingModel({ model: 'Xenova/bge-small-en-v1.5', allowDownload: true, cacheDir, remoteHost: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/`, connectTimeoutMs: 1000 });
      const ms = performance.now() - t0;
      assert.equal(r.fallback?.reason, 'unreachable');
      assert.match(r.fallback?.detail ?? '', /no answer within 1 s/);
      assert.ok(ms >= 950 && ms < 2500, `${ms.toFixed(0)} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('does not resolve non-hub values (a local folder, use-lite) through the download', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-models-'));
    assert.deepEqual((await resolveEmbeddingModel({ model: 'use-lite', allowDownload: true, cacheDir })).spec, { model: 'use-lite', dtype: undefined });
    assert.deepEqual((await resolveEmbeddingModel({ model: '/models/mine', allowDownload: true, cacheDir })).spec, { model: '/models/mine', dtype: undefined });
  });

  it('computes the git blob id the hub states for small files', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-sha-')), 'x');
    fs.writeFileSync(f, 'hello\n');
    assert.equal(gitBlobSha1(f), 'ce013625030ba8dba906f756967f9e9ca394464a'); // `git hash-object` of "hello\n"
  });
});
