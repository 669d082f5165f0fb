import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startJsonServer, type TestServer } from '../helpers/protocol-servers';
import { findWebview, openWorkbench, runCommand, screenshot, type Workbench } from './harness';

/**
 * A slow production retriever in the baseline: a plain `{results: [...]}` search service that answers each query
 * after 1.5 s, one query at a time. The baseline shows its progress per query, and Cancel stops sending queries.
 */
describe('Baseline over a slow configured retriever in a real VS Code: progress, and Cancel stops the queries', () => {
  let service: TestServer;
  let wb: Workbench;
  let page: Page;

  before(async () => {
    service = await startJsonServer(() => ({ delayMs: 1500, body: { results: [{ id: 'docs/guides/retries.md', score: 1 }] } }));
    wb = await openWorkbench('baseline-cancel', {
      settings: { 'retrievalLens.retrievers': { 'slow-rag': { type: 'http', preset: 'plain', url: `${service.url}/search`, concurrency: 1, documentId: { from: 'id' } } } },
    });
    page = wb.page;
  });
  after(async () => {
    await wb?.close();
    await service?.close();
  });

  it('shows "slow-rag: n/N queries" while it runs, and after Cancel sends no further query', async () => {
    await runCommand(page, 'Retrieval Lens: Run Baseline Evaluation');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hybrid' }).waitFor({ timeout: 120_000 });
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'retriever "slow-rag"' });
    await dialog.waitFor({ timeout: 120_000 });
    await dialog.locator('a.monaco-button', { hasText: 'Allow' }).click();
    const toast = page.locator('.notification-toast', { hasText: 'running the baseline' });
    await toast.filter({ hasText: /slow-rag: 2\/\d+ queries/ }).waitFor({ timeout: 60_000 });
    const total = Number(/slow-rag: 2\/(\d+) queries/.exec(await toast.innerText())?.[1]);
    assert.ok(total > 4, `the demo has ${total} eval queries`);
    await screenshot(page, 'baseline-cancel-progress');
    await toast.hover();
    await toast.locator('a.monaco-button', { hasText: 'Cancel' }).click();
    await page.locator('.notification-toast', { hasText: 'baseline cancelled while scoring the configured retrievers; the local results are shown' }).waitFor({ timeout: 20_000 });
    const sent = service.requests.length;
    assert.ok(sent < total, `${sent} of ${total} queries were sent before Cancel`);
    // The local results are shown; the retriever sends nothing more (the query in flight at Cancel may finish).
    const f = await findWebview(page, '#metrics', 30_000);
    assert.equal(await f.locator('#configured-retrievers').count(), 0, 'no half-scored configured retriever line');
    await page.waitForTimeout(4000);
    assert.ok(service.requests.length <= sent + 1, `after Cancel: ${service.requests.length - sent} more requests`);
  });
});
