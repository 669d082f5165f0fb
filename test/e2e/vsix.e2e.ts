import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { repoRoot } from '../../scripts/lib/tools';
import { sharedModelDir, skipUnlessShared } from '../helpers/shared';
import { openWorkbench, runCommand, screenshot, type Workbench } from './harness';

const fixture = sharedModelDir('minilm-shape-random');

describe('the packaged .vsix (linux-x64)', () => {
  let wb: Workbench;
  const vsix = path.join(repoRoot, 'dist', 'retrieval-lens-linux-x64.vsix');
  before(async () => {
    execFileSync('npm', ['run', 'package', '--', 'linux-x64'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    assert.ok(fs.statSync(vsix).size > 1_000_000);
    wb = await openWorkbench('vsix', { installVsix: vsix });
  });
  after(async () => {
    await wb?.close();
    // Leave dist/ as the development build that other suites load.
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'ignore' });
  });

  it('installs into code-server, activates, and indexes with its bundled models', async () => {
    await runCommand(wb.page, 'Retrieval Lens: Open Query Inspector');
    let frame: Frame | undefined;
    for (let i = 0; i < 120 && !frame; i++) {
      for (const f of wb.page.frames()) if (await f.locator('#build-index').count().catch(() => 0)) frame = f;
      if (!frame) await wb.page.waitForTimeout(250);
    }
    assert.ok(frame, 'the inspector webview loaded from the installed extension');
    await frame.locator('#build-index').click();
    await frame.locator('header.status[data-state="ready"]').waitFor({ timeout: 120_000 });
    assert.match(await frame.locator('header.status').innerText(), /22 documents · \d+ chunks · markdown:maxSize=1500,minSize=0 · use-lite/);
    await screenshot(wb.page, 'vsix-installed');
  });

  it('runs a transformers.js model from the package (bundled transformers.js, its own onnxruntime binaries, no sharp)', { skip: skipUnlessShared('the MiniLM-shaped fixture model', fixture) }, async () => {
    const names = execFileSync('unzip', ['-Z1', vsix]).toString().split('\n');
    assert.ok(!names.some((n) => /\/(sharp|@img|@types|@huggingface)\//.test(n)), 'no sharp, libvips, @types or transformers.js package inside');
    assert.deepEqual([...new Set(names.filter((n) => n.includes('/napi-v3/')).map((n) => n.split('/napi-v3/')[1].split('/').slice(0, 2).join('/')))], ['linux/x64']);
    const settingsFile = path.join(wb.workspace, '.vscode', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'retrievalLens.embeddingModel': fixture }, null, 2));
    await wb.page.waitForTimeout(2000);
    await runCommand(wb.page, 'Retrieval Lens: Build Index');
    let frame: Frame | undefined;
    for (let i = 0; i < 120 && !frame; i++) {
      for (const f of wb.page.frames()) if (await f.locator('header.status').count().catch(() => 0)) frame = f;
      if (!frame) await wb.page.waitForTimeout(250);
    }
    assert.ok(frame);
    await frame.locator('header.status[data-state="ready"]', { hasText: 'minilm-shape-random' }).waitFor({ timeout: 180_000 });
  });
});
