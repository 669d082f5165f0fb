/**
 * UI-test plumbing: a fresh code-server + chromium per suite, the workbench opened on a copy of the demo workspace
 * with the extension under development, the command palette, the webview's inner frame, and screenshots.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, FrameLocator, Page } from 'playwright-core';
import { launchBrowser } from '../../scripts/lib/browser';
import { startCodeServer, type CodeServer } from '../../scripts/lib/code-server';
import { codeServerBin, ensureTools, repoRoot } from '../../scripts/lib/tools';

export const screenshotDir = path.join(repoRoot, 'test', 'e2e', 'screenshots');

export interface Workbench {
  page: Page;
  server: CodeServer;
  workspace: string;
  close(): Promise<void>;
}

/**
 * Opens a workbench on a fresh copy of demo/. With `installVsix`, the packaged extension is installed into the
 * server's extensions folder and loaded like a user's install, instead of as the extension under development.
 */
export async function openWorkbench(name: string, options: { settings?: Record<string, unknown>; installVsix?: string; restricted?: boolean; walkthrough?: boolean } = {}): Promise<Workbench> {
  ensureTools();
  const stateDir = path.join(repoRoot, '.tools', `state-e2e-${name}`);
  fs.rmSync(stateDir, { recursive: true, force: true });
  const workspace = path.join(stateDir, 'workspace');
  fs.cpSync(path.join(repoRoot, 'demo'), workspace, { recursive: true });
  if (options.settings) {
    const settingsFile = path.join(workspace, '.vscode', 'settings.json');
    const current = fs.existsSync(settingsFile) ? JSON.parse(fs.readFileSync(settingsFile, 'utf8')) : {};
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ ...current, ...options.settings }, null, 2));
  }
  if (options.installVsix) {
    const out = execFileSync(codeServerBin, ['--install-extension', options.installVsix, '--extensions-dir', path.join(stateDir, 'extensions')], {
      env: { ...process.env, XDG_CONFIG_HOME: path.join(stateDir, 'config'), XDG_DATA_HOME: path.join(stateDir, 'data') },
    }).toString();
    if (!/was successfully installed/.test(out)) throw new Error(`installing ${options.installVsix} failed:\n${out}`);
  }
  const server = await startCodeServer({ stateDir, restricted: options.restricted, walkthrough: options.walkthrough });
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  await page.goto(server.workbenchUrl({ folder: workspace, extensionDevelopmentPath: options.installVsix ? undefined : repoRoot }));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  if (!options.installVsix) await page.waitForFunction('document.title.includes("Extension Development Host")', undefined, { timeout: 60_000 });
  return {
    page,
    server,
    workspace,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/** F1, type the command, pick it. The palette snapshots commands when it opens: reopen until ours shows. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // Escape only closes an open palette: pressed in the editor it would clear the selection a command needs.
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ state: 'visible', timeout: 3_000 });
    } catch {
      // F1 went to a webview that does not pass keys on (one without scripts, or one still loading after its tab was
      // shown again): the title bar's command centre opens the same quick input whatever has the focus.
      await page.locator('.command-center').first().click();
      await input.waitFor({ state: 'visible', timeout: 10_000 });
    }
    try {
      await input.fill(`>${title}`, { timeout: 3_000 });
    } catch (e) {
      // A webview that finishes loading just then takes the focus, and the palette closes (it stays in the page,
      // hidden): open it again.
      if (Date.now() > deadline) throw e;
      continue;
    }
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 2_000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`command "${title}" never appeared in the palette`);
    }
  }
}

/**
 * Runs a command that asks for text in an input box and types `text` into it. A webview that finishes loading just
 * then can take the focus, and an input box closes on losing it (the box stays in the page, hidden): then the
 * command is run again, until `timeout`.
 */
export async function runCommandWithInput(page: Page, title: string, text: string, timeout = 60_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    await runCommand(page, title);
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(text, { timeout: 5_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
}

/**
 * "Mark Relevant for Query…" on the editor's selection for a new query: the palette command, "New query", the query
 * text, then the grade picked by its description (e.g. "answers it partly").
 */
export async function markSelectionForNewQuery(page: Page, query: string, grade: string): Promise<void> {
  await runCommand(page, 'Retrieval Lens: Mark Relevant for Query…');
  const input = page.locator('.quick-input-widget input');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Mark relevant for which query?' }).waitFor();
  await input.fill('New query');
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'New query' }).waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New query' }).waitFor();
  await input.fill(query);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: grade }).click();
}

/** The webview content sits two iframes deep. */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The frame (two iframes deep) of the webview that contains `selector`, waiting for it up to `timeout` ms. */
export async function findWebview(page: Page, selector: string, timeout = 60_000): Promise<Frame> {
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
