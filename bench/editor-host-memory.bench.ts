import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../scripts/lib/browser';
import { startCodeServer, type CodeServer } from '../scripts/lib/code-server';
import { ensureTools } from '../scripts/lib/tools';
import { findWebview, openWorkbench, runCommand } from '../test/e2e/harness';
import { repoRoot, requireScifact } from './bench-lib';
import { writeLargeRepoWorkspace } from './large-repo-workspace';

/**
 * The extension host's memory in the real editor (code-server + chromium, the built extension under development):
 *   (a) the demo workspace as the UI tests open it (its settings pin USE-lite, so it has vectors and model processes);
 *   (b) the large workspace of bench/large-repo.bench.ts (SciFact × 4 folders), keyword only
 *       (`retrievalLens.embeddingModel: "none"`, as the table).
 * For each: the host's VmRSS idle with the Query Inspector open (no index), after the index is built and one query
 * answered there, then after reloading the window (a new extension host) idle, and after the saved index is opened
 * and one query answered; VmHWM (the host process's peak) at each point. The extension host is code-server's
 * descendant process whose command line has `--type=extensionHost`; its own descendants (model processes) are
 * summed apart. Bare MiniSearch's readFile + loadJSON + search peak RSS on the same chunk texts comes from
 * bench/large-repo.bench.ts's own child roles, in this run, before the editor starts.
 * Needs a build first (`node esbuild.mjs`). HOST_MEMORY_LIMIT=n keeps n abstracts per folder.
 */
const LIMIT = Number(process.env.HOST_MEMORY_LIMIT ?? Infinity);
const BUILD_TIMEOUT = 20 * 60_000;

interface ProcMem {
  pid: number;
  rssMb: number;
  hwmMb: number;
}

