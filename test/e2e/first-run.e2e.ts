import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHubFileServer, type HubFileServer } from '../helpers/hub-file-server';
import { sharedModelDir, skipUnlessShared } from '../helpers/shared';
import { findWebview, openWorkbench, runCommand, screenshot, type Workbench } from './harness';

const fixture = sharedModelDir('minilm-shape-random');

/**
 * A new user's first window, in the real workbench: the walkthrough opens once; the default model (here the
 * MiniLM-shaped fixture served under the default's hub id by a hub-layout file server that HF_ENDPOINT points
 * at) downloads with a progress notification and indexes; with downloads off, a model not downloaded yet gives
 * way to USE-lite with one notice saying so.
 */
describe('first run: walkthrough, default model download, offline fallback', { skip: skipUnlessShared('the MiniLM-shaped fixture model', fixture) }, () => {
  let wb: Workbench;
  let hub: HubFileServer;
  const saved = process.env.HF_ENDPOINT;
  before(async () => {
    hub = await startHubFileServer({ 'Xenova/bge-small-en-v1.5': fixture as string, 'Xenova/all-MiniLM-L6-v2': fixture as string });
    process.env.HF_ENDPOINT = hub.url; // inherited by code-server and its extension host
    wb = await openWorkbench('first-run', { walkthrough: true, settings: { 'retrievalLens.embeddingModel': 'Xenova/bge-small-en-v1.5' } });
  });
  after(async () => {
    await wb?.close();
    await hub?.close();
    if (saved === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = saved;
  });

  it('opens the walkthrough on the first window', async () => {
    await wb.page.locator('.gettingStartedContainer', { hasText: 'Debug retrieval with Retrieval Lens' }).first().waitFor({ timeout: 60_000 });
    await screenshot(wb.page, 'first-run-walkthrough');
  });

  it('downloads the default model with byte progress, then indexes with it', async () => {
    hub.throttle(16 * 1024); // about 1.6 MB/s: the 23 MB take long enough to be seen
    const requestsBefore = hub.requests.length;
    await runCommand(wb.page, 'Retrieval Lens: Build Index');
    const toast = wb.page.locator('.notification-toast', { hasText: 'downloading Xenova/bge-small-en-v1.5' }).filter({ hasText: /MB \([1-9]\d?%\)/ });
    await toast.first().waitFor({ timeout: 60_000 });
    await screenshot(wb.page, 'model-download-progress');
    assert.match(await toast.innerText(), /downloading Xenova\/bge-small-en-v1\.5[\s\S]*MB \(\d+%\)/);
    hub.throttle(0);
    await runCommand(wb.page, 'Retrieval Lens: Open Query Inspector');
    const frame = await findWebview(wb.page, 'header.status');
    await frame.locator('header.status[data-state="ready"]').waitFor({ timeout: 120_000 });
    assert.match(await frame.locator('header.status').innerText(), /22 documents · \d+ chunks · .* · Xenova\/bge-small-en-v1\.5/);
    assert.ok(hub.requests.length - requestsBefore >= 4, 'the model came from the hub-layout server');
    assert.ok(hub.requests.every((r) => !r.url.includes('..')));
  });

  it('shows the walkthrough only once: a window on another folder opens none', async () => {
    const other = path.join(path.dirname(wb.workspace), 'other-folder');
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, 'notes.md'), '# Notes\n\nA folder of its own.\n');
    const page = await wb.page.context().newPage();
    try {
      await page.goto(wb.server.workbenchUrl({ folder: other, extensionDevelopmentPath: path.resolve(__dirname, '..', '..') }));
      await page.waitForFunction('document.title.includes("Extension Development Host")', undefined, { timeout: 60_000 });
      await page.waitForTimeout(8000); // activation on startup has had its chance to open it
      assert.equal(await page.locator('.gettingStartedContainer', { hasText: 'Debug retrieval with Retrieval Lens' }).count(), 0);
    } finally {
      await page.close();
    }
  });

  it('with downloads off, a model not downloaded yet gives way to USE-lite with one notice', async () => {
    const requestsBefore = hub.requests.length;
    const settingsFile = path.join(wb.workspace, '.vscode', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'retrievalLens.embeddingModel': 'Xenova/all-MiniLM-L6-v2', 'retrievalLens.allowModelDownload': false }, null, 2));
    await wb.page.waitForTimeout(2000);
    await runCommand(wb.page, 'Retrieval Lens: Build Index');
    const notice = wb.page.locator('.notification-toast', { hasText: 'indexed with the built-in USE-lite, not Xenova/all-MiniLM-L6-v2' });
    await notice.waitFor({ timeout: 60_000 });
    assert.match(await notice.innerText(), /retrievalLens\.allowModelDownload/);
    await screenshot(wb.page, 'model-fallback-notice');
    const frame = await findWebview(wb.page, 'header.status');
    await frame.locator('header.status[data-state="ready"]', { hasText: 'use-lite' }).waitFor({ timeout: 120_000 });
    assert.equal(hub.requests.length, requestsBefore, 'nothing was requested with downloads off');
    // One notice per cause and session: building again says nothing new.
    await runCommand(wb.page, 'Retrieval Lens: Build Index');
    await wb.page.locator('.notification-toast', { hasText: 'Retrieval Lens: indexing' }).first().waitFor({ state: 'detached', timeout: 120_000 }).catch(() => undefined);
    await frame.locator('header.status[data-state="ready"]', { hasText: 'use-lite' }).waitFor({ timeout: 120_000 });
    // Counted in the notification center, which holds every notification of the session: a toast can be hidden
    // (collapsed into the center by newer toasts) before it is counted on screen.
    await runCommand(wb.page, 'Notifications: Show Notifications');
    const center = wb.page.locator('.notifications-center');
    await center.waitFor({ timeout: 30_000 });
    const inCenter = center.locator('.monaco-list-row', { hasText: 'indexed with the built-in USE-lite, not Xenova/all-MiniLM-L6-v2' });
    assert.equal(await inCenter.count(), 1, 'the notice is shown once');
    await wb.page.keyboard.press('Escape');
  });

  it('cancelling the download (the notification\'s Cancel) indexes with USE-lite and keeps the partial file', async () => {
    const settingsFile = path.join(wb.workspace, '.vscode', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'retrievalLens.allowModelDownload': true }, null, 2));
    await wb.page.waitForTimeout(2000);
    hub.throttle(8 * 1024);
    await runCommand(wb.page, 'Retrieval Lens: Build Index');
    const toast = wb.page.locator('.notification-toast', { hasText: 'downloading Xenova/all-MiniLM-L6-v2' }).filter({ hasText: /MB \([1-9]\d?%\)/ });
    await toast.first().waitFor({ timeout: 60_000 });
    await toast.first().getByRole('button', { name: 'Cancel' }).click();
    const notice = wb.page.locator('.notification-toast', { hasText: 'indexed with the built-in USE-lite, not Xenova/all-MiniLM-L6-v2: the download was cancelled' });
    await notice.waitFor({ timeout: 30_000 });
    assert.match(await notice.innerText(), /Build the index again to resume the download/);
    hub.throttle(0);
    const frame = await findWebview(wb.page, 'header.status');
    await frame.locator('header.status[data-state="ready"]', { hasText: 'use-lite' }).waitFor({ timeout: 120_000 });
    const storage = path.join(wb.server.stateDir, 'user-data', 'User', 'globalStorage', 'retrieval-lens.retrieval-lens', 'models');
    const partial = path.join(storage, '.partial', 'Xenova__all-MiniLM-L6-v2.main.q8', 'onnx', 'model_quantized.onnx.partial');
    assert.ok(fs.statSync(partial).size > 0, 'the bytes fetched so far stay for the next try');
    assert.ok(!fs.existsSync(path.join(storage, 'Xenova__all-MiniLM-L6-v2.main.q8')), 'no model folder until the download completes');
  });
});

