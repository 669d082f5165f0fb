import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { CharTrigramEmbedder } from '../helpers/char-ngram-embedder';
import { startEmbeddingsServer, startJsonServer, type TestServer } from '../helpers/protocol-servers';
import { findWebview, markSelectionForNewQuery, openWorkbench, runCommand, screenshot, type Workbench } from './harness';

/** Every file under the workspace with its size and mtime: what "nothing was written" is checked against. */
function snapshot(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[])
    .sort()
    .map((f) => {
      const st = fs.statSync(path.join(root, f));
      return st.isFile() ? `${f} ${st.size} ${st.mtimeMs}` : `${f}/`;
    });
}

/**
 * A cloned repository opened in VS Code's Restricted Mode (workspace trust on, the folder not trusted), whose
 * settings name a model folder, downloads, a retriever and an embeddings endpoint — the last two real servers started
 * here, so any request they get is seen. The extension must index with the bundled USE-lite, contact nothing, write
 * nothing into the workspace, and say so.
 */
describe('Restricted Mode in a real VS Code: an untrusted repository cannot make the extension load, contact or write', () => {
  let retriever: TestServer;
  let embeddings: TestServer;
  let wb: Workbench;
  let page: Page;
  let before0: string[];

  before(async () => {
    retriever = await startJsonServer(() => ({ body: { results: [{ id: 'x', score: 1, text: 'leaked' }] } }));
    embeddings = await startEmbeddingsServer(new CharTrigramEmbedder());
    wb = await openWorkbench('restricted-mode', {
      restricted: true,
      settings: {
        'retrievalLens.embeddingModel': 'team-embeddings',
        'retrievalLens.embeddingEndpoints': { 'team-embeddings': { url: `${embeddings.url}/v1`, model: 'm' } },
        'retrievalLens.allowModelDownload': true,
        'retrievalLens.rerankerModel': '/tmp/not-a-model',
        'retrievalLens.retrievers': { 'rag-service': { type: 'http', preset: 'plain', url: `${retriever.url}/search` } },
      },
    });
    page = wb.page;
    before0 = snapshot(wb.workspace);
  });
  after(async () => {
    await wb?.close();
    await retriever?.close();
    await embeddings?.close();
  });

  it('indexes with the bundled USE-lite, shows the limits, contacts neither server and writes no label', async () => {
    // The workbench itself is in Restricted Mode.
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60_000 });
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    let f = await findWebview(page, '#build-index');
    await f.locator('#build-index').click();
    const notice = page.locator('.notifications-toasts .notification-toast', { hasText: 'Retrieval Lens runs in Restricted Mode because this workspace is not trusted' });
    await notice.waitFor({ timeout: 60_000 });
    const text = await notice.innerText();
    // VS Code itself withholds the workspace's values of restricted settings from extensions in Restricted Mode, so the
    // extension sees the defaults (the default hub model, never the workspace's "team-embeddings"); the notice says
    // what runs instead.
    assert.match(text, /embedding uses the built-in USE-lite(; |, not "Xenova\/bge-small-en-v1\.5": )no model folder or hub model is loaded; no model is downloaded/);
    assert.doesNotMatch(text, /team-embeddings/);
    assert.match(text, /no external retriever or endpoint named by settings is contacted/);
    f = await findWebview(page, 'header.status[data-state="ready"]', 120_000);
    assert.match(await f.locator('header.status').innerText(), /use-lite/);
    const status = page.locator('.statusbar-item', { hasText: 'chunks' }).first();
    assert.ok((await status.innerHTML()).includes('codicon-shield'), 'the status bar item carries the shield');

    await f.locator('#query input').fill('rotate an API key');
    await f.locator('#search').click();
    await f.locator('.column[data-retriever="hybrid"] .hit').first().waitFor({ timeout: 60_000 });
    // The retriever of the workspace settings is withheld by VS Code: no column, no question, no request.
    assert.deepEqual(await f.locator('.column').evaluateAll((els) => els.map((e) => e.getAttribute('data-retriever'))), ['keyword', 'dense', 'hybrid']);
    assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no consent question in Restricted Mode');

    // Label the revealed hit: refused with the reason, the eval set untouched.
    await f.locator('.column[data-retriever="hybrid"] .hit').first().click();
    await page.locator('.monaco-editor .selected-text').first().waitFor({ timeout: 10_000 });
    await markSelectionForNewQuery(page, 'a label an untrusted workspace must not get', 'answers it partly');
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'was not saved: this workspace is not trusted (Restricted Mode)' }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'restricted-mode');

    assert.equal(retriever.requests.length, 0, 'the retriever named in settings got no request');
    assert.equal(embeddings.requests.length, 0, 'the embeddings endpoint named in settings got no request');
    assert.deepEqual(snapshot(wb.workspace), before0, 'nothing in the workspace was written, created or deleted');
  });
});
