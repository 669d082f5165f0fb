import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { chatCompletionsStandIn, type ChatStandIn } from '../helpers/chat-completions-stand-in';
import { openWorkbench, runCommand, runCommandWithInput, screenshot, type Workbench } from './harness';

type Line = { id: string; text: string; split: string; source?: string; judgments: Array<{ grade: number; target: { docId: string; start: number; end: number } }> };
type Label = { queryId: string; judgment: { grade: number; target: { docId: string; start: number; end: number } } };

/** The stand-in judge: 2 when the passage shares two or more words of 5+ letters with the query, else 0; passages about webhooks get prose (malformed). */
function answer(query: string, passage: string): string {
  if (/webhook/i.test(passage)) return 'This passage seems relevant.';
  const q = new Set(query.toLowerCase().match(/[a-z]{5,}/g));
  const shared = new Set((passage.toLowerCase().match(/[a-z]{5,}/g) ?? []).filter((w) => q.has(w))).size;
  return `Grade: ${shared >= 2 ? 2 : 0}`;
}

/** The stand-in query writer: a query from the passage's first heading. */
function reply(messages: Array<{ role: string; content: string }>): string | undefined {
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  const m = /^Write 1 query\.\n\nPassage:\n([\s\S]*)$/.exec(user.replace(/^Queries real users typed[\s\S]*?\n\n(?=Write)/, ''));
  if (!m) return undefined;
  const heading = /^#+\s*(.+)$/m.exec(m[1])?.[1] ?? m[1].split(/\s+/).slice(0, 4).join(' ');
  return `Query: how does ${heading.toLowerCase()} work`;
}

/**
 * The LLM judge in a real VS Code, against a chat-completions stand-in started here: the pooled queue judged after
 * a modal naming the host (nothing sent before it), the judge's grades beside the passages, one overridden and one
 * accepted with the keyboard (human grades written to the eval set, agreement updated beside the queue), all judge
 * labels removed in one command, a re-run answered from the cache, and synthetic training queries generated.
 */
