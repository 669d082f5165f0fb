/**
 * Runs test/integration/**.test.ts inside the real extension host: code-server opens the demo workspace with the
 * extension under development and out/test/suite.js as extensionTestsPath; the workbench calls
 * window.codeAutomationExit(code) when mocha finishes. Output of the suite arrives through codeAutomationLog.
 * Prints `integration: N passed, N failed` and exits with the suite's code.
 */
import * as fs from 'node:fs';
import { format } from 'node:util';
import * as path from 'node:path';
import { launchBrowser } from './lib/browser';
import { startCodeServer } from './lib/code-server';
import { ensureTools, repoRoot } from './lib/tools';

async function main(): Promise<number> {
  ensureTools();
  const stateDir = path.join(repoRoot, '.tools', 'state-integration');
  fs.rmSync(stateDir, { recursive: true, force: true });
  const workspace = path.join(stateDir, 'workspace');
  fs.cpSync(path.join(repoRoot, 'demo'), workspace, { recursive: true });
  const server = await startCodeServer({ stateDir, log: (l) => process.env.RL_VERBOSE && console.log(`[code-server] ${l}`) });
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => logFromWorkbench(type, args));
    await page.exposeFunction('codeAutomationExit', (code: unknown) => resolveExit(Number(code)));
    page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
    await page.goto(server.workbenchUrl({
      folder: workspace,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out', 'test', 'suite.js'),
    }));
    const timeout = new Promise<number>((r) => setTimeout(() => { console.error('integration: timed out after 5 minutes'); r(1); }, 300_000).unref());
    return await Promise.race([exited, timeout]);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);

/** The workbench forwards the extension host's console as (type, args[]). */
function logFromWorkbench(type: unknown, args: unknown): void {
  const line = Array.isArray(args) ? format(...args) : String(args);
  if (!process.env.RL_VERBOSE && WORKBENCH_NOISE.test(line)) return;
  if (type === 'error') console.error(line);
  else console.log(line);
}

/** Workbench start-up chatter and the closed network's refusals; RL_VERBOSE=1 shows them. */
const WORKBENCH_NOISE = /open-vsx\.org|^\s+at .*workbench\.js|Creating a socket|Resolv(ing|ed) connection token|\[Service Worker\]|ChatSessionStore|Updating additional builtin|marketplace/;
