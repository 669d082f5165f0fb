import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { openWorkbench, runCommand, runCommandWithInput, screenshot, type Workbench, findWebview } from './harness';

/**
 * A workspace of hostile documents, indexed and shown in the Query Inspector in a real VS Code: nothing in them may
 * run (each payload that could run sets a sentinel), nothing may fetch (each payload that could fetch points at a
 * local HTTP listener that counts every request), and the text shown must be the text of the file.
 */

/** A plain HTTP server counting requests: the address every fetching payload names. */
function tripwire(): Promise<{ port: number; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(204).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, hits, close: () => new Promise((r) => server.close(() => r())) })),
  );
}

const S = 'window.__rlPwned=(window.__rlPwned||0)+1';

function payloads(origin: string): string[] {
  const u = (n: number) => `${origin}/p${n}`;
  return [
    `<script>${S}</script>`,
    `<script src="${u(1)}"></script>`,
    `<img src=x onerror="${S}">`,
    `<img src="${u(3)}">`,
    `<svg onload="${S}"></svg>`,
    `<svg><script>${S}</script></svg>`,
    `<svg><image href="${u(6)}"/></svg>`,
    `<a href="javascript:${S}">click me</a>`,
    `<iframe src="${u(8)}"></iframe>`,
    `<iframe srcdoc="<script>${S}</script>"></iframe>`,
    `<base href="${u(10)}/">`,
    `<meta http-equiv="refresh" content="0;url=${u(11)}">`,
    `<link rel="stylesheet" href="${u(12)}">`,
    `<style>@import url(${u(13)});</style>`,
    `<style>body{background:url(${u(14)})}</style>`,
    `<div style="background-image:url(${u(15)})">styled</div>`,
    `<object data="${u(16)}"></object>`,
    `<embed src="${u(17)}">`,
    `<video src="${u(18)}" autoplay></video>`,
    `<audio src="${u(19)}" autoplay></audio>`,
    `<body onload="${S}">`,
    `<details open ontoggle="${S}">x</details>`,
    `<input autofocus onfocus="${S}">`,
    `<marquee onstart="${S}">m</marquee>`,
    `<form action="${u(24)}"><button>go</button></form>`,
    `<math><mtext><table><mglyph><style><img src=x onerror="${S}">`,
    `"><script>${S}</script>`,
    `'><img src=x onerror=${S}>`,
    `</textarea><script>${S}</script>`,
    `<!--<img src="--><img src=x onerror=${S}//">`,
    `[markdown link](${u(30)})`,
    `![markdown image](${u(31)})`,
    `[js link](javascript:${S})`,
    `<${u(33)}>`,
    `[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
    `<a href="data:text/html,<script>${S}</script>">data</a>`,
    `<img src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='${S}'/>">`,
    `\${${S}}`,
    `{{constructor.constructor('${S}')()}}`,
    `{{7*7}} <%= 7*7 %> #{7*7}`,
    `\${alert(document.domain)}`,
    `\u202Egnp.exe\u202C and \u2066isolate\u2069 right-to-left override`,
    `English then עברית then العربية mixed direction 123`,
    `\u200B\u200C\u200D\uFEFF zero-width characters`,
    `<x onclick="${S}">click</x>`,
    `<a href="${u(45)}" ping="${u(45)}/ping">ping link</a>`,
    `<img srcset="${u(46)} 1x">`,
    `<picture><source srcset="${u(47)}"></picture>`,
    `<template><script>${S}</script></template>`,
    `<noscript><p title="</noscript><img src=x onerror=${S}>">`,
    `javascript:${S}`,
    `<a href="vbscript:msgbox(1)">vb</a>`,
    `<script type="module">import "${u(52)}";</script>`,
    `<link rel="prefetch" href="${u(53)}">`,
  ];
}

/** A heading a chunk hover quotes: markdown image and links, HTML, a command link. */
const HEADING = (origin: string) => `# ![img](${origin}/h1) [cmd](command:workbench.action.quit) <img src="${origin}/h2"> [web](${origin}/h3) **bold**`;

const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();
const hostileQid = (i: number) => `hostile-${String(i).padStart(2, '0')}`;
const hostileQuery = (i: number, p: string) => `zebracanary ${i} ${p}`;

