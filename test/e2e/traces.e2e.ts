import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { EvalSetFile } from '../../src/core/eval/evalset-file';
import type { EvalQuery } from '../../src/core/eval/evalset-types';
import { demoDir } from '../helpers/shared';
import { findWebview, openWorkbench, runCommand, screenshot, type Workbench } from './harness';

/** Phoenix-style OpenInference spans (as the CLI test writes them): a CHAIN root with the user's feedback and a RETRIEVER child. */
function spans(traceId: string, query: string, ids: string[], score: number): unknown[] {
  const ts = '2026-05-04T10:00:00Z';
  return [
    { name: 'rag', context: { trace_id: traceId, span_id: `${traceId}-0` }, start_time: ts, attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': query, 'output.value': `answer to ${query}` }, annotations: [{ name: 'user', result: { score } }] },
    { name: 'retrieve', context: { trace_id: traceId, span_id: `${traceId}-1` }, parent_id: `${traceId}-0`, start_time: ts, attributes: { 'openinference.span.kind': 'RETRIEVER', 'input.value': query, ...Object.fromEntries(ids.flatMap((id, r) => [[`retrieval.documents.${r}.document.id`, id], [`retrieval.documents.${r}.document.score`, 1 - r / 100]])) } },
  ];
}

/**
 * Production traces as a user brings them into the editor: the Import Production Traces… command (file dialog and
 * pickers, as typed), the failed traces told apart in its message, the recorded run as an inspector column, and the
 * readiness report leading with the retrieval/generation split.
 */
describe('Production traces in a real VS Code: import, the production column, the split in the readiness report', () => {
  let wb: Workbench;
  let page: Page;
  let traced: EvalQuery[];
  let servedTo: (q: EvalQuery) => string;

  before(async () => {
    wb = await openWorkbench('traces');
    page = wb.page;
    // Three labeled eval queries of the demo, each asked once in production with a thumbs-down: two were served their
    // labeled document (generation failures), one was served an unrelated one (a retrieval failure).
    const queries = EvalSetFile.forWorkspace(demoDir).all().filter((q) => q.split === 'eval' && q.judgments.some((j) => j.grade > 0 && !j.stale));
    traced = queries.slice(0, 3);
    const labeled = (q: EvalQuery) => q.judgments.find((j) => j.grade > 0 && !j.stale)?.target.docId as string;
    const unrelated = (q: EvalQuery) => ['docs/guides/webhooks.md', 'docs/guides/batching.md', 'docs/reference/error-codes.md'].find((d) => !q.judgments.some((j) => j.target.docId === d)) as string;
    servedTo = unrelated;
    const rows = [
      ...spans('t-gen-1', traced[0].text, [unrelated(traced[0]), labeled(traced[0])], 0),
      ...spans('t-gen-2', traced[1].text, [labeled(traced[1])], 0),
      ...spans('t-ret-1', traced[2].text, [unrelated(traced[2])], 0),
      ...spans('t-ok-1', 'how do I page through results', [unrelated(traced[2])], 1),
    ];
    fs.writeFileSync(path.join(wb.workspace, 'prod-spans.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  });
  after(async () => wb?.close());

  it('imports a trace export from the command palette and says what failed where', async () => {
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    const f = await findWebview(page, '#build-index');
    await f.locator('#build-index').click();
    await f.locator('header.status[data-state="ready"]').waitFor({ timeout: 180_000 });
    // The file dialog (a quick input in the browser), then format, run name, answers kept, train share: each step
    // typed once its own prompt shows (a prompt typed into too early is lost when the next one replaces it).
    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('input');
    const step = async (title: string, text: string) => {
      // An input box keeps its title in the DOM without showing it: the title says which prompt is up.
      await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'attached', timeout: 20_000 });
      await input.waitFor({ state: 'visible', timeout: 20_000 });
      await input.fill(text);
      await page.keyboard.press('Enter');
    };
    const file = path.join(wb.workspace, 'prod-spans.jsonl');
    // A webview that finishes loading meanwhile can take the focus, and a prompt closes on losing it (the command
    // then stops, having written nothing): the whole import is run again from its file dialog, up to three times.
    for (let run = 1; ; run++) {
      try {
        for (let attempt = 1; ; attempt++) {
          await runCommand(page, 'Retrieval Lens: Import Production Traces…');
          await input.waitFor({ state: 'visible', timeout: 20_000 });
          // The dialog fills in its folder when it opens: type the file once that has happened, then accept it.
          await page.waitForTimeout(500);
          await input.fill(file);
          await page.waitForFunction(`document.querySelector('.quick-input-widget input')?.value === ${JSON.stringify(file)}`, undefined, { timeout: 5_000 });
          await page.keyboard.press('Enter');
          try {
            await widget.locator('.quick-input-title', { hasText: 'Which export format?' }).waitFor({ state: 'attached', timeout: 15_000 });
            break;
          } catch (e) {
            await screenshot(page, `traces-file-dialog-attempt-${attempt}`);
            if (attempt === 3) throw e;
            await page.keyboard.press('Escape');
          }
        }
        await step('Which export format?', 'openinference');
        await step('Name of the recorded run', 'prod');
        await step('Answers and feedback comments', 'Keep answers');
        await step('Share for the train split', '0.3');
        break;
      } catch (e) {
        await screenshot(page, `traces-import-run-${run}`);
        if (run === 3 || fs.existsSync(path.join(wb.workspace, '.retrieval-lens', 'traces', 'prod', 'run.jsonl'))) throw e;
        if (await widget.isVisible()) await page.keyboard.press('Escape');
      }
    }
    const toast = page.locator('.notification-list-item-message', { hasText: 'recorded 4 traces as trace:prod' });
    await toast.first().waitFor({ timeout: 60_000 });
    const message = await toast.first().innerText();
    assert.match(message, /from prod-spans\.jsonl; added 1 query \(3 already there, 0 lines skipped\)\./);
    assert.match(message, /trace:prod: of 3 failed traces, 2 had the right context in what was served: fix the prompt or the generator first \(1 retrieval, 0 missing document\)/);
    const run = fs.readFileSync(path.join(wb.workspace, '.retrieval-lens', 'traces', 'prod', 'run.jsonl'), 'utf8');
    assert.equal(run.trim().split('\n').length, 5, 'a header and four traces');
    await screenshot(page, 'traces-imported');
  });

  it('shows what production served as a column of the inspector', async () => {
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    const f = await findWebview(page, 'vscode-checkbox[data-retriever="trace:prod"]');
    await f.locator('vscode-checkbox[data-retriever="trace:prod"]').click();
    await f.locator('#eval-query').click();
    await f.locator('#eval-query li[role="option"]', { hasText: `${traced[2].id}:` }).click();
    const col = f.locator('.column[data-retriever="trace:prod"]');
    await col.locator('.hit').first().waitFor({ timeout: 60_000 });
    assert.equal(await col.getAttribute('data-external'), 'recorded');
    // Production served it one unrelated passage: that is the column, and the labeled span is listed as missed.
    assert.deepEqual(await col.locator('.hit[data-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))), [servedTo(traced[2])]);
    await screenshot(page, 'traces-production-column');
  });

  it('pools what production served into the judging queue beside the local retrievers', async () => {
    await page.locator('.activitybar [aria-label^="Retrieval Lens"]').first().click();
    await runCommand(page, 'Retrieval Lens: Build Judging Queue (Pooled Top K)');
    const row = page.locator('.monaco-list-row', { hasText: 'Hole@10 trace:prod:' }).first();
    await row.waitFor({ timeout: 180_000 });
    assert.match(await row.innerText(), /Hole@10 trace:prod: \d+%/);
    await screenshot(page, 'traces-judging-queue');
  });

  it('leads the readiness report with the retrieval/generation split, and the checklist says fix the generator first', async () => {
    await runCommand(page, 'Retrieval Lens: Show Fine-Tune Readiness Report');
    const f = await findWebview(page, 'article.readiness h1', 300_000);
    const first = await f.locator('#verdict-reasons li').first().innerText();
    assert.match(first, /^trace:prod: of 3 failed traces, 2 had the right context in what was served: fix the prompt or the generator first/);
    const text = await f.locator('article.readiness').innerText();
    assert.match(text, /Production failures are retrieval failures/);
    assert.match(text, /1 retrieval, 2 generation of 3 judged failed traces/);
    await screenshot(page, 'traces-readiness-split');
  });
});
