import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../../../src/core/io/input-error';
import { checkSetting, readWorkspaceSettings, retrievalSettings } from '../../../../src/core/settings/workspace-settings';

function workspaceWith(settings: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-settings-'));
  fs.mkdirSync(path.join(root, '.vscode'));
  fs.writeFileSync(path.join(root, '.vscode', 'settings.json'), settings);
  return root;
}

describe('workspace settings', () => {
  it('reads the known retrievalLens.* settings from JSON with comments and resolves them into index and search configs', () => {
    const root = workspaceWith(`{
  // comments and trailing commas are allowed, as in VS Code
  "editor.fontSize": 14,
  "retrievalLens.chunker": "recursive",
  "retrievalLens.chunkSize": 300,
  "retrievalLens.keywordStemming": false,
  "retrievalLens.fusion": "rrf",
  "retrievalLens.rrfK": 10,
  "retrievalLens.rerankCandidates": 12,
  "retrievalLens.annotations": false,
}`);
    const s = readWorkspaceSettings(root);
    assert.deepEqual(s, { chunker: 'recursive', chunkSize: 300, keywordStemming: false, fusion: 'rrf', rrfK: 10, rerankCandidates: 12 });
    const r = retrievalSettings(s, 'markdown');
    assert.deepEqual(r.chunker, { kind: 'recursive', size: 300, overlap: 100 });
    // Only what was set: unset fields keep the engine's defaults when spread over them.
    assert.deepEqual(r.keyword, { stemming: false });
    assert.deepEqual(r.fusion, { method: 'rrf', rrfK: 10 });
    assert.deepEqual(r.rerank, { candidates: 12 });
    assert.deepEqual(retrievalSettings({}, 'whole-document'), { chunker: { kind: 'whole-document' }, keyword: {}, fusion: {}, rerank: {} });
  });

  it('applies a chunk size to the field each chunker sizes by, and null as unset', () => {
    assert.deepEqual(retrievalSettings({ chunker: 'markdown', chunkSize: 900 }, 'markdown').chunker, { kind: 'markdown', maxSize: 900, minSize: 0 });
    assert.deepEqual(retrievalSettings({ chunker: 'sentence-window', chunkSize: 5, chunkOverlap: 2 }, 'markdown').chunker, { kind: 'sentence-window', sentences: 5, overlap: 2 });
    assert.deepEqual(retrievalSettings({ chunkSize: null, chunkOverlap: null }, 'fixed-chars').chunker, { kind: 'fixed-chars', size: 800, overlap: 100 });
  });

  it('names the file and line of an invalid value or invalid JSON', () => {
    const bad = workspaceWith('{\n  "retrievalLens.fusion": "rrf",\n\n  "retrievalLens.denseWeight": 2\n}\n');
    assert.throws(
      () => readWorkspaceSettings(bad),
      (e: unknown) => e instanceof InputError && e.line === 4 && e.message === `${path.join(bad, '.vscode', 'settings.json')}:4: retrievalLens.denseWeight must be a number within [0, 1], got 2`,
    );
    const broken = workspaceWith('{\n  "retrievalLens.fusion": "rrf"\n  "retrievalLens.rrfK": 3\n}\n');
    assert.throws(() => readWorkspaceSettings(broken), (e: unknown) => e instanceof InputError && e.line === 3 && /invalid JSON: CommaExpected/.test(e.message));
  });

  it('checks every setting by its own rule', () => {
    assert.equal(checkSetting('fusion', 'weighted'), undefined);
    assert.equal(checkSetting('fusion', 'sum'), 'retrievalLens.fusion must be one of weighted, rrf, got "sum"');
    assert.equal(checkSetting('fusionNormalization', 'z-score'), undefined);
    assert.equal(checkSetting('rrfK', 0), 'retrievalLens.rrfK must be a positive number, got 0');
    assert.equal(checkSetting('rerankCandidates', 2.5), 'retrievalLens.rerankCandidates must be a whole number ≥ 1, got 2.5');
    assert.equal(checkSetting('rerankBase', 'rerank'), 'retrievalLens.rerankBase must be one of hybrid, keyword, dense, got "rerank"');
    assert.equal(checkSetting('keywordStopWords', 'no'), 'retrievalLens.keywordStopWords must be true or false, got "no"');
    assert.equal(checkSetting('chunkSize', null), undefined);
    assert.equal(checkSetting('chunker', 'paragraph'), 'retrievalLens.chunker must be one of fixed-chars, fixed-tokens, recursive, markdown, sentence-window, code, whole-document, got "paragraph"');
    assert.equal(checkSetting('exclude', ['a/**', 3]), 'retrievalLens.exclude must be a list of glob strings, got ["a/**",3]');
  });
});