/** The sentinel over every frame of the page: how many times any payload ran. */
async function executions(page: Page): Promise<{ executions: number; frames: number }> {
  const pwned: number[] = [];
  for (const fr of page.frames()) pwned.push(Number(await fr.evaluate('window.__rlPwned || 0').catch(() => 0)));
  return { executions: pwned.reduce((a, b) => a + b, 0), frames: pwned.length };
}

const inspectorFrame = findWebview;

describe('hostile documents in the Query Inspector (real VS Code, chromium)', () => {
  let wb: Workbench;
  let page: Page;
  let wire: Awaited<ReturnType<typeof tripwire>>;
  let list: string[];
  before(async () => {
    wire = await tripwire();
    list = payloads(`http://127.0.0.1:${wire.port}`);
    wb = await openWorkbench('hostile', { settings: { 'retrievalLens.topK': 100 } });
    page = wb.page;
    const dir = path.join(wb.workspace, 'hostile');
    fs.mkdirSync(dir, { recursive: true });
    list.forEach((p, i) => fs.writeFileSync(path.join(dir, `p${String(i).padStart(2, '0')}.md`), `zebracanary payload ${i}: ${p}\n`));
    fs.writeFileSync(path.join(dir, 'headings.md'), `${HEADING(`http://127.0.0.1:${wire.port}`)}\n\nhoverbody text under a hostile heading.\n`);
    // Eval queries whose text is a payload, each labeled on its payload file: the baseline view quotes them.
    const evalset = path.join(wb.workspace, '.retrieval-lens', 'evalset.jsonl');
    const lines = list.map((p, i) => {
      const exact = `zebracanary payload ${i}: ${p}`;
      const target = { type: 'span', docId: `hostile/p${String(i).padStart(2, '0')}.md`, start: 0, end: exact.length, exact, prefix: '', suffix: '\n' };
      return JSON.stringify({ id: hostileQid(i), text: hostileQuery(i, p), split: 'eval', judgments: [{ grade: 3, target }] });
    });
    // One more, certain to be missed (its label is on a page about something else): the readiness report quotes it.
    const garden = 'Tomatoes want full sun and deep watering twice a week.';
    fs.mkdirSync(path.join(wb.workspace, 'notes'), { recursive: true });
    fs.writeFileSync(path.join(wb.workspace, 'notes', 'garden.md'), `${garden}\n`);
    const gardenTarget = { type: 'span', docId: 'notes/garden.md', start: 0, end: garden.length, exact: garden, prefix: '', suffix: '\n' };
    lines.push(JSON.stringify({ id: 'missed-payload', text: hostileQuery(2, list[2]), split: 'eval', judgments: [{ grade: 3, target: gardenTarget }] }));
    fs.appendFileSync(evalset, `${lines.join('\n')}\n`);
  });
  after(async () => {
    await wb?.close();
    await wire?.close();
  });

  it(`indexes ${'≥'}50 payloads and shows each as text: zero executions, zero requests`, { timeout: 600_000 }, async () => {
    assert.ok(list.length >= 50, `${list.length} payloads`);
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    const f0 = await inspectorFrame(page, '#build-index');
    await f0.locator('#build-index').click();
    await f0.locator('header.status[data-state="ready"]').waitFor({ timeout: 300_000 });
    await f0.locator('#query input').fill('zebracanary payload');
    await f0.locator('#k input').fill('100');
    await f0.locator('#search').click();
    const f = await inspectorFrame(page, '.column[data-retriever="keyword"] .hit');
    await f.locator('.column[data-retriever="keyword"] .hit').nth(list.length - 1).waitFor({ timeout: 60_000 });
    const shown = await f.locator('.column[data-retriever="keyword"] .hit').evaluateAll((els) =>
      els.map((e) => ({ doc: e.querySelector('.doc')?.textContent ?? '', preview: (e.querySelector('.preview') as unknown as { innerText: string } | null)?.innerText ?? '' })),
    );
    const hostile = shown.filter((s) => s.doc.startsWith('hostile/'));
    assert.equal(hostile.length, list.length, 'every payload file is a hit');
    let textOk = 0;
    for (const s of hostile) {
      const i = Number(/p(\d+)\.md$/.exec(s.doc)?.[1]);
      assert.equal(normalize(s.preview), normalize(`zebracanary payload ${i}: ${list[i]}`), `payload ${i} is shown as its text`);
      textOk++;
    }
    // Let anything that would load or run do so, then look: in every frame of the page, and at the listener.
    await page.waitForTimeout(3000);
    const pwned: number[] = [];
    for (const fr of page.frames()) pwned.push(Number(await fr.evaluate('window.__rlPwned || 0').catch(() => 0)));
    const executions = pwned.reduce((a, b) => a + b, 0);
    const file = await screenshot(page, 'hostile-payloads');
    console.log(`hostile payloads: ${list.length} indexed and shown, ${textOk} with their exact text, ${executions} executions over ${pwned.length} frames, ${wire.hits.length} requests to the payloads' address (${wire.hits.join(', ') || 'none'}); screenshot ${file}`);
    assert.equal(executions, 0, 'no payload ran');
    assert.deepEqual(wire.hits, [], 'no request reached the address the payloads name');
  });

  it('a chunk hover quotes a hostile heading as text: no image fetched, no link rendered', { timeout: 300_000 }, async () => {
    const before = wire.hits.length;
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('hostile/headings.md');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'headings.md' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'headings.md' }).waitFor();
    await page.locator('.codelens-decoration', { hasText: 'chunk 1/' }).first().waitFor({ timeout: 60_000 });
    const hover = page.locator('.monaco-hover', { hasText: 'Chunk 1 of' });
    const deadline = Date.now() + 60_000;
    while (!(await hover.isVisible())) {
      if (Date.now() > deadline) throw new Error('no chunk hover appeared');
      await page.mouse.move(0, 0);
      await page.locator('.view-line', { hasText: 'hoverbody' }).first().hover({ position: { x: 30, y: 5 } });
      await page.waitForTimeout(1500);
    }
    const text = await hover.innerText();
    const links = await hover.locator('a').count();
    const imgs = await hover.locator('img').count();
    await page.waitForTimeout(2000);
    const file = await screenshot(page, 'hostile-hover');
    const expected = HEADING(`http://127.0.0.1:${wire.port}`).slice(2);
    console.log(`hostile hover: section shown as text: ${normalize(text).includes(normalize(expected))}, ${links} links, ${imgs} images, ${wire.hits.length - before} requests; screenshot ${file}`);
    assert.ok(normalize(text).includes(`section: ${normalize(expected)}`), `the hover shows the heading as written: ${text}`);
    assert.equal(imgs, 0, 'no image rendered');
    assert.equal(links, 0, 'no link rendered');
    assert.equal(wire.hits.length - before, 0, 'no request to the heading\'s address');
  });

  it('the baseline view quotes hostile query texts as text: zero executions, zero requests', { timeout: 600_000 }, async () => {
    const before = wire.hits.length;
    await runCommand(page, 'Retrieval Lens: Run Baseline Evaluation');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hybrid' }).waitFor();
    await page.keyboard.press('Enter');
    const f = await inspectorFrame(page, '#metrics svg', 300_000);
    const shown = await f.locator('#per-query li').evaluateAll((els) =>
      els.map((e) => ({ qid: e.querySelector('a')?.textContent ?? '', text: (e.querySelector('.qtext') as unknown as { innerText: string } | null)?.innerText ?? '' })),
    );
    const hostile = shown.filter((s) => s.qid.startsWith('hostile-'));
    for (const s of hostile) {
      const i = Number(s.qid.slice('hostile-'.length));
      assert.equal(normalize(s.text), normalize(hostileQuery(i, list[i])), `query ${s.qid} is shown as its text`);
    }
    await page.waitForTimeout(3000);
    const x = await executions(page);
    await f.locator('#per-query').scrollIntoViewIfNeeded();
    const file = await screenshot(page, 'hostile-baseline');
    console.log(`hostile baseline: ${hostile.length} wins/losses quote a hostile query, all with their exact text; ${x.executions} executions over ${x.frames} frames, ${wire.hits.length - before} requests; screenshot ${file}`);
    assert.ok(hostile.length >= 1, 'some hostile queries are quoted');
    assert.equal(x.executions, 0, 'no payload ran');
    assert.equal(wire.hits.length - before, 0, 'no request reached the address the payloads name');
  });

  it('the readiness report app quotes hostile query texts as text: zero executions, zero requests', { timeout: 600_000 }, async () => {
    const before = wire.hits.length;
    await runCommand(page, 'Retrieval Lens: Show Fine-Tune Readiness Report');
    const f = await inspectorFrame(page, '#missed tbody tr', 540_000);
    const rows = await f.locator('#missed tbody tr').evaluateAll((els) =>
      els.map((e) => Array.from(e.querySelectorAll('td')).map((td) => (td as unknown as { innerText: string }).innerText)),
    );
    const hostile = rows.filter((r) => /^zebracanary \d+ /.test(r[0]));
    for (const r of hostile) {
      const i = Number(/^zebracanary (\d+) /.exec(r[0])?.[1]);
      assert.equal(normalize(r[0]), normalize(hostileQuery(i, list[i])), `the missed query ${i} is shown as its text`);
      assert.match(r[1], /^(hostile\/p\d\d|notes\/garden)\.md$/, 'the document column is the labeled file');
    }
    assert.match(await f.locator('h1').first().innerText(), /^Fine-tune readiness: /);
    await page.waitForTimeout(3000);
    const x = await executions(page);
    await f.locator('#missed').scrollIntoViewIfNeeded();
    const file = await screenshot(page, 'hostile-readiness');
    console.log(`hostile readiness: ${hostile.length} missed spans quote a hostile query, all with their exact text; ${x.executions} executions over ${x.frames} frames, ${wire.hits.length - before} requests; screenshot ${file}`);
    assert.ok(hostile.length >= 1, 'some hostile queries are quoted');
    assert.equal(x.executions, 0, 'no payload ran');
    assert.equal(wire.hits.length - before, 0, 'no request reached the address the payloads name');
  });

  it('the neighbourhood view shows hostile chunks as text: zero executions, zero requests', { timeout: 300_000 }, async () => {
    const before = wire.hits.length;
    await runCommandWithInput(page, 'Retrieval Lens: Show Query Neighbourhood', 'zebracanary payload');
    const n = await inspectorFrame(page, '.nb-table tr.point', 120_000);
    const rows = await n.locator('.nb-table tr.point').evaluateAll((els) =>
      els.map((e) => ({ doc: e.querySelector('.nb-doc')?.textContent ?? '', preview: (e.querySelector('.nb-preview') as unknown as { innerText: string } | null)?.innerText ?? '' })),
    );
    const hostile = rows.filter((r) => r.doc.startsWith('hostile/p'));
    for (const r of hostile) {
      const i = Number(/p(\d+)\.md/.exec(r.doc)?.[1]);
      assert.equal(normalize(r.preview), normalize(`zebracanary payload ${i}: ${list[i]}`), `chunk of payload ${i} is shown as its text`);
    }
    assert.equal(await n.locator('.nb-plot title').count() >= hostile.length, true);
    await page.waitForTimeout(3000);
    const x = await executions(page);
    const file = await screenshot(page, 'hostile-neighbourhood');
    console.log(`hostile neighbourhood: ${hostile.length} hostile chunks shown with their exact text; ${x.executions} executions over ${x.frames} frames, ${wire.hits.length - before} requests; screenshot ${file}`);
    assert.ok(hostile.length >= 10, `hostile chunks in the neighbourhood: ${hostile.length}`);
    assert.equal(x.executions, 0, 'no payload ran');
    assert.equal(wire.hits.length - before, 0, 'no request reached the address the payloads name');
  });
});

