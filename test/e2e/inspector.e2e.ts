import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openWorkbench, runCommand, screenshot, type Workbench, findWebview, markSelectionForNewQuery } from './harness';

const webview = findWebview;

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

  it('fuses with the method typed in the form, refuses invalid input, and filters by heading path', async () => {
    const f = await webview(page, '.column[data-retriever="hybrid"] .hit');
    const meta = f.locator('section.meta');
    assert.match(await meta.innerText(), /hybrid: weighted min-max, dense weight 0\.2\b/, 'untouched fields report the workspace settings');
    await f.locator('vscode-collapsible.fusion .collapsible-header').click();

    // Invalid input shows inline and is never sent: the results keep describing the previous query.
    await f.locator('#fusion-dense-weight input').fill('1.5');
    await f.locator('.field-error', { hasText: 'dense weight must be a number from 0 to 1' }).waitFor();
    await screenshot(page, 'inspector-fusion-invalid');
    await f.locator('#query input').fill('retry backoff');
    await f.locator('#search').click();
    await page.waitForTimeout(2_000);
    assert.match(await meta.innerText(), /^“QS-4091 partition fenced”/);
    await f.locator('#fusion-dense-weight input').fill('');
    assert.equal(await f.locator('.field-error').count(), 0);

    await f.locator('#fusion-method').click();
    await f.locator('#fusion-method li[role="option"]', { hasText: 'RRF' }).click();
    assert.equal(await f.locator('#fusion-dense-weight').evaluate((e) => e.hasAttribute('disabled')), true, 'RRF has no dense weight');
    await f.locator('#fusion-rrf-k input').fill('10');
    await f.locator('#query input').fill('QS-4091 partition fenced');
    await f.locator('#search').click();
    await meta.filter({ hasText: 'hybrid: RRF k=10' }).waitFor({ timeout: 60_000 });
    const explanations = await f.locator('.column[data-retriever="hybrid"] .hit .explain').allInnerTexts();
    assert.ok(explanations.length > 0);
    for (const text of explanations) {
      const m = /^rrf: keyword #(\d+|—) → ([\d.]+) \+ dense #(\d+|—) → ([\d.]+) = ([\d.]+)$/.exec(text);
      assert.ok(m, `an RRF explanation: ${text}`);
      const term = (rank: string) => (rank === '—' ? 0 : 1 / (10 + Number(rank))).toFixed(4);
      assert.equal(m[2], term(m[1]), `keyword term of ${text} is 1 / (k + rank)`);
      assert.equal(m[4], term(m[3]), `dense term of ${text} is 1 / (k + rank)`);
    }

    await f.locator('vscode-collapsible.filters .collapsible-header').click();
    // A half-typed date reads as '' in the browser: it must fail inline instead of silently dropping the filter.
    await f.locator('#filter-modified-after input').click();
    await page.keyboard.type('01');
    await f.locator('#search').click();
    await f.locator('.field-error', { hasText: 'modified after: complete the date' }).waitFor();
    await f.locator('#filter-modified-after input').fill('');
    await f.locator('.field-error').waitFor({ state: 'detached' });

    await f.locator('#filter-heading input').fill('error codes');
    await f.locator('#search').click();
    await meta.filter({ hasText: /filter removed \d+ chunks/ }).waitFor({ timeout: 60_000 });
    assert.match(await meta.innerText(), /hybrid: RRF k=10/);
    const headings = await f.locator('.column[data-retriever="keyword"] .hit .heading').allInnerTexts();
    assert.ok(headings.length > 0 && headings.every((h) => /error codes/i.test(h)), headings.join(' | '));
    await screenshot(page, 'inspector-fusion');

    // Back to the workspace settings and no filter, so the tests after this one see the plain search.
    await f.locator('#filter-heading input').fill('');
    await f.locator('#fusion-rrf-k input').fill('');
    await f.locator('#fusion-method').click();
    await f.locator('#fusion-method li[role="option"]', { hasText: 'from settings' }).click();
    await f.locator('#search').click();
    await meta.filter({ hasText: 'hybrid: weighted min-max' }).waitFor({ timeout: 60_000 });
    assert.doesNotMatch(await meta.innerText(), /filter removed/);
  });

  it('reveals a result in the editor when clicked', async () => {
    const f = await webview(page, '.column[data-retriever="keyword"] .hit');
    await f.locator('.column[data-retriever="keyword"] .hit').first().click();
    await page.locator('.tab.active', { hasText: 'error-codes.md' }).waitFor({ timeout: 20_000 });
    await page.locator('.monaco-editor .selected-text').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'reveal-span');
  });

  it('labels the selection for a new query and shows it in the Eval Set view and file', async () => {
    await markSelectionForNewQuery(page, 'what does partition fenced mean', 'answers it partly');
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
    assert.match(await lens.first().innerText(), /chunk 1\/\d+ · \d+ tokens/);
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
    // The hybrid trade-off: keyword, 7 weights, dense along the curve, and a verdict against the best single retriever.
    assert.equal(await f.locator('#fusion-sweep polyline').count(), 1);
    assert.equal(await f.locator('#fusion-sweep circle[r="3"]').count(), 9);
    assert.match(await f.locator('#sweep-verdict').innerText(), /^The configured hybrid \(weighted min-max, dense weight 0\.2\) scores 0\.\d{3} ndcg_cut_10, (at least|below) (keyword|dense) \(0\.\d{3}\)/);
    await f.locator('#fusion-sweep').scrollIntoViewIfNeeded();
    await screenshot(page, 'baseline-fusion-sweep');
  });

  it('shows the fine-tune readiness report', async () => {
    await runCommand(page, 'Retrieval Lens: Show Fine-Tune Readiness Report');
    const f = await webview(page, 'h1', 240_000);
    assert.match(await f.locator('h1').first().innerText(), /^Fine-tune readiness: .*Fine-tuning (not justified|justified)/);
    assert.ok(await f.locator('table').count() >= 3);
    await screenshot(page, 'readiness-report');
    // The same report as Markdown (what the CLI's `diagnose --markdown` writes), opened from the app.
    await f.locator('#open-markdown').click();
    await page.locator('.tab', { hasText: 'Preview readiness-report.md' }).first().waitFor({ timeout: 30_000 });
  });
});
