import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openWorkbench, runCommand, screenshot, type Workbench } from './harness';

type Line = { id: string; text: string; source?: string; frequency?: number; judgments: Array<{ grade: number; target: { type: string; docId: string; start: number; end: number; exact: string } }> };

describe('Import a query log and judge pooled passages with the keyboard in a real VS Code', () => {
  let wb: Workbench;
  let page: Page;
  let evalFile: string;
  const readSet = (): Line[] =>
    fs
      .readFileSync(evalFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
  const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) {
        await screenshot(page, 'judging-timeout');
        throw new Error(`timed out waiting for ${what}; focused: ${await page.evaluate('document.activeElement?.className + " " + document.activeElement?.getAttribute("aria-label")')}`);
      }
      await page.waitForTimeout(200);
    }
  };

  before(async () => {
    wb = await openWorkbench('judging');
    page = wb.page;
    evalFile = path.join(wb.workspace, '.retrieval-lens', 'evalset.jsonl');
  });
  after(async () => wb?.close());

  it('imports the most frequent queries of a log through the command and its prompts', async () => {
    // The log lives outside the workspace so it is not indexed.
    const log = path.join(path.dirname(wb.workspace), 'search-log.jsonl');
    const lines = [
      'rotate keys without downtime',
      'Rotate  keys without downtime',
      'ROTATE KEYS WITHOUT DOWNTIME',
      'webhook retry schedule',
      'webhook retry schedule',
      'consumer lag alert',
      'consumer lag alert',
      'dead letter queue',
    ].map((q) => JSON.stringify({ query: q, ts: '2026-11-30T10:00:00Z' }));
    fs.writeFileSync(log, [...lines, '{broken', ''].join('\n'));
    const before = readSet().length;
    await runCommand(page, 'Retrieval Lens: Import Query Log…');
    const input = page.locator('.quick-input-widget input');
    // code-server's open dialog is a quick input: type the log's path and accept it.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Query log' }).waitFor({ timeout: 20_000 });
    // The dialog fills in its start folder after it opens: wait for its listing, then type the path.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: '..' }).first().waitFor({ timeout: 20_000 });
    await waitFor('the log path typed', async () => {
      if ((await input.inputValue()) !== log) await input.fill(log);
      await page.waitForTimeout(300);
      return (await input.inputValue()) === log;
    });
    await screenshot(page, 'import-query-log-dialog');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Sample which queries?' }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter'); // top
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'How many queries?' }).waitFor();
    await input.fill('3');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Share for the train split' }).waitFor();
    await input.fill('0');
    await page.keyboard.press('Enter');
    await page.locator('.notification-toast', { hasText: 'added 3 queries from search-log.jsonl — 9 lines read, 4 unique, 0 merged, 1 skipped' }).waitFor({ timeout: 20_000 });
    await waitFor('three log queries in the file', () => readSet().length === before + 3);
    const added = readSet().filter((q) => q.source === 'log');
    assert.deepEqual(
      added.map((q) => [q.text, q.frequency, q.judgments.length]),
      [
        ['rotate keys without downtime', 3, 0],
        ['consumer lag alert', 2, 0],
        ['webhook retry schedule', 2, 0],
      ],
    );
  });

  it('pools the top K of every retriever, shows Hole@K, and grades three passages with 3, 2 and 0', async () => {
    await page.locator('.activitybar [aria-label^="Retrieval Lens"]').first().click();
    await runCommand(page, 'Retrieval Lens: Build Judging Queue (Pooled Top K)');
    const header = page.locator('.monaco-list-row', { hasText: 'Judging queue:' }).first();
    await header.waitFor({ timeout: 240_000 });
    assert.match(await header.innerText(), /Hole@10: keyword \d+% · dense \d+% · hybrid \d+%/);
    const count = async () => Number(/Judging queue: (\d+) pooled/.exec(await header.innerText())?.[1]);
    const start = await count();
    assert.ok(start > 10, `${start} pooled passages`);
    const selected = page.locator('.monaco-list-row.selected[aria-label^="For query"]');
    await selected.waitFor({ timeout: 20_000 });
    const firstLabel = (await selected.getAttribute('aria-label')) ?? '';
    assert.match(firstLabel, /^For query rotate keys without downtime: /, 'queries with no judgment come first');
    await screenshot(page, 'judging-queue-before');

    const judged: Array<{ label: string; grade: number }> = [];
    for (const grade of [3, 2, 0]) {
      // Keys go where the focus is: wait until the Eval Set list holds it, on the selected passage.
      await page.waitForFunction(
        'document.activeElement?.getAttribute("aria-label") === "Eval Set" && !!document.activeElement.querySelector(".monaco-list-row.selected.focused[aria-label^=\'For query\']")',
        undefined,
        { timeout: 10_000 },
      );
      const label = (await selected.getAttribute('aria-label')) ?? '';
      judged.push({ label, grade });
      const labels = () => readSet().reduce((s, q) => s + (q.source === 'log' ? q.judgments.length : 0), 0);
      const n = labels();
      await page.keyboard.press(String(grade));
      await waitFor(`grade ${grade} written`, () => labels() === n + 1);
      await waitFor('the next passage selected', async () => ((await selected.getAttribute('aria-label', { timeout: 1_000 }).catch(() => label)) ?? label) !== label);

    }
    await header.filter({ hasText: `Judging queue: ${start - 3} pooled` }).waitFor({ timeout: 10_000 });

    const byText = new Map(readSet().map((q) => [q.text, q]));
    for (const { label, grade } of judged) {
      const m = /^For query (.*?): .* in (\S+)\. Press 0 to 3/.exec(label);
      assert.ok(m, label);
      const q = byText.get(m[1]);
      const j = q?.judgments.find((x) => x.target.docId === m[2] && x.grade === grade);
      assert.ok(j, `a grade ${grade} label of ${m[2]} for "${m[1]}"`);
      assert.equal(j.target.type, 'span');
      assert.ok(j.target.exact.length > 0 && j.target.end > j.target.start);
    }
    // Widen the side bar so the screenshot shows each query, passage and Hole@K in full.
    const bar = await page.locator('#workbench\\.parts\\.sidebar').boundingBox();
    if (bar) {
      await page.mouse.move(bar.x + bar.width + 1, bar.y + bar.height / 2);
      await page.mouse.down();
      await page.mouse.move(bar.x + 720, bar.y + bar.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await page.waitForTimeout(1_000);
    const shot = await screenshot(page, 'judging-queue-after');
    fs.copyFileSync(shot, path.join(__dirname, '..', '..', 'docs', 'images', 'judging-queue.png'));
  });
});
