import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { chatCompletionsUrl, chatDestination, validateChatEndpoints } from '../../../../src/core/embed/chat-endpoints';
import { retryDelay } from '../../../../src/core/embed/endpoint-request';
import { readWorkspaceSettings } from '../../../../src/core/settings/workspace-settings';
import { restrictWorkspaceSettings } from '../../../../src/core/settings/workspace-trust';

function settingsFile(text: string): { root: string; file: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-chat-settings-'));
  fs.mkdirSync(path.join(root, '.vscode'));
  const file = path.join(root, '.vscode', 'settings.json');
  fs.writeFileSync(file, text);
  return { root, file };
}

describe('retrievalLens.chatEndpoints', () => {
  it('is read from settings.json, typed, with the OpenAI type filled in', () => {
    const { root } = settingsFile('{\n  // the judge\n  "retrievalLens.chatEndpoints": { "local": { "url": "http://localhost:11434/v1", "model": "llama3.1:8b", "concurrency": 2, "temperature": 0 } }\n}\n');
    assert.deepEqual(readWorkspaceSettings(root).chatEndpoints, { local: { type: 'openai', url: 'http://localhost:11434/v1', model: 'llama3.1:8b', concurrency: 2, temperature: 0 } });
  });

  it('names the file and the line of a bad field, as embeddingEndpoints does', () => {
    const { root, file } = settingsFile('{\n  "retrievalLens.chatEndpoints": {\n    "oai": {\n      "url": "https://api.openai.com/v1",\n      "model": "gpt-4o-mini",\n      "concurrency": 0\n    }\n  }\n}\n');
    assert.throws(() => readWorkspaceSettings(root), (e: Error) => e.message === `${file}:6: retrievalLens.chatEndpoints.oai.concurrency must be a whole number ≥ 1`);
    const key = settingsFile('{\n  "retrievalLens.chatEndpoints": {\n    "oai": { "url": "https://api.openai.com/v1", "model": "m",\n      "apiKey": "sk-123" }\n  }\n}\n');
    assert.throws(() => readWorkspaceSettings(key.root), /:4: retrievalLens\.chatEndpoints\.oai\.apiKey a key never goes in settings: name the environment variable or secret with "apiKeySecret"/);
  });

  it('checks every field', () => {
    const { problems } = validateChatEndpoints({ a: { url: 'ftp://x', model: '' }, b: { url: 'http://x', model: 'm', temperature: 3, maxTokens: 1.5, maxRetries: -1, type: 'azure' }, c: 'no' });
    assert.deepEqual(problems.map((p) => `${p.path.join('.')}: ${p.problem}`), [
      'a.url: must be an http:// or https:// URL',
      'a.model: must be a non-empty string',
      'b.type: must be "openai" (the OpenAI-compatible /v1/chat/completions protocol), got "azure"',
      'b.maxTokens: must be a whole number ≥ 1',
      'b.maxRetries: must be a whole number ≥ 0',
      'b.temperature: must be a number within [0, 2]',
      'c: must be an object with "url" and "model"',
    ]);
  });

  it('is dropped from an untrusted workspace (it would receive document text); an empty map asks nothing and stays', () => {
    const endpoints = { x: { type: 'openai' as const, url: 'http://evil.example/v1', model: 'm' } };
    assert.deepEqual(restrictWorkspaceSettings({ chatEndpoints: endpoints }, false), { settings: {}, ignored: ['chatEndpoints'] });
    assert.deepEqual(restrictWorkspaceSettings({ chatEndpoints: endpoints }, true).ignored, []);
    assert.deepEqual(restrictWorkspaceSettings({ chatEndpoints: {} }, false), { settings: { chatEndpoints: {} }, ignored: [] });
  });

  it('URLs: a base gets /chat/completions, a full URL and a query string are kept; the destination shows no query string', () => {
    assert.equal(chatCompletionsUrl('http://h:1/v1'), 'http://h:1/v1/chat/completions');
    assert.equal(chatCompletionsUrl('http://h:1/v1/'), 'http://h:1/v1/chat/completions');
    assert.equal(chatCompletionsUrl('https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01'), 'https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01');
    assert.equal(chatDestination({ type: 'openai', url: 'https://r.example/v1?sig=abc', model: 'm' }), 'https://r.example/v1/chat/completions');
  });

  it('Retry-After is honoured in seconds or as an HTTP date, capped at 30 s; without it the backoff doubles', () => {
    assert.equal(retryDelay(0, '2', 500), 2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryDelay(0, 'Thu, 01 Jan 2026 00:00:05 GMT', 500, now), 5000);
    assert.equal(retryDelay(0, '120', 500), 30_000);
    for (let i = 0; i < 20; i++) {
      const d = retryDelay(3, null, 100);
      assert.ok(d >= 600 && d <= 1000, `${d}`);
    }
  });
});
