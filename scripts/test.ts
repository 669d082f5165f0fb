/**
 * `npm test`: type-check + lint, build, unit tests (node:test), integration tests in the real extension host,
 * UI tests driving the workbench and the webview. Each stage streams its output; the last line is
 * `N passed, N failed, N skipped` over all stages. `--only unit|integration|e2e` runs one stage (after the build).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './lib/tools';

interface Counts { passed: number; failed: number; skipped: number }
const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

function run(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  console.log(`\n=== ${label}: ${[path.basename(cmd), ...args].join(' ').slice(0, 200)}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d: Buffer) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** A check (type-check, lint, build) counts as one test. */
async function check(label: string, cmd: string, args: string[]): Promise<boolean> {
  const { code } = await run(label, cmd, args);
  if (code === 0) total.passed++;
  else { total.failed++; console.error(`${label} FAILED (exit ${code})`); }
  return code === 0;
}

/** node:test's spec reporter ends with `ℹ pass N`, `ℹ fail N`, `ℹ skipped N`. */
function nodeTestCounts(out: string): Counts | undefined {
  const num = (k: string) => Number(new RegExp(`^ℹ ${k} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
  const c = { passed: num('pass'), failed: num('fail'), skipped: num('skipped') + (num('todo') || 0) };
  return Number.isNaN(c.passed) ? undefined : c;
}

function files(dir: string, suffix: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => path.join(dir, f))
    .sort();
}

async function nodeTests(label: string, list: string[], extra: string[] = []): Promise<void> {
  if (!list.length) { console.log(`\n=== ${label}: no test files`); return; }
  const { code, out } = await run(label, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...list]);
  const c = nodeTestCounts(out);
  if (!c) { total.failed++; console.error(`${label}: no summary from the test runner (exit ${code})`); return; }
  if (code !== 0 && c.failed === 0) c.failed = 1; // a crash outside any test still fails the stage
  add(c);
}

function add(c: Counts): void {
  total.passed += c.passed; total.failed += c.failed; total.skipped += c.skipped;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  if (!only) {
    await check('typecheck', bin('tsc'), ['--noEmit', '-p', '.']);
    await check('typecheck webview', bin('tsc'), ['--noEmit', '-p', 'webview-ui']);
    await check('lint', bin('eslint'), ['--max-warnings=0', '--no-error-on-unmatched-pattern', 'src', 'webview-ui', 'test', 'bench', 'scripts']);
  }
  const built = await check('build', process.execPath, ['esbuild.mjs']);
  if (!only || only === 'unit') await nodeTests('unit', files(path.join(repoRoot, 'test', 'unit'), '.test.ts'));
  if (built && (!only || only === 'integration')) {
    const { code, out } = await run('integration (extension host in code-server)', process.execPath, ['--import', 'tsx', 'scripts/run-integration.ts']);
    const m = /^integration: (\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(out);
    if (m) add({ passed: +m[1], failed: +m[2] || (code ? 1 : 0), skipped: +m[3] });
    else { total.failed++; console.error(`integration: no summary (exit ${code})`); }
  }
  if (built && (!only || only === 'e2e')) {
    await nodeTests('e2e (workbench + webview in chromium)', files(path.join(repoRoot, 'test', 'e2e'), '.e2e.ts'), ['--test-concurrency=1']);
  }
  console.log(`\ntests took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  process.exit(total.failed ? 1 : 0);
}

void main();
