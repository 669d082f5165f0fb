import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BUILT_IN_MODEL, decideTrust, ignoredSettingsLine, pickSetting, RESTRICTED_SETTINGS, restrictWorkspaceSettings, settingUsable, TRUST_WORKSPACE_ENV, workspaceWriteRefusal } from '../../../../src/core/settings/workspace-trust';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { supported: string; description: string; restrictedConfigurations: string[] } };
};

describe('workspace trust', () => {
  it('package.json declares limited support, says why, and restricts every setting that names a model, folder or endpoint', () => {
    const u = pkg.capabilities.untrustedWorkspaces;
    assert.equal(u.supported, 'limited');
    assert.match(u.description, /USE-lite/);
    assert.deepEqual(u.restrictedConfigurations, RESTRICTED_SETTINGS.map((k) => `retrievalLens.${k}`));
  });

  it('untrusted: a local model folder, a hub model and a reranker from settings are replaced by the built-in USE-lite, downloads off', () => {
    for (const model of ['/home/stranger/evil-model', 'Xenova/all-MiniLM-L6-v2', 'use-lite']) {
      const d = decideTrust(false, { model, reranker: '/tmp/reranker', allowDownload: true }, ['embeddingModel', 'rerankerModel']);
      assert.equal(d.model, BUILT_IN_MODEL);
      assert.equal(d.reranker, '');
      assert.equal(d.allowDownload, false);
      assert.equal(d.externalRetrievers, false);
      assert.equal(d.writeWorkspaceFiles, false);
      assert.ok(d.limits.some((l) => /no model is downloaded/.test(l)));
      assert.ok(d.limits.some((l) => /external retriever/.test(l)));
      assert.ok(d.limits.some((l) => /labels are not saved/.test(l)));
      assert.ok(d.limits.some((l) => l.includes('retrievalLens.embeddingModel, retrievalLens.rerankerModel')));
      if (model !== 'use-lite') assert.ok(d.limits[0].includes(model), 'the tooltip names the model it did not load');
    }
  });

  it('trusted: what the settings ask for is used and nothing is limited', () => {
    const want = { model: '/models/mine', reranker: 'Xenova/ms-marco-MiniLM-L-6-v2', allowDownload: true };
    const d = decideTrust(true, want);
    assert.deepEqual({ model: d.model, reranker: d.reranker, allowDownload: d.allowDownload }, want);
    assert.deepEqual(d.limits, []);
    assert.equal(d.writeWorkspaceFiles, true);
  });

  it('workspace and folder values of restricted settings are unusable untrusted; user values and other settings are', () => {
    for (const key of RESTRICTED_SETTINGS) {
      assert.equal(settingUsable(key, 'workspace', false), false, key);
      assert.equal(settingUsable(key, 'folder', false), false, key);
      assert.equal(settingUsable(key, 'user', false), true, key);
      assert.equal(settingUsable(key, 'workspace', true), true, key);
    }
    assert.equal(settingUsable('chunker', 'workspace', false), true);
    assert.equal(settingUsable('topK', 'folder', false), true);
  });

  it('the editor picks folder over workspace over user values, skipping an untrusted workspace\'s restricted ones', () => {
    const levels = { folder: '/ws/evil-model', workspace: 'Xenova/x', user: 'Xenova/all-MiniLM-L6-v2' };
    assert.deepEqual(pickSetting('embeddingModel', levels, true), { value: '/ws/evil-model', ignored: false });
    assert.deepEqual(pickSetting('embeddingModel', levels, false), { value: 'Xenova/all-MiniLM-L6-v2', ignored: true });
    assert.deepEqual(pickSetting('retrievers', { workspace: [{ url: 'http://127.0.0.1:9/' }] }, false), { value: undefined, ignored: true });
    assert.deepEqual(pickSetting('allowModelDownload', { workspace: true, user: false }, false), { value: false, ignored: true });
    assert.deepEqual(pickSetting('chunker', { workspace: 'recursive', user: 'markdown' }, false), { value: 'recursive', ignored: false });
    assert.deepEqual(pickSetting('topK', {}, false), { value: undefined, ignored: false });
    // Even the user's own model choice gives way to the built-in model while the workspace is untrusted.
    assert.equal(decideTrust(false, { model: pickSetting('embeddingModel', levels, false).value as string, reranker: '', allowDownload: false }).model, 'use-lite');
  });

  it('writes into an untrusted workspace are refused with the reason', () => {
    assert.equal(workspaceWriteRefusal(true), undefined);
    assert.match(workspaceWriteRefusal(false) ?? '', /not trusted \(Restricted Mode\).*evalset\.jsonl/);
  });
});

describe('restrictWorkspaceSettings (what the CLI applies from an untrusted workspace)', () => {
  it('drops every restricted setting that asks for something and names it; keeps the rest and values that ask for nothing', () => {
    const settings = {
      chunker: 'markdown',
      embeddingModel: '/abs/model',
      rerankerModel: 'Xenova/reranker',
      queryAdapter: 'mine',
      retrievers: { prod: { type: 'http' } },
      embeddingEndpoints: { oai: { url: 'http://x' } },
      allowModelDownload: true,
    };
    const r = restrictWorkspaceSettings(settings, false);
    assert.deepEqual(r.settings, { chunker: 'markdown' });
    assert.deepEqual(r.ignored, ['embeddingModel', 'rerankerModel', 'allowModelDownload', 'retrievers', 'embeddingEndpoints', 'queryAdapter']);
    assert.equal(settings.embeddingModel, '/abs/model', 'the input is not changed');
    const harmless = { embeddingModel: BUILT_IN_MODEL, rerankerModel: '', queryAdapter: '', retrievers: {}, embeddingEndpoints: {}, allowModelDownload: false };
    assert.deepEqual(restrictWorkspaceSettings(harmless, false), { settings: harmless, ignored: [] });
  });

  it('trusted: everything applies, nothing is named', () => {
    const settings = { embeddingModel: './m', retrievers: { a: {} } };
    assert.deepEqual(restrictWorkspaceSettings(settings, true), { settings, ignored: [] });
  });

  it('the line names each ignored setting, the file and both ways to opt in; none when nothing was ignored', () => {
    const line = ignoredSettingsLine('.vscode/settings.json', ['embeddingModel', 'retrievers']);
    assert.match(line ?? '', /retrievalLens\.embeddingModel, retrievalLens\.retrievers in \.vscode\/settings\.json/);
    assert.match(line ?? '', /--trust-workspace/);
    assert.match(line ?? '', new RegExp(`${TRUST_WORKSPACE_ENV}=1`));
    assert.equal(ignoredSettingsLine('x', []), undefined);
  });
});
