import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'retrieval-lens.retrieval-lens';

describe('extension', () => {
  it('activates quickly without loading a model or an index', async () => {
    const ext = vscode.extensions.getExtension<{ activationMs: number }>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    const api = await ext.activate();
    console.log(`activation took ${api.activationMs.toFixed(1)} ms`);
    assert.ok(api.activationMs < 500, `activation ${api.activationMs} ms`);
  });

  it('registers exactly the commands package.json contributes (one list: src/extension/commands/index.ts)', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    const contributed = (ext.packageJSON.contributes.commands as Array<{ command: string }>).map((c) => c.command).sort();
    // The workbench adds its own commands per contributed view (retrievalLens.evalSet.focus, …): not ours.
    const views = Object.values(ext.packageJSON.contributes.views as Record<string, Array<{ id: string }>>).flat().map((v) => `${v.id}.`);
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('retrievalLens.') && !views.some((v) => c.startsWith(v))).sort();
    assert.deepEqual(registered, contributed);
  });

  it('Open Query Inspector opens the webview panel', async () => {
    await vscode.commands.executeCommand('retrievalLens.openInspector');
    const deadline = Date.now() + 10_000;
    let tab: vscode.Tab | undefined;
    while (!tab && Date.now() < deadline) {
      tab = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('retrievalLens.inspector'));
      if (!tab) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tab, 'a Query Inspector tab exists');
    assert.equal(tab.label, 'Query Inspector');
  });
});