describe('The LLM judge and synthetic queries in a real VS Code', () => {
  let server: ChatStandIn;
  let wb: Workbench;
  let page: Page;
  let evalFile: string;
  let labelsFile: string;
  const readSet = (): Line[] => fs.readFileSync(evalFile, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Line);
  const readLabels = (): Label[] => (fs.existsSync(labelsFile) ? fs.readFileSync(labelsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Label) : []);
  const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) {
        await screenshot(page, 'llm-judge-timeout');
        throw new Error(`timed out waiting for ${what}`);
      }
      await page.waitForTimeout(200);
    }
  };

  before(async () => {
    server = await chatCompletionsStandIn({ answer, reply });
    wb = await openWorkbench('llm-judge', { settings: { 'retrievalLens.chatEndpoints': { local: { url: `${server.url}/v1`, model: 'judge-model', concurrency: 4 } } } });
    page = wb.page;
    evalFile = path.join(wb.workspace, '.retrieval-lens', 'evalset.jsonl');
    labelsFile = path.join(wb.workspace, '.retrieval-lens', 'judge-labels.jsonl');
  });
  after(async () => {
    await wb?.close();
    await server?.close();
  });

  // Filled by the first test: what judging one query from its context menu sent and cached.
  const single = { pairs: 0, sent: 0 };

  it('judges one query from the Eval Set context menu: the same modal, only its pooled passages', async () => {
    await page.locator('.activitybar [aria-label^="Retrieval Lens"]').first().click();
    const query = readSet()[0];
    // The eval set's own row of the query (its description names id and split), not a judging-queue header.
    const row = page.locator('.monaco-list-row', { hasText: query.text }).filter({ hasText: `${query.id} · ${query.split}` }).first();
    await row.waitFor({ timeout: 60_000 });
    await row.click({ button: 'right' });
    const item = page.locator('.context-view .action-item', { hasText: 'Judge with LLM…' });
    await item.waitFor({ timeout: 10_000 });
    await screenshot(page, 'llm-judge-query-menu');
    await item.click();
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'query/passage pairs' });
    await dialog.waitFor({ timeout: 240_000 });
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Send (\\d+) query/passage pairs \\(([\\d,]+) characters of document text\\) to 127\\.0\\.0\\.1:${new URL(server.url).port}\\?`));
    const pairs = Number(/Send (\d+) query/.exec(text)?.[1]);
    assert.ok(pairs >= 1 && pairs <= 30, `${pairs} pairs: one query's pooled top K of three retrievers, not the whole queue`);
    assert.equal(server.requests.length, 0, 'nothing is sent before the user presses Send');
    await dialog.locator('a.monaco-button', { hasText: 'Send' }).click();
    const toast = page.locator('.notification-toast', { hasText: /judged \d+ pairs/ });
    await toast.waitFor({ timeout: 120_000 });
    const m = /judged (\d+) pairs — (\d+) graded, (\d+) from cache, (\d+) malformed/.exec(await toast.innerText());
    assert.ok(m);
    assert.deepEqual([Number(m[1]), Number(m[3])], [pairs, 0]);
    assert.equal(server.requests.length, pairs);
    // Every request carried this query and no other; every label written is this query's.
    for (const r of server.requests) assert.ok(r.body.includes(JSON.stringify(query.text).slice(1, -1)), 'a request for another query');
    assert.ok(readLabels().length === Number(m[2]) && readLabels().every((l) => l.queryId === query.id), JSON.stringify(readLabels().map((l) => l.queryId)));
    await screenshot(page, 'llm-judge-one-query');
    // The next test reads its own summary toast.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await toast.waitFor({ state: 'detached', timeout: 10_000 });
    single.pairs = pairs;
    single.sent = server.requests.length;
  });

  it('judges the pooled queue after a modal naming the host, and shows the grades beside the passages', async () => {
    const humanBefore = readSet().reduce((s, q) => s + q.judgments.length, 0);
    await runCommand(page, 'Retrieval Lens: Judge Pooled Queue with LLM…');
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'query/passage pairs' });
    await dialog.waitFor({ timeout: 240_000 });
    const port = new URL(server.url).port;
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Send (\\d+) query/passage pairs \\(([\\d,]+) characters of document text\\) to 127\\.0\\.0\\.1:${port}\\?`));
    assert.match(text, /About [\d,]+ prompt \+ [\d,]+ answer tokens/);
    const pairs = Number(/Send (\d+) query/.exec(text)?.[1]);
    assert.ok(pairs > 20, `${pairs} pairs`);
    assert.match(text, new RegExp(`${single.pairs} answered before are read from the cache`), 'the query judged alone is not sent again');
    assert.equal(server.requests.length, single.sent, 'nothing is sent before the user presses Send');
    await screenshot(page, 'llm-judge-confirm');
    await dialog.locator('a.monaco-button', { hasText: 'Send' }).click();

    const toast = page.locator('.notification-toast', { hasText: /judged \d+ pairs/ });
    await toast.waitFor({ timeout: 120_000 });
    const summary = await toast.innerText();
    const m = /judged (\d+) pairs — (\d+) graded, (\d+) from cache, (\d+) malformed; (\d+) tokens/.exec(summary);
    assert.ok(m, summary);
    assert.equal(Number(m[1]), pairs + single.pairs);
    assert.equal(Number(m[3]), single.pairs);
    assert.equal(Number(m[2]) + Number(m[4]), pairs + single.pairs);
    assert.ok(Number(m[4]) > 0, 'the webhook passages gave malformed answers');
    assert.ok(Number(m[5]) > 0);
    assert.equal(server.requests.length, single.sent + pairs);
    assert.equal(readLabels().length, Number(m[2]));
    assert.equal(readSet().reduce((s, q) => s + q.judgments.length, 0), humanBefore, 'the judge never writes the eval set');

    const header = page.locator('.monaco-list-row', { hasText: 'Judging queue:' }).first();
    await header.filter({ hasText: /judge κ undefined on 0 pairs, not validated \(50 more human labels on judged passages\)/ }).waitFor({ timeout: 20_000 });
    await page.locator('.monaco-list-row', { hasText: /judge: [02]/ }).first().waitFor({ timeout: 20_000 });
    // Widen the side bar so the screenshots show each passage with its judge grade, and the agreement in full.
    const bar = await page.locator('#workbench\\.parts\\.sidebar').boundingBox();
    if (bar) {
      await page.mouse.move(bar.x + bar.width + 1, bar.y + bar.height / 2);
      await page.mouse.down();
      await page.mouse.move(bar.x + 900, bar.y + bar.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await page.waitForTimeout(1_000);
    await screenshot(page, 'llm-judge-queue');
  });

  it('overrides one judge grade and accepts another with the keyboard; agreement follows', async () => {
    const header = page.locator('.monaco-list-row', { hasText: 'Judging queue:' }).first();
    for (const [step, pairsAfter] of [['override', 1], ['accept', 2]] as const) {
      const row = page.locator('.monaco-list-row[aria-label^="For query"]', { hasText: /judge: [02]/ }).first();
      await row.click();
      // Keep the pointer off the list: a hover over a row the judgment removes is not what is tested here.
      await page.mouse.move(2, 2);
      await page.waitForFunction('document.activeElement?.getAttribute("aria-label") === "Eval Set" && !!document.activeElement.querySelector(".monaco-list-row.selected.focused[aria-label^=\'For query\']")', undefined, { timeout: 10_000 });
      const label = (await row.getAttribute('aria-label')) ?? '';
      const judgeGrade = Number(/judge: ([0-3])/.exec(await row.innerText())?.[1]);
      const grade = step === 'override' ? (judgeGrade === 0 ? 3 : 0) : judgeGrade;
      const [, queryText, docId] = /^For query (.*?): .* in (\S+)\. Press 0 to 3/.exec(label) ?? [];
      const count = () => readSet().find((q) => q.text === queryText)?.judgments.length ?? 0;
      const before = count();
      const labelsBefore = JSON.stringify(readLabels());
      await page.keyboard.press(String(grade));
      await waitFor(`the ${step} written`, () => count() === before + 1);
      // The flow then selects the next passage (a reveal): let it finish before the next click, as a user would see it.
      const selected = page.locator('.monaco-list-row.selected[aria-label^="For query"]');
      await waitFor('the next passage selected', async () => ((await selected.getAttribute('aria-label', { timeout: 1_000 }).catch(() => label)) ?? label) !== label);
      const written = readSet().find((q) => q.text === queryText)?.judgments.at(-1);
      assert.equal(written?.grade, grade);
      assert.equal(written?.target.docId, docId);
      assert.equal(JSON.stringify(readLabels()), labelsBefore, 'a human grade never changes a judge label');
      await header.filter({ hasText: `on ${pairsAfter} pair${pairsAfter === 1 ? '' : 's'}` }).waitFor({ timeout: 20_000 });
    }
    assert.match(await header.innerText(), /judge κ -?\d\.\d{3} on 2 pairs|judge κ undefined on 2 pairs/);
    await page.waitForTimeout(500);
    const shot = await screenshot(page, 'llm-judge-agreement');
    fs.copyFileSync(shot, path.join(__dirname, '..', '..', 'docs', 'images', 'llm-judge.png'));
  });

  it('removes every judge label in one command, and a re-run is answered from the cache', async () => {
    await runCommand(page, 'Retrieval Lens: Remove All Judge Labels');
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'judge labels?' });
    await dialog.waitFor({ timeout: 20_000 });
    const humanBefore = readSet().reduce((s, q) => s + q.judgments.length, 0);
    await dialog.locator('a.monaco-button', { hasText: 'Remove' }).click();
    await waitFor('the labels file removed', () => !fs.existsSync(labelsFile));
    assert.equal(readSet().reduce((s, q) => s + q.judgments.length, 0), humanBefore, 'human labels are untouched');

    const sent = server.requests.length;
    // The first run's summary also counts answers from the cache (the query judged alone): clear it first.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.locator('.notification-toast', { hasText: /judged \d+ pairs/ }).first().waitFor({ state: 'detached', timeout: 10_000 });
    await runCommand(page, 'Retrieval Lens: Judge Pooled Queue with LLM…');
    const toast = page.locator('.notification-toast', { hasText: /judged \d+ pairs — \d+ graded, [1-9]\d* from cache/ });
    await toast.waitFor({ timeout: 60_000 });
    assert.equal(server.requests.length, sent, 'every answer came from the cache: no modal, no request');
    assert.ok(readLabels().length > 0);
  });

  it('generates synthetic training queries after a modal, into the train split', async () => {
    const before = readSet().filter((q) => q.source === 'synthetic').length;
    assert.equal(before, 0);
    const sent = server.requests.length;
    await runCommandWithInput(page, 'Retrieval Lens: Generate Training Queries…', '3');
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'chunks' });
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), new RegExp(`Send 3 chunks \\([\\d,]+ characters of document text\\) to 127\\.0\\.0\\.1:${new URL(server.url).port}\\?`));
    assert.equal(server.requests.length, sent);
    await dialog.locator('a.monaco-button', { hasText: 'Send' }).click();
    await page.locator('.notification-toast', { hasText: /\d+ synthetic training queries added/ }).waitFor({ timeout: 60_000 });
    assert.equal(server.requests.length, sent + 3);
    await waitFor('synthetic queries in the eval set', () => readSet().some((q) => q.source === 'synthetic'));
    const added = readSet().filter((q) => q.source === 'synthetic');
    assert.ok(added.length >= 1 && added.length <= 3);
    for (const q of added) {
      assert.equal(q.split, 'train');
      assert.match(q.text, /^how does .+ work$/);
      assert.equal(q.judgments.length, 1);
      assert.equal(q.judgments[0].grade, 2);
    }
    await screenshot(page, 'generate-training-queries');
  });

  it('orders the queue by value on request, each query header saying why it is up', async () => {
    await runCommand(page, 'Retrieval Lens: Order Judging Queue by Value (Label Next)');
    const header = page.locator('.monaco-list-row', { hasText: /\d+ holes? · disagree [01]\.\d\d/ }).first();
    await header.waitFor({ timeout: 20_000 });
    await screenshot(page, 'judging-queue-value-order');
    await runCommand(page, 'Retrieval Lens: Order Judging Queue by Query');
    await page.locator('.monaco-list-row', { hasText: /\d+ holes? · disagree/ }).first().waitFor({ state: 'detached', timeout: 20_000 });
  });

  it('reports an unreadable judge labels file once, naming file and line, until the file changes', async () => {
    const warning = (line: number) => page.locator('.notification-toast', { hasText: new RegExp(`judge labels not used: .*judge-labels\\.jsonl:${line}: invalid JSON`) });
    const good = fs.readFileSync(labelsFile, 'utf8').split('\n').filter(Boolean);
    fs.writeFileSync(labelsFile, '{not json\n');
    await warning(1).first().waitFor({ timeout: 20_000 });
    const row = page.locator('.monaco-list-row', { hasText: 'Judge labels unreadable' }).filter({ hasText: 'judge-labels.jsonl:1' });
    await row.waitFor({ timeout: 20_000 });
    await screenshot(page, 'judge-labels-unreadable');
    // Clear it, make the view render again (an order switch), and see it is not shown a second time.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await warning(1).first().waitFor({ state: 'detached', timeout: 10_000 });
    await runCommand(page, 'Retrieval Lens: Order Judging Queue by Value (Label Next)');
    await runCommand(page, 'Retrieval Lens: Order Judging Queue by Query');
    await page.waitForTimeout(2_000);
    assert.equal(await warning(1).count(), 0, 'the same file is not warned about twice');
    assert.equal(await row.count(), 1, 'the row stays while the file is unreadable');
    // A changed file (now broken on line 2) is reported again; a fixed one clears the row.
    fs.writeFileSync(labelsFile, `${good[0]}\n{still not json\n`);
    await warning(2).first().waitFor({ timeout: 20_000 });
    fs.writeFileSync(labelsFile, good.join('\n') + '\n');
    await page.locator('.monaco-list-row', { hasText: 'Judge labels unreadable' }).waitFor({ state: 'detached', timeout: 20_000 });
  });
});

describe('The LLM commands in an untrusted workspace', () => {
  let server: ChatStandIn;
  let wb: Workbench;

  before(async () => {
    server = await chatCompletionsStandIn({ answer: () => 'Grade: 3', reply: () => 'Query: anything' });
    wb = await openWorkbench('llm-judge-restricted', { restricted: true, settings: { 'retrievalLens.chatEndpoints': { local: { url: `${server.url}/v1`, model: 'judge-model' } } } });
  });
  after(async () => {
    await wb?.close();
    await server?.close();
  });

  it('refuses to judge or generate, and sends nothing', async () => {
    const page = wb.page;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60_000 });
    const evalFile = path.join(wb.workspace, '.retrieval-lens', 'evalset.jsonl');
    const before = fs.readFileSync(evalFile, 'utf8');
    for (const purpose of ['Judge Pooled Queue with LLM', 'Generate Training Queries']) {
      await runCommand(page, `Retrieval Lens: ${purpose}…`);
      const refusal = page.locator('.notification-toast', { hasText: `${purpose} sends document text to a chat endpoint, which an untrusted workspace may not do` }).first();
      await refusal.waitFor({ timeout: 30_000 });
      assert.match(await refusal.innerText(), /Trust the workspace first; nothing was sent/);
      await page.keyboard.press('Escape');
    }
    assert.equal(server.requests.length, 0);
    assert.equal(fs.readFileSync(evalFile, 'utf8'), before);
    assert.equal(fs.existsSync(path.join(wb.workspace, '.retrieval-lens', 'judge-labels.jsonl')), false);
    await screenshot(page, 'llm-judge-restricted');
  });
});
