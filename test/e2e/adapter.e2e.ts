import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { QueryAdapter } from '../../src/core/adapt/query-adapter';
import { findWebview, openWorkbench, runCommand, screenshot, type Workbench } from './harness';

/**
 * The query adapter in a real VS Code on the demo workspace: train it from the baseline view's link (the trial
 * fine-tune with progress), switch it on, see "dense" and "dense + adapter" side by side in the Query Inspector,
 * and open the query neighbourhood view from the inspector and from a missed span's quick fix.
 */
describe('query adapter and neighbourhood view in a real VS Code', () => {
  let wb: Workbench;
  let page: Page;
  let adapterId = '';
  let inspector: Frame;
  before(async () => {
    wb = await openWorkbench('adapter');
    page = wb.page;
  });
  after(async () => wb?.close());

  const columns = async (f: Frame) => f.locator('.column').evaluateAll((els) => els.map((e) => e.getAttribute('data-retriever')));

  it('runs a baseline whose view links to training a query adapter', { timeout: 400_000 }, async () => {
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    const f = await findWebview(page, '#build-index');
    await f.locator('#build-index').click();
    await f.locator('header.status[data-state="ready"]').waitFor({ timeout: 180_000 });
    assert.match(await f.locator('.adapter-toggle').getAttribute('data-state') ?? '', /^off$/, 'no adapter before training');
    await runCommand(page, 'Retrieval Lens: Run Baseline Evaluation');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hybrid' }).waitFor();
    await page.keyboard.press('Enter');
    const b = await findWebview(page, '#train-adapter', 180_000);
    assert.match(await b.locator('#adapter-note').innerText(), /No query adapter|no query adapter/);
  });

  it('trains from the baseline view: the trial result with CI and p, the adapter and its runs saved', { timeout: 400_000 }, async () => {
    const b = await findWebview(page, '#train-adapter');
    await b.locator('#train-adapter').click();
    const toast = page.locator('.notification-toast', { hasText: 'query adapter: dense nDCG@10' });
    await toast.waitFor({ timeout: 300_000 });
    const text = await toast.innerText();
    const m = /dense nDCG@10 (\d\.\d{3}) → (\d\.\d{3}) \(([+-]\d\.\d{3}), 95% CI \[([+-]\d\.\d{3}), ([+-]\d\.\d{3})\], p = (\d\.\d{3})\) on (\d+) eval queries, trained on (\d+) pairs\. Saved as (adapter-[\w.-]+)\./.exec(text);
    assert.ok(m, `the trial's headline: ${text}`);
    adapterId = m[9];
    // A toast without focus hides after a while: take up its offer first, check the files after.
    await toast.locator('.monaco-button', { hasText: 'Use This Adapter' }).click();
    const dir = path.join(wb.workspace, '.retrieval-lens', 'adapters', adapterId);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.id, adapterId);
    assert.equal(manifest.metrics.delta.toFixed(3), Number(m[3]).toFixed(3), 'the manifest holds the gain the notification states');
    assert.equal(manifest.metrics.pValue.toFixed(3), m[6]);
    assert.equal(fs.statSync(path.join(dir, 'weights.f32')).size, manifest.model.dims * manifest.model.dims * 4);
    const runs = fs.readdirSync(path.join(wb.workspace, '.retrieval-lens', 'runs'));
    const adapted = runs.filter((r) => r.includes('dense+adapter'));
    assert.ok(adapted.length >= 1, `an adapted run is recorded: ${runs.join(', ')}`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(wb.workspace, '.retrieval-lens', 'runs', adapted[0]), 'utf8')).manifest.queryAdapter, adapterId);
    // The trial's report opens as a Markdown preview.
    const report = await findWebview(page, 'h1', 60_000);
    assert.match(await report.locator('h1').first().innerText(), /^Trial fine-tune: a query adapter for use-lite/);
    console.log(`trained in the editor: ${m[0]}`);
    await screenshot(page, 'adapter-trained');
    const settings = path.join(wb.workspace, '.vscode', 'settings.json');
    const deadline = Date.now() + 20_000;
    while (!fs.readFileSync(settings, 'utf8').includes(adapterId) && Date.now() < deadline) await page.waitForTimeout(200);
    assert.equal(JSON.parse(fs.readFileSync(settings, 'utf8'))['retrievalLens.queryAdapter'], adapterId);
  });

  it('toggles the adapter in the inspector: dense and dense + adapter side by side', { timeout: 300_000 }, async () => {
    // Room for the columns: the trial's report and the side bar closed.
    // (Clicks, not keys: a webview without scripts, like the baseline view, does not pass keys on.)
    const preview = page.locator('.tab', { hasText: 'Preview trial-' }).first();
    await preview.hover();
    await preview.locator('.tab-actions .action-label').click();
    await preview.waitFor({ state: 'detached', timeout: 10_000 });
    await page.locator('.activitybar [aria-label^="Explorer"]').first().click();
    await page.locator('.tab', { hasText: 'Query Inspector' }).first().click();
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    inspector = await findWebview(page, '.adapter-toggle[data-state="ready"]', 60_000);
    const f = inspector;
    assert.match(await f.locator('.adapter-status').innerText(), new RegExp(`^${adapterId} · trained [+-]\\d\\.\\d{3} nDCG@10`));
    await f.locator('#eval-query').click();
    await f.locator('#eval-query li[role="option"]', { hasText: 'backoff: what backoff' }).click();
    await f.locator('.column[data-retriever="dense+adapter"] .hit').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await columns(f), ['keyword', 'dense', 'dense+adapter', 'hybrid', 'hybrid+adapter']);
    const plain = await f.locator('.column[data-retriever="dense"] .hit .explain').allInnerTexts();
    const adapted = await f.locator('.column[data-retriever="dense+adapter"] .hit .explain').allInnerTexts();
    assert.ok(plain.length && adapted.length);
    assert.notDeepEqual(adapted, plain, 'the adapter changes the dense cosines');
    await f.locator('.column[data-retriever="dense+adapter"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'inspector-adapter');
    // Off: the plain columns only; on again: side by side.
    await f.locator('#adapter-toggle').click();
    await f.locator('.column[data-retriever="dense+adapter"]').waitFor({ state: 'detached', timeout: 60_000 });
    assert.deepEqual(await columns(f), ['keyword', 'dense', 'hybrid']);
    await f.locator('#adapter-toggle').click();
    await f.locator('.column[data-retriever="dense+adapter"] .hit').first().waitFor({ timeout: 60_000 });
    assert.match(await f.locator('section.meta').innerText(), /adapter [\d.]+ ms/);
    // The baseline view now runs dense and hybrid with the adapter too, beside the others.
    await runCommand(page, 'Retrieval Lens: Run Baseline Evaluation');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hybrid' }).waitFor();
    await page.keyboard.press('Enter');
    const b = await findWebview(page, '#metrics g[data-run="hybrid + adapter"]', 180_000);
    const runs = await b.locator('#metrics svg').first().locator('g[data-run]').evaluateAll((els) => els.map((e) => e.getAttribute('data-run')));
    assert.deepEqual(runs, ['keyword', 'dense', 'hybrid', 'dense + adapter', 'hybrid + adapter']);
    assert.match(await b.locator('#adapter-note').innerText(), new RegExp(`map each query vector with ${adapterId}`));
    assert.ok(await b.locator('h3[data-run="dense + adapter"]').count(), 'per-query wins and losses of the adapted run');
    // The adapter's learning curve from its saved trial: the demo has no synthetic queries, so one series.
    assert.deepEqual(await b.locator('#adapter-curve g.curve-series').evaluateAll((els) => els.map((e) => e.getAttribute('data-series'))), ['all pairs']);
    assert.ok((await b.locator('#adapter-curve g.curve-series circle').count()) >= 2, 'a point per share');
    assert.match(await b.locator('#adapter-curve-legend').innerText(), /all pairs \(\d+ pairs?\)/);
    await b.locator('#adapter-note').scrollIntoViewIfNeeded();
    await screenshot(page, 'baseline-adapter');
    // Closed again (the close button: a webview without scripts takes no keys), so the inspector has the room.
    const tab = page.locator('.tab', { hasText: 'Baseline Results' }).first();
    await tab.hover();
    await tab.locator('.tab-actions .action-label').click();
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('opens the query neighbourhood from the inspector: scatter plot and the distances as text', { timeout: 300_000 }, async () => {
    // Its tab, not the palette: right after the baseline tab closed, focus may sit where no key is heard.
    await page.locator('.tab', { hasText: 'Query Inspector' }).first().click();
    inspector = await findWebview(page, '.column[data-retriever="dense+adapter"] .hit', 60_000);
    await inspector.locator('#open-neighbourhood').click();
    const n = await findWebview(page, '.nb-plot', 60_000);
    assert.match(await n.locator('.nb-title').innerText(), /^Neighbourhood of “what backoff do the SDKs use when retrying” \(backoff\)$/);
    assert.equal(await n.locator('.nb').getAttribute('data-adapter'), adapterId);
    const rows = await n.locator('.nb-table tr.point').evaluateAll((els) =>
      els.map((e) => ({ role: e.getAttribute('data-role'), cells: [...e.querySelectorAll('td')].map((td) => td.textContent ?? '') })),
    );
    assert.ok(rows.some((r) => r.role === 'relevant'), 'the labeled span\'s chunk is shown');
    assert.ok(rows.some((r) => r.role === 'confuser'), 'the chunks that outrank it are shown as confusers');
    assert.equal(await n.locator('.nb-plot .nb-point').count(), rows.length, 'one marker per table row');
    assert.equal(await n.locator('.nb-plot .nb-query').count(), 2, 'the query before and after the adapter');
    for (const r of rows) {
      const cos = /^(-?\d\.\d{3}) → (-?\d\.\d{3})$/.exec(r.cells[5]);
      const dist = /^(\d\.\d{3}) → (\d\.\d{3})$/.exec(r.cells[6]);
      assert.ok(cos && dist, `cosines and distances before → after: ${r.cells.join(' | ')}`);
      // The distance between unit vectors is √(2 − 2 cos): the two columns agree to the printed precision.
      assert.ok(Math.abs(Math.sqrt(2 - 2 * Number(cos[1])) - Number(dist[1])) < 0.002, r.cells.join(' | '));
    }
    assert.match(await n.locator('.nb-pca').innerText(), /the axes keep \d+% and \d+% of their variance/);
    console.log(`neighbourhood of "backoff": ${rows.length} chunks (${['relevant', 'confuser', 'retrieved'].map((k) => `${rows.filter((r) => r.role === k).length} ${k}`).join(', ')}); ${(await n.locator('.nb-summary').innerText()).replace(/\n/g, '; ')}`);
    await screenshot(page, 'neighbourhood');
  });

  it('offers the neighbourhood as a quick fix on a missed span in the Problems panel', { timeout: 300_000 }, async () => {
    // Close the view, then reopen it from the diagnostic of the span dense missed for "backoff".
    await page.locator('.tab', { hasText: 'Query Neighbourhood' }).first().click();
    await page.keyboard.press('Control+W');
    await page.locator('.tab', { hasText: 'Query Neighbourhood' }).waitFor({ state: 'detached', timeout: 10_000 });
    // From the palette, not Ctrl+Shift+M: after the tab closes the focus can sit in the inspector's webview while it
    // reloads, which does not pass keys on (runCommand falls back to the title bar's command centre).
    await runCommand(page, 'Focus Problems (Errors, Warnings, Infos)');
    const marker = page.locator('.markers-panel .monaco-list-row', { hasText: 'missed for "what backoff do the SDKs use when retrying"' }).first();
    await marker.waitFor({ timeout: 30_000 });
    await marker.click();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'retries.md' }).waitFor({ timeout: 20_000 });
    await page.locator('.monaco-editor.focused').first().waitFor({ timeout: 10_000 });
    const fix = page.locator('.monaco-list-row.action', { hasText: 'Retrieval Lens: Show query neighbourhood' });
    // Code actions are computed once the diagnostics reach the editor: ask again until ours is listed.
    for (let attempt = 0; ; attempt++) {
      await page.keyboard.press('Control+.');
      try {
        await fix.waitFor({ timeout: 4_000 });
        break;
      } catch (e) {
        if (attempt >= 4) throw e;
        await page.keyboard.press('Escape');
        await page.waitForTimeout(1_000);
      }
    }
    await screenshot(page, 'neighbourhood-quick-fix');
    // The focused row of the action list; Enter applies it (a click races the list's hover re-render).
    await page.keyboard.press('Enter');
    const n = await findWebview(page, '.nb-plot', 60_000);
    assert.match(await n.locator('.nb-title').innerText(), /what backoff do the SDKs use when retrying/);
  });

  it('refuses an adapter of another model and dimension with one message; the inspector works without it', { timeout: 300_000 }, async () => {
    // A well-formed adapter folder for a 16-dim model: loadable, but not for this 512-dim use-lite index.
    const other = QueryAdapter.identity({ id: 'other-model', revision: '1', dims: 16 });
    const dir = path.join(wb.workspace, '.retrieval-lens', 'adapters', 'wrong-dims');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'weights.f32'), new Uint8Array(other.weights.buffer));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ formatVersion: 1, id: other.id, createdAt: new Date().toISOString(), model: { id: 'other-model', revision: '1', dims: 16, provider: 'test' }, weightsSha256: QueryAdapter.hashWeights(other.weights) }));
    const settings = path.join(wb.workspace, '.vscode', 'settings.json');
    fs.writeFileSync(settings, JSON.stringify({ ...JSON.parse(fs.readFileSync(settings, 'utf8')), 'retrievalLens.queryAdapter': 'wrong-dims' }, null, 2));
    const toast = page.locator('.notification-toast', { hasText: 'retrievalLens.queryAdapter "wrong-dims" was refused' });
    await toast.waitFor({ timeout: 30_000 }).catch(async (e: unknown) => {
      await screenshot(page, 'adapter-refused-failed');
      throw e;
    });
    assert.match(await toast.innerText(), /trained for 16-dim vectors of other-model; the index's model use-lite gives 512-dim vectors\. Searches run without the adapter\./);
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    const f = await findWebview(page, '.adapter-toggle[data-state="error"]', 30_000);
    assert.match(await f.locator('.adapter-status').innerText(), /was refused: query adapter was trained for 16-dim vectors/);
    assert.equal(await f.locator('#adapter-toggle').evaluate((e) => e.hasAttribute('disabled')), true);
    await f.locator('#query input').fill('retry backoff jitter');
    await f.locator('#search').click();
    await f.locator('section.meta', { hasText: '“retry backoff jitter”' }).waitFor({ timeout: 60_000 });
    assert.deepEqual(await columns(f), ['keyword', 'dense', 'hybrid'], 'plain columns, no adapter ones');
    assert.ok(await f.locator('.column[data-retriever="dense"] .hit').count());
    assert.equal(await f.locator('.adapter-error').count(), 0, 'the search itself is not an error');
    await screenshot(page, 'adapter-refused');
    assert.equal(await page.locator('.notification-toast', { hasText: 'was refused' }).count(), 1, 'one message, not one per search');
  });
});
