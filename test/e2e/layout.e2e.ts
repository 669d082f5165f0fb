import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { findWebview, openWorkbench, runCommand, screenshot, screenshotDir, type Workbench } from './harness';

/**
 * What a newcomer sees at two sizes: a 1280 × 800 window, and the views in a pane about 500 px wide. Every result
 * view (inspector, baseline, readiness report, neighbourhood) opens in one editor group and lays itself out for
 * the width it gets: nothing runs past the pane's edge, no element clips its content (a path elided in the middle
 * with its full path on hover is the one exception), no chart text is cut at the chart's edge. The judging queue's
 * rows fit the default side bar. Typing an eval query's text (case and spacing aside) shows its labels and misses,
 * above the result cards.
 */

/**
 * Everything in the webview that runs past the pane or is clipped; empty when the view fits. A string, run in the
 * page as it is (the test runner's transpiler would add helpers to a function that the page does not have).
 */
const OVERFLOW = `(() => {
  const W = document.documentElement.clientWidth;
  const out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  if (document.documentElement.scrollWidth > W + 1) out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + W + ' px');
  if (document.body.scrollWidth > document.body.clientWidth + 1) out.push('the body overflows: ' + document.body.scrollWidth + ' > ' + document.body.clientWidth + ' px');
  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    const elided = el.closest('.elide');
    if (elided) {
      if (!elided.getAttribute('title')) out.push(name(elided) + ' is elided with no full text on hover');
      continue;
    }
    if (r.right > W + 1) out.push(name(el) + ' ends at ' + Math.round(r.right) + ' px, past the ' + W + ' px pane');
    if (el instanceof HTMLElement && el.clientWidth && el.scrollWidth > el.clientWidth + 1) out.push(name(el) + ' clips its content: ' + el.scrollWidth + ' > ' + el.clientWidth + ' px');
  }
  for (const t of Array.from(document.querySelectorAll('svg text'))) {
    const s = t.closest('svg').getBoundingClientRect();
    const r = t.getBoundingClientRect();
    if (r.width && (r.right > s.right + 1 || r.left < s.left - 1)) out.push('chart text "' + t.textContent + '" is cut at the chart edge (' + Math.round(r.left) + '–' + Math.round(r.right) + ' of ' + Math.round(s.left) + '–' + Math.round(s.right) + ')');
  }
  return [...new Set(out)].slice(0, 15);
})()`;

async function overflow(frame: Frame): Promise<string[]> {
  return frame.evaluate(OVERFLOW) as Promise<string[]>;
}

async function assertFits(page: Page, frame: Frame, what: string, shot: string): Promise<void> {
  const file = await screenshot(page, shot);
  const width = await frame.evaluate('document.documentElement.clientWidth');
  const problems = await overflow(frame);
  assert.deepEqual(problems, [], `${what} at ${width} px (see ${path.basename(file)})`);
}

/** The webview of the active tab titled `title`, once it shows `selector`. */
async function view(page: Page, title: string, selector: string, timeout = 60_000): Promise<Frame> {
  await page.locator('.tab', { hasText: title }).first().click();
  await page.waitForTimeout(500);
  return findWebview(page, selector, timeout);
}

async function openWalkthrough(page: Page): Promise<void> {
  await runCommand(page, 'Welcome: Open Walkthrough...');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Debug retrieval with Retrieval Lens' }).first().click();
  await page.locator('.gettingStartedContainer', { hasText: 'Debug retrieval with Retrieval Lens' }).first().waitFor({ timeout: 30_000 });
}