function readStatus(pid: number): ProcMem | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { pid, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Every live process below `root`, with its command line (walks /proc by parent pid). */
function descendants(root: number): Array<{ pid: number; cmd: string }> {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: Array<{ pid: number; cmd: string }> = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      let cmd = '';
      try {
        cmd = fs.readFileSync(`/proc/${c}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        continue;
      }
      out.push({ pid: c, cmd });
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** The extension host below code-server (a new one after a reload: `not` is the one to wait to be gone). */
async function extensionHost(server: CodeServer, not?: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const hosts = descendants(server.process.pid!).filter((p) => p.cmd.includes('--type=extensionHost') && p.pid !== not);
    if (hosts.length === 1) return hosts[0].pid;
    if (hosts.length > 1) throw new Error(`more than one extension host: ${hosts.map((h) => h.pid).join(', ')}`);
    if (Date.now() > deadline) throw new Error('no extension host process found below code-server');
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Sample {
  point: string;
  hostRssMb: number;
  hostHwmMb: number;
  /** The host's model processes (ours, from dist/), summed; other children (built-in language servers) are listed only. */
  childrenRssMb: number;
  children: number;
  load: number;
}

async function sample(point: string, host: number, page: Page): Promise<Sample> {
  await page.waitForTimeout(3_000); // let the work just done settle (no forced GC: this is what the user's host holds)
  const m = readStatus(host);
  if (!m) throw new Error(`extension host ${host} is gone at "${point}"`);
  const kids = descendants(host).flatMap((d) => {
    const mem = readStatus(d.pid);
    return mem ? [{ ...mem, model: d.cmd.includes(path.join(repoRoot, 'dist')), name: /([\w.-]+\.js)\b/.exec(d.cmd)?.[1] ?? d.cmd.slice(0, 60) }] : [];
  });
  const models = kids.filter((k) => k.model);
  const s = { point, hostRssMb: m.rssMb, hostHwmMb: m.hwmMb, childrenRssMb: models.reduce((a, k) => a + k.rssMb, 0), children: models.length, load: os.loadavg()[0] };
  const list = kids.map((k) => `${k.name} ${k.rssMb.toFixed(0)} MB`).join(', ') || 'none';
  console.log(`  ${point}: host ${host} VmRSS ${s.hostRssMb.toFixed(0)} MB, VmHWM ${s.hostHwmMb.toFixed(0)} MB; its child processes: ${list}; load ${s.load.toFixed(1)} (${new Date().toISOString()})`);
  return s;
}

/** The chunk count the status bar shows once the index is ready ("$(…) 38256 chunks"). */
async function statusChunks(page: Page): Promise<number> {
  const text = await page.locator('.statusbar-item', { hasText: / chunks/ }).first().innerText();
  const m = /(\d+) chunks/.exec(text);
  if (!m) throw new Error(`no chunk count in the status bar: ${text}`);
  return Number(m[1]);
}

/** Query Inspector: build (or open) the index from its button, then one query, waiting for a keyword hit. */
async function buildAndQuery(page: Page, query: string): Promise<{ ms: number; chunks: number }> {
  await runCommand(page, 'Retrieval Lens: Open Query Inspector');
  const f = await findWebview(page, '#build-index', 120_000);
  const t = performance.now();
  await f.locator('#build-index').click();
  await f.locator('header.status[data-state="ready"]').waitFor({ timeout: BUILD_TIMEOUT });
  const ms = performance.now() - t;
  await f.locator('#query input').fill(query);
  await f.locator('#search').click();
  await f.locator('.column[data-retriever="keyword"] .hit').first().waitFor({ timeout: 120_000 });
  return { ms, chunks: await statusChunks(page) };
}

async function idleWithInspector(page: Page): Promise<void> {
  await runCommand(page, 'Retrieval Lens: Open Query Inspector');
  await findWebview(page, '#build-index', 120_000);
}

interface Session {
  chunks: number;
  buildMs: number;
  openMs: number;
  samples: Sample[];
}

async function measure(page: Page, server: CodeServer, query: string): Promise<Session> {
  const samples: Sample[] = [];
  const host1 = await extensionHost(server);
  await idleWithInspector(page);
  samples.push(await sample('idle, no index', host1, page));
  const built = await buildAndQuery(page, query);
  samples.push(await sample('index built + 1 query', host1, page));
  await page.reload();
  await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
  const host2 = await extensionHost(server, host1);
  await idleWithInspector(page);
  samples.push(await sample('reloaded, idle, no index', host2, page));
  const opened = await buildAndQuery(page, query);
  samples.push(await sample('saved index opened + 1 query', host2, page));
  if (opened.chunks !== built.chunks) throw new Error(`built ${built.chunks} chunks but opened ${opened.chunks}`);
  return { chunks: built.chunks, buildMs: built.ms, openMs: opened.ms, samples };
}

/** One of bench/large-repo.bench.ts's measurement roles, in a process of its own (its last line is JSON). */
function largeRepoRole(role: string, root: string, dir: string): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'large-repo.bench.ts'), role, root, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`large-repo ${role} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = JSON.parse(last) as Record<string, number>;
  console.log(`  CLI ${role}: ${(m.ms / 1000).toFixed(1)} s, peak RSS ${m.rssMb.toFixed(0)} MB, ${m.chunks} chunks, load ${os.loadavg()[0].toFixed(1)}`);
  return m;
}

function table(name: string, s: Session): void {
  const [idle, built, idle2, opened] = s.samples;
  console.log(`\n## ${name}: ${s.chunks} chunks; build ${(s.buildMs / 1000).toFixed(1)} s, open ${(s.openMs / 1000).toFixed(1)} s (button to ready, in the editor)`);
  console.table(s.samples.map((x) => ({ point: x.point, 'host VmRSS (MB)': x.hostRssMb.toFixed(0), 'host VmHWM (MB)': x.hostHwmMb.toFixed(0), 'model processes (MB)': x.childrenRssMb.toFixed(0), load: x.load.toFixed(1) })));
  // Per 10k chunks only where the index is large enough for the figure to be the index's rather than fixed costs.
  const per10k = (mb: number) => (s.chunks >= 10_000 ? ` (${((mb / s.chunks) * 10_000).toFixed(0)} MB per 10k chunks)` : '');
  console.log(`  index's share of the host: built ${(built.hostRssMb - idle.hostRssMb).toFixed(0)} MB${per10k(built.hostRssMb - idle.hostRssMb)}, opened ${(opened.hostRssMb - idle2.hostRssMb).toFixed(0)} MB${per10k(opened.hostRssMb - idle2.hostRssMb)}; whole host after open${per10k(opened.hostRssMb)}`);
}

async function main(): Promise<void> {
  const scifact = requireScifact('editor-host-memory');
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `node esbuild.mjs` first');
  ensureTools();
  const stateDir = path.join(repoRoot, '.tools', 'state-bench-host-memory');
  fs.rmSync(stateDir, { recursive: true, force: true });
  const ws = path.join(stateDir, 'workspace');
  const cliDir = path.join(stateDir, 'cli');
  fs.mkdirSync(cliDir, { recursive: true });
  try {
    const { files, bytes } = await writeLargeRepoWorkspace(scifact, ws, LIMIT);
    fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'retrievalLens.embeddingModel': 'none' }, null, 2));
    console.log(`editor-host-memory: large workspace ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MB; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${new Date().toISOString()})`);

    // The CLI side first (the editor not running): ours builds and writes the chunk texts bare MiniSearch indexes.
    const cliBuild = largeRepoRole('ours-build', ws, cliDir);
    const cliOpen = largeRepoRole('ours-open', ws, cliDir);
    largeRepoRole('bare-build', ws, cliDir);
    const bareOpen = largeRepoRole('bare-open', ws, cliDir);
    fs.rmSync(cliDir, { recursive: true, force: true });

    console.log('\n(a) the demo workspace, as the UI tests open it');
    const demoWb = await openWorkbench('bench-host-memory-demo');
    let demo: Session;
    try {
      demo = await measure(demoWb.page, demoWb.server, 'QS-4091 partition fenced');
    } finally {
      await demoWb.close();
    }

    console.log('\n(b) the large workspace, keyword only');
    const server = await startCodeServer({ stateDir: path.join(stateDir, 'editor') });
    const browser = await launchBrowser();
    let large: Session;
    try {
      const page = await browser.context.newPage();
      await page.goto(server.workbenchUrl({ folder: ws, extensionDevelopmentPath: repoRoot }));
      await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
      await page.waitForFunction('document.title.includes("Extension Development Host")', undefined, { timeout: 120_000 });
      large = await measure(page, server, 'cancer cells respond to inflammation');
    } finally {
      await browser.close();
      await server.stop();
    }

    table('(a) demo workspace (USE-lite, as the UI tests)', demo);
    table('(b) large workspace, keyword only', large);
    if (large.chunks !== cliBuild.chunks) console.log(`  note: the editor indexed ${large.chunks} chunks, the CLI ${cliBuild.chunks}`);
    const opened = large.samples[3];
    const idle = large.samples[2];
    const builtPeak = large.samples[1].hostHwmMb;
    console.log(`\n## Large workspace against bare MiniSearch (same chunk texts, this run), load average ${os.loadavg()[0].toFixed(1)} at the end`);
    console.table([
      { measure: 'host VmRSS, saved index opened + 1 query (MB)', editor: opened.hostRssMb.toFixed(0), 'bare loadJSON peak RSS (MB)': bareOpen.rssMb.toFixed(0), 'editor / bare': (opened.hostRssMb / bareOpen.rssMb).toFixed(2) },
      { measure: 'host VmHWM of the reopened host (MB)', editor: opened.hostHwmMb.toFixed(0), 'bare loadJSON peak RSS (MB)': bareOpen.rssMb.toFixed(0), 'editor / bare': (opened.hostHwmMb / bareOpen.rssMb).toFixed(2) },
      { measure: "the index's share: opened − reloaded idle (MB)", editor: (opened.hostRssMb - idle.hostRssMb).toFixed(0), 'bare loadJSON peak RSS (MB)': bareOpen.rssMb.toFixed(0), 'editor / bare': ((opened.hostRssMb - idle.hostRssMb) / bareOpen.rssMb).toFixed(2) },
      { measure: 'host VmHWM while building (MB)', editor: builtPeak.toFixed(0), 'bare loadJSON peak RSS (MB)': bareOpen.rssMb.toFixed(0), 'editor / bare': (builtPeak / bareOpen.rssMb).toFixed(2) },
      { measure: 'CLI open + 1 query peak RSS (MB)', editor: cliOpen.rssMb.toFixed(0), 'bare loadJSON peak RSS (MB)': bareOpen.rssMb.toFixed(0), 'editor / bare': (cliOpen.rssMb / bareOpen.rssMb).toFixed(2) },
    ]);
  } finally {
    // code-server's children (the extension host, its file watcher) may still be writing for a moment after it exits.
    // The figures are printed by then: a folder still held is named, not a failed run.
    for (const d of [stateDir, path.join(repoRoot, '.tools', 'state-e2e-bench-host-memory-demo')]) {
      try {
        fs.rmSync(d, { recursive: true, force: true, maxRetries: 40, retryDelay: 500 });
      } catch (e) {
        console.log(`  note: could not remove ${d} (${e instanceof Error ? e.message : e}); remove it by hand`);
      }
    }
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