/** A 127.0.0.1 port nothing listens on (bound, then closed): a request there fails, but the browser still makes it. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Markdown, HTML, bare-URL, command-link and theme-icon syntax naming `http` and `https` payload addresses. */
const surfacePayload = (http: string, https: string, tag: string) =>
  `![${tag}](${http}/${tag}.png) [cmd](command:workbench.action.quit) <img src="${https}/${tag}.png"> [web](${https}/${tag}-link) ${http}/${tag}-bare &lt;b&gt; $(zap) **bold**`;

describe('hostile query texts, ids and notes in hovers, tooltips and CodeLens (real VS Code, chromium)', () => {
  let wb: Workbench;
  let page: Page;
  let http: string;
  let https: string;
  const requests: string[] = [];
  let hostileId: string;
  let hostileText: string;
  let hostileNote: string;
  const LABELED = 'labelcanary sentence the hostile query id labels, with a hostile note on its judgment.';

  /** What a rendered hover must not hold: an image, a link whose target came from content, a command link. */
  async function inertHover(hover: Locator): Promise<{ text: string; imgs: number; contentLinks: string[] }> {
    const text = normalize(await hover.innerText());
    const imgs = await hover.locator('img').count();
    const contentLinks = await hover.locator('a').evaluateAll((els) =>
      els.map((a) => `${a.getAttribute('href') ?? ''} ${a.getAttribute('data-href') ?? ''}`).filter((h) => /127\.0\.0\.1|command:|javascript:|^\s*https?:/.test(h)),
    );
    return { text, imgs, contentLinks };
  }

  /** Moves the mouse off and onto `target` until a hover matching `hover` shows. */
  async function hoverUntil(target: Locator, hover: Locator, what: string, x = 20): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await hover.isVisible())) {
      if (Date.now() > deadline) {
        await screenshot(page, `hostile-${what}-timeout`);
        throw new Error(`no ${what} hover appeared`);
      }
      await page.mouse.move(0, 0);
      await target.hover({ position: { x, y: 8 } });
      await page.waitForTimeout(2500);
    }
  }

  before(async () => {
    http = `http://127.0.0.1:${await closedPort()}`;
    https = `https://127.0.0.1:${await closedPort()}`;
    hostileId = surfacePayload(http, https, 'qid');
    hostileText = `labelcanary ${surfacePayload(https, http, 'qtext')}`;
    hostileNote = surfacePayload(https, http, 'note');
    wb = await openWorkbench('hostile-surfaces', { settings: { 'retrievalLens.topK': 3 } });
    page = wb.page;
    // Every request of the page and its frames (webviews included) to either payload address.
    page.context().on('request', (r) => {
      if (r.url().includes(http.slice('http://'.length)) || r.url().includes(https.slice('https://'.length))) requests.push(r.url());
    });
    fs.mkdirSync(path.join(wb.workspace, 'hostile-ui'), { recursive: true });
    fs.writeFileSync(path.join(wb.workspace, 'hostile-ui', 'labeled.md'), `${LABELED}\n`);
    const target = { type: 'span', docId: 'hostile-ui/labeled.md', start: 0, end: LABELED.length, exact: LABELED, prefix: '', suffix: '\n' };
    const lines = [
      // A hostile id on a labeled span (the decoration's hover names it), with a hostile note (the judgment's tooltip).
      { id: hostileId, text: 'labelcanary which sentence carries the hostile id', split: 'eval', judgments: [{ grade: 3, target, note: hostileNote }] },
      // A hostile text with no judgment: pooled first in the judging queue, quoted by its passages' tooltips.
      { id: 'hostile-text', text: hostileText, split: 'eval', judgments: [] },
    ];
    fs.appendFileSync(path.join(wb.workspace, '.retrieval-lens', 'evalset.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  });
  after(async () => {
    await wb?.close();
  });

  it('the labeled span\'s hover and the CodeLens show a hostile query id as text: no image, no link, no request', { timeout: 1_200_000 }, async () => {
    // Nothing builds the index on opening here (no view asks for it): build it, with the file written above.
    const chunks = page.locator('.statusbar-item', { hasText: /\d+ chunks/ }).first();
    await runCommand(page, 'Retrieval Lens: Build Index');
    await chunks.waitFor({ timeout: 540_000 });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('hostile-ui/labeled.md');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'labeled.md' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'labeled.md' }).waitFor();
    const lens = page.locator('.codelens-decoration', { hasText: 'chunk 1/' }).first();
    await lens.waitFor({ timeout: 120_000 });
    const hover = page.locator('.monaco-hover', { hasText: 'labeled grade 3 for query' });
    await hoverUntil(page.locator('.view-line', { hasText: 'labelcanary' }).first(), hover, 'label');
    await page.waitForTimeout(2000);
    const h = await inertHover(hover);
    const file = await screenshot(page, 'hostile-label-hover');
    const lensText = normalize(await lens.innerText());
    const lensImgs = await lens.locator('img').count();
    console.log(`hostile label hover: id shown as text: ${h.text.includes(normalize(hostileId))}, ${h.imgs} images, content links [${h.contentLinks.join(', ')}]; CodeLens "${lensText}"; ${requests.length} requests; screenshot ${file}`);
    assert.ok(h.text.includes(`labeled grade 3 for query ${normalize(hostileId)}`), `the hover shows the query id as written: ${h.text}`);
    assert.equal(h.imgs, 0, 'no image rendered');
    assert.deepEqual(h.contentLinks, [], 'no link from the content');
    assert.match(lensText, /^chunk 1\/1 · \d+ tokens?/);
    assert.equal(lensImgs, 0);
    assert.deepEqual(requests, [], 'no request to the payload addresses');
  });

  it('a pooled passage\'s tooltip in the judging queue shows a hostile query text as text', { timeout: 300_000 }, async () => {
    await page.mouse.move(0, 0);
    await page.locator('.activitybar [aria-label^="Retrieval Lens"]').first().click();
    await runCommand(page, 'Retrieval Lens: Build Judging Queue (Pooled Top K)');
    const row = page.locator('.monaco-list-row[aria-label^="For query labelcanary ![qtext]"]').first();
    await row.waitFor({ timeout: 240_000 });
    const label = (await row.getAttribute('aria-label')) ?? '';
    assert.ok(label.startsWith(`For query ${hostileText}: `), `the pooled passage is for the hostile query: ${label}`);
    const hover = page.locator('.workbench-hover, .monaco-hover', { hasText: 'Query:' });
    await hoverUntil(row, hover, 'pooled-passage', 140);
    await page.waitForTimeout(2000);
    const h = await inertHover(hover.first());
    const file = await screenshot(page, 'hostile-pool-tooltip');
    console.log(`hostile pooled-passage tooltip: query shown as text: ${h.text.includes(normalize(hostileText))}, ${h.imgs} images, content links [${h.contentLinks.join(', ')}]; ${requests.length} requests; screenshot ${file}`);
    assert.ok(h.text.includes(`Query: ${normalize(hostileText)}`), `the tooltip shows the query as written: ${h.text}`);
    assert.equal(h.imgs, 0, 'no image rendered');
    assert.deepEqual(h.contentLinks, [], 'no link from the content');
    assert.deepEqual(requests, [], 'no request to the payload addresses');
  });

  it('a judgment\'s tooltip in the Eval Set view shows a hostile note as text', { timeout: 120_000 }, async () => {
    await page.mouse.move(0, 0);
    // The pooled passages come first and push the queries out of the (virtual) list: fold them, go to the end.
    await page.locator('.monaco-list-row', { hasText: 'Judging queue:' }).first().locator('.monaco-tl-twistie').click();
    await page.keyboard.press('End');
    const query = page.locator('.monaco-list-row', { hasText: 'labelcanary which sentence carries the hostile id' }).first();
    await query.waitFor({ timeout: 30_000 });
    await query.locator('.monaco-tl-twistie').click();
    const judgment = page.locator('.monaco-list-row', { hasText: 'grade 3 · hostile-ui/labeled.md' }).first();
    await judgment.waitFor({ timeout: 30_000 });
    const hover = page.locator('.workbench-hover, .monaco-hover', { hasText: 'note.png' });
    await hoverUntil(judgment, hover, 'judgment-note', 140);
    await page.waitForTimeout(2000);
    const h = await inertHover(hover.first());
    const file = await screenshot(page, 'hostile-note-tooltip');
    console.log(`hostile note tooltip: note shown as text: ${h.text.includes(normalize(hostileNote))}, ${h.imgs} images, content links [${h.contentLinks.join(', ')}]; ${requests.length} requests; screenshot ${file}`);
    assert.ok(h.text.includes(normalize(hostileNote)), `the tooltip shows the note as written: ${h.text}`);
    assert.equal(h.imgs, 0, 'no image rendered');
    assert.deepEqual(h.contentLinks, [], 'no link from the content');
    assert.deepEqual(requests, [], 'no request to the payload addresses');
  });
});
