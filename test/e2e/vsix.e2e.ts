import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { repoRoot } from '../../scripts/lib/tools';
import { openWorkbench, runCommand, screenshot, type Workbench } from './harness';

describe('the packaged .vsix', () => {
  let wb: Workbench;
  const vsix = path.join(repoRoot, 'dist', 'retrieval-lens.vsix');
  before(async () => {
    execFileSync('npm', ['run', 'package'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
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
});
