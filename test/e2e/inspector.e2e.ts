import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { openWorkbench, runCommand, screenshot, type Workbench } from './harness';

/** The frame (two iframes deep) of the webview that contains `selector`. */
async function webview(page: Page, selector: string, timeout = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const f of page.frames()) {
      if (!f.url().includes('fake.html') && !f.url().includes('index.html')) continue;
      if (await f.locator(selector).count().catch(() => 0)) return f;
    }
    if (Date.now() > deadline) throw new Error(`no webview with ${selector}`);
    await page.waitForTimeout(250);
  }
}

describe('Query Inspector, labeling and baseline in a real VS Code', () => {
  let wb: Workbench;
  let page: Page;
  before(async () => {
    wb = await openWorkbench('inspector');
    page = wb.page;
  });
  after(async () => wb?.close());

  it('opens from the command palette and answers the typed ready request', async () => {
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    const f = await webview(page, '.footer');
    assert.match(await f.locator('.footer').innerText(), /VS Code 1\.100\.3 · activated in \d+ ms/);
  });

  it('builds the index from the webview button and searches all retrievers side by side', async () => {
    const f = await webview(page, '#build-index');
    await f.locator('#build-index').click();
    await f.locator('header.status[data-state="ready"]').waitFor({ timeout: 120_000 });
    await f.locator('#query input').fill('QS-4091 partition fenced');
    await f.locator('#search').click();
    await f.locator('.column[data-retriever="hybrid"] .hit').first().waitFor({ timeout: 60_000 });
    const cols = await f.locator('.column').evaluateAll((els) => els.map((e) => e.getAttribute('data-retriever')));
    assert.deepEqual(cols, ['keyword', 'dense', 'hybrid']);
    const top = f.locator('.column[data-retriever="keyword"] .hit').first();
    assert.match(await top.locator('.doc').innerText(), /error-codes\.md/);
    assert.match(await top.locator('.explain').innerText(), /^BM25 [\d.]+ = .*\b4091:[\d.]+/);
    await screenshot(page, 'inspector-results');
  });

  it('reveals a result in the editor when clicked', async () => {
    const f = await webview(page, '.column[data-retriever="keyword"] .hit');
    await f.locator('.column[data-retriever="keyword"] .hit').first().click();
    await page.locator('.tab.active', { hasText: 'error-codes.md' }).waitFor({ timeout: 20_000 });
    await page.locator('.monaco-editor .selected-text').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'reveal-span');
  });

  it('labels the selection for a new query and shows it in the Eval Set view and file', async () => {
    await runCommand(page, 'Retrieval Lens: Mark Relevant for Query…');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Mark relevant for which query?' }).waitFor();
    await input.fill('New query');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'New query' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New query' }).waitFor();
    await input.fill('what does partition fenced mean');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'answers it partly' }).click();
    const file = path.join(wb.workspace, '.retrieval-lens', 'evalset.jsonl');
    const labeled = () => fs.readFileSync(file, 'utf8').split('\n').find((l) => l.includes('what does partition fenced mean') && l.includes('"grade":2'));
    const deadline = Date.now() + 10_000;
    while (!labeled() && Date.now() < deadline) await page.waitForTimeout(200);
    const line = labeled();
    assert.ok(line, 'the eval set file holds the new query');
    const q = JSON.parse(line);
    assert.equal(q.judgments[0].grade, 2);
    assert.equal(q.judgments[0].target.docId, 'docs/troubleshooting/error-codes.md');
    await page.locator('.activitybar [aria-label^="Retrieval Lens"]').first().click();
    await page.locator('.monaco-list-row', { hasText: 'what does partition fenced mean' }).first().waitFor({ timeout: 20_000 });
    await screenshot(page, 'eval-set-view');
  });

  it('shows chunk boundaries and a CodeLens per chunk in the editor', async () => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('retries.md');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'retries.md' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'retries.md' }).waitFor();
    const lens = page.locator('.codelens-decoration', { hasText: 'chunk 1/' });
    await lens.first().waitFor({ timeout: 20_000 });
    assert.match(await lens.first().innerText(), /chunk 1\/\d+ · [0-9a-f]{8} · \d+ tokens/);
    await screenshot(page, 'chunk-annotations');
  });

  it('runs a baseline and shows its charts', async () => {
    await runCommand(page, 'Retrieval Lens: Run Baseline Evaluation');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hybrid' }).waitFor();
    await page.keyboard.press('Enter');
    const f = await webview(page, '#metrics svg', 120_000);
    assert.ok((await f.locator('#metrics svg').count()) >= 5);
    assert.match(await f.locator('h2').first().innerText(), /^Baseline: \d+ eval queries, chunk level, K = 10$/);
    assert.ok(await f.locator('#categories rect').count());
    await screenshot(page, 'baseline');
  });

  it('shows the fine-tune readiness report', async () => {
    await runCommand(page, 'Retrieval Lens: Show Fine-Tune Readiness Report');
    const f = await webview(page, 'h1', 240_000);
    assert.match(await f.locator('h1').first().innerText(), /^Fine-tune readiness: .*Fine-tuning (not justified|justified)/);
    assert.ok(await f.locator('table').count() >= 3);
    await screenshot(page, 'readiness-report');
  });
});