describe('layout: every view fits 1280 × 800 and a 500 px pane; the miss comes first', () => {
  let wb: Workbench;
  let page: Page;
  before(async () => {
    wb = await openWorkbench('layout');
    page = wb.page;
    await page.setViewportSize({ width: 1280, height: 800 });
  });
  after(async () => wb?.close());

  it('the empty inspector offers one labeled query per failure kind, and the index builds', async () => {
    // As on a first run, the walkthrough is open (its steps tick as they are done: the last test checks them); the
    // inspector opens as a tab of its group, not as a narrow split beside it.
    await openWalkthrough(page);
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    const f = await findWebview(page, '#build-index');
    await f.locator('.examples a.example').first().waitFor({ timeout: 30_000 });
    const kinds = await f.locator('.examples a.example').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    assert.equal(kinds.length, 3, 'three examples');
    assert.equal(new Set(kinds).size, 3, `one per failure kind: ${kinds.join(', ')}`);
    await f.locator('#build-index').click();
    await f.locator('header.status[data-state="ready"]').waitFor({ timeout: 120_000 });
    await assertFits(page, f, 'the empty inspector', 'layout-inspector-empty-1280');
  });

  it('typing an eval query\'s text (other case and spacing) shows its labels and what was missed, above the results', async () => {
    const f = await findWebview(page, '#query');
    const evalFile = path.join(wb.workspace, '.retrieval-lens', 'evalset.jsonl');
    const backoff = fs.readFileSync(evalFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string; text: string }).find((q) => q.id === 'backoff');
    assert.ok(backoff);
    const typed = `  ${backoff.text[0].toUpperCase()}${backoff.text.slice(1).replace(/ /g, '  ')} `;
    await f.locator('#query input').fill(typed);
    await f.locator('#search').click();
    const summary = f.locator('.miss-summary');
    await summary.waitFor({ timeout: 60_000 });
    // The typed text is taken as the eval query's own.
    assert.equal(await f.locator('#eval-query').evaluate((e) => (e as unknown as { value: string }).value), 'backoff');
    const line = (await summary.innerText()).trim();
    // e.g. "1 labeled span missed by dense: semantic — keyword #1, hybrid #3"
    assert.match(line, /^1 labeled span missed by [a-z, ]+: [a-z-]+( — .+)?/, line);
    assert.ok(await f.locator('.hit .label-badge').count(), 'the query\'s labels are shown on its results');
    const above = await f.evaluate("document.querySelector('.miss-summary').getBoundingClientRect().bottom <= document.querySelector('.columns').getBoundingClientRect().top");
    assert.ok(above, 'the miss line sits above the result cards');
    await assertFits(page, f, 'the inspector with results', 'layout-inspector-1280');
    fs.copyFileSync(path.join(screenshotDir, 'layout-inspector-1280.png'), path.join(__dirname, '..', '..', 'docs', 'images', 'inspector-miss-first.png'));
  });

  it('the baseline opens as a tab of the same group, with metric names as people say them', async () => {
    await runCommand(page, 'Retrieval Lens: Run Baseline Evaluation');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hybrid' }).waitFor();
    await page.keyboard.press('Enter');
    const f = await findWebview(page, '#metrics svg', 180_000);
    const names = await f.locator('#metrics h3 .explained').allInnerTexts();
    assert.deepEqual(names, ['nDCG@10', 'Recall@10', 'P@10', 'MRR', 'MAP']);
    assert.match((await f.locator('#metrics h3').first().getAttribute('title')) ?? '', /trec_eval: ndcg_cut_10/);
    assert.equal(await page.locator('.editor-group-container').count(), 1, 'one editor group');
    await assertFits(page, f, 'the baseline', 'layout-baseline-1280');
  });

  it('the readiness report opens in the same group with no toast over it', { timeout: 400_000 }, async () => {
    await runCommand(page, 'Retrieval Lens: Show Fine-Tune Readiness Report');
    const f = await findWebview(page, 'article.readiness h1', 300_000);
    await page.waitForTimeout(1_000);
    assert.equal(await page.locator('.notification-toast', { hasText: 'readiness report' }).count(), 0, 'no toast covers the report');
    assert.equal(await page.locator('.editor-group-container').count(), 1, 'one editor group');
    await assertFits(page, f, 'the readiness report', 'layout-readiness-1280');
  });

  it('the neighbourhood opens in the same group and explains its axes', async () => {
    const inspector = await view(page, 'Query Inspector', '.miss-summary');
    await inspector.locator('#open-neighbourhood').click();
    const f = await findWebview(page, '.nb-plot', 60_000);
    assert.match((await f.locator('.nb-pca').getAttribute('title')) ?? '', /PC1 and PC2 are the two directions/);
    assert.equal(await page.locator('.editor-group-container').count(), 1, 'one editor group');
    await assertFits(page, f, 'the neighbourhood', 'layout-neighbourhood-1280');
  });

  it('in a pane about 500 px wide every view still fits', { timeout: 300_000 }, async () => {
    // The side bar (explorer) stays open; the window narrows until the editor group is about 500 px wide.
    await page.setViewportSize({ width: 860, height: 800 });
    await page.waitForTimeout(1_000);
    const checks: Array<[string, string, string]> = [
      ['Query Inspector', 'header.status[data-state="ready"]', 'inspector'],
      ['Baseline Results', '#metrics svg', 'baseline'],
      ['Fine-Tune Readiness', 'article.readiness h1', 'readiness'],
      ['Query Neighbourhood', '.nb-plot', 'neighbourhood'],
    ];
    for (const [title, selector, shot] of checks) {
      const f = await view(page, title, selector);
      const width = (await f.evaluate('document.documentElement.clientWidth')) as number;
      assert.ok(width >= 400 && width <= 560, `${title} is ${width} px wide`);
      await assertFits(page, f, title, `layout-${shot}-500`);
    }
    const inspector = await view(page, 'Query Inspector', '.miss-summary');
    const columns = await inspector.evaluate("getComputedStyle(document.querySelector('.columns')).gridTemplateColumns.split(' ').length");
    assert.equal(columns, 1, 'the retriever columns stack in a narrow pane');
  });

  it('the judging queue: keys, progress and Hole@K in rows that fit the default side bar, updated as you grade', { timeout: 300_000 }, async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('.activitybar [aria-label^="Retrieval Lens"]').first().click();
    await runCommand(page, 'Retrieval Lens: Build Judging Queue (Pooled Top K)');
    const progress = page.locator('.monaco-list-row', { hasText: / of \d+ judged/ }).first();
    await progress.waitFor({ timeout: 240_000 });
    assert.match(await progress.innerText(), /^0 of \d+ judged/);
    assert.ok(await page.locator('.monaco-list-row', { hasText: 'Keys: 0–3 grade, S skips' }).count(), 'the keys are shown');
    assert.ok(await page.locator('.monaco-list-row', { hasText: /Hole@10 dense: \d+%/ }).count(), 'Hole@K per retriever');
    // Grade the selected passage: the progress row counts it.
    const selected = page.locator('.monaco-list-row.selected[aria-label^="For query"]');
    await selected.waitFor({ timeout: 20_000 });
    await page.waitForFunction('document.activeElement?.getAttribute("aria-label") === "Eval Set"', undefined, { timeout: 10_000 });
    await page.keyboard.press('2');
    await page.locator('.monaco-list-row', { hasText: /^1 of \d+ judged/ }).first().waitFor({ timeout: 15_000 });
    const cut = await page.evaluate(`Array.from(document.querySelectorAll('[id="workbench.parts.sidebar"] .monaco-list-row'))
      .filter((r) => /judged|Keys:|answers fully|not relevant|Hole@/.test(r.textContent || '') && !/Judging queue:/.test(r.textContent || ''))
      .filter((r) => {
        const c = r.querySelector('.monaco-icon-label-container');
        const n = r.querySelector('.label-name');
        return !n || !c || n.getBoundingClientRect().right > c.getBoundingClientRect().right + 1;
      })
      .map((r) => r.textContent)`);
    assert.deepEqual(cut, [], 'every info row\'s label fits the side bar');
    await screenshot(page, 'layout-judging-1280');
  });

  it('the inspector shows what it showed after it is closed and opened again', async () => {
    const tab = page.locator('.tab', { hasText: 'Query Inspector' }).first();
    await tab.click();
    await tab.hover();
    await tab.locator('.tab-actions .action-label').click();
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
    // The tab that becomes active loads its webview, which can take the focus and close a palette opened just then:
    // let it settle, and open the palette again if it closed.
    await page.waitForTimeout(2_000);
    for (let attempt = 1; ; attempt++) {
      try {
        await runCommand(page, 'Retrieval Lens: Open Query Inspector');
        await page.locator('.tab', { hasText: 'Query Inspector' }).first().waitFor({ timeout: 10_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    const f = await findWebview(page, '.miss-summary', 60_000);
    assert.equal(await f.locator('#query').evaluate((e) => (e as unknown as { value: string }).value), 'what backoff do the SDKs use when retrying');
    assert.ok(await f.locator('.column[data-retriever="hybrid"] .hit').count(), 'the results are back');
  });

  it('the walkthrough has ticked the steps done here: indexed, first query, first label, baseline', async () => {
    await openWalkthrough(page);
    await page.waitForTimeout(1_000);
    const steps = page.locator('.getting-started-step');
    await steps.first().waitFor({ timeout: 30_000 });
    const done = await steps.evaluateAll((els) => els.filter((e) => e.classList.contains('complete') || !!e.querySelector('.codicon-getting-started-step-checked, .complete')).map((e) => (e.querySelector('.step-title')?.textContent ?? e.textContent ?? '').trim()));
    await screenshot(page, 'layout-walkthrough-ticked');
    for (const title of ['Index the workspace', 'Run a query', 'Label while you read', 'Measure and decide']) assert.ok(done.some((d) => d.startsWith(title)), `"${title}" is ticked (ticked: ${done.join(' | ')})`);
  });
});