/** What `npm start` opens (scripts/start.ts sets RETRIEVAL_LENS_START_DEMO=1 for code-server and its extension host). */
describe('npm start: the demo with the walkthrough and the Query Inspector, indexed in the background', () => {
  let wb: Workbench;
  const saved = process.env.RETRIEVAL_LENS_START_DEMO;
  before(async () => {
    process.env.RETRIEVAL_LENS_START_DEMO = '1';
    wb = await openWorkbench('start-demo', { walkthrough: true });
  });
  after(async () => {
    await wb?.close();
    if (saved === undefined) delete process.env.RETRIEVAL_LENS_START_DEMO;
    else process.env.RETRIEVAL_LENS_START_DEMO = saved;
  });

  it('opens both without a click and the index becomes ready with the offline model', async () => {
    await wb.page.locator('.gettingStartedContainer', { hasText: 'Debug retrieval with Retrieval Lens' }).first().waitFor({ timeout: 60_000 });
    // The inspector opens once the walkthrough command returns; in a full test run that once took over the default
    // 60 s (alone: 22 s for the whole file), so it gets the same time as the index.
    const frame = await findWebview(wb.page, 'header.status', 180_000);
    await frame.locator('header.status[data-state="ready"]').waitFor({ timeout: 180_000 });
    assert.match(await frame.locator('header.status').innerText(), /22 documents · \d+ chunks · .* · use-lite/);
    await screenshot(wb.page, 'npm-start-first-run');
  });
});
