import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import type { HttpRetrieverConfig } from '../../../../src/core/retrieve/retriever-config';
import { RetrieverConsent, consentKey, endpointConsentKey } from '../../../../src/core/retrieve/retriever-consent';
import { OpenAIEmbedder } from '../../../../src/core/embed/openai-embedder';
import { startEmbeddingsServer } from '../../../helpers/protocol-servers';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import { startJsonServer } from '../../../helpers/protocol-servers';

describe('retriever consent: trusted workspace and one confirmation before any request', () => {
  it('an untrusted workspace sends no request and never asks; a trusted one asks once per configuration', async () => {
    const server = await startJsonServer(() => ({ body: { results: [{ id: 'a', score: 1 }] } }));
    try {
      const config: HttpRetrieverConfig = { type: 'http', preset: 'plain', url: `${server.url}/search` };
      const store = new Map<string, unknown>();
      const asked: string[] = [];
      let trusted = false;
      let answer = false;
      const consent = new RetrieverConsent({ isTrusted: () => trusted, store: { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) }, ask: async (n, d) => (asked.push(`${n} → ${d}`), answer) });
      // What the editor does before evaluating: ask the gate, then build the retriever and search only when allowed.
      const attempt = async (cfg: HttpRetrieverConfig) => {
        const d = await consent.check('rag', cfg);
        if (!d.allowed) return d.reason;
        await createExternalRetriever('rag', { retrievers: { rag: cfg } }, { secrets: environmentSecrets }).search('q', 1);
        return 'searched';
      };
      assert.match(await attempt(config), /the workspace is not trusted/);
      assert.equal(asked.length, 0);
      assert.equal(server.requests.length, 0, 'no request from an untrusted workspace');
      trusted = true;
      assert.match(await attempt(config), /not confirmed: queries are sent to POST http:\/\/127\.0\.0\.1:\d+\/search only after you agree/);
      assert.equal(server.requests.length, 0, 'no request before the user agrees');
      answer = true;
      assert.equal(await attempt(config), 'searched');
      assert.equal(await attempt(config), 'searched');
      assert.equal(asked.length, 2, 'asked once more, then remembered');
      assert.equal(server.requests.length, 2);
      assert.equal(store.get(consentKey('rag', config)), true);
      // A changed destination is a new retriever: asked again.
      answer = false;
      assert.match(await attempt({ ...config, url: `${server.url}/other` }), /not confirmed/);
      assert.equal(server.requests.length, 2);
      // The embeddings endpoint a retriever names receives the query texts: it is part of what the user confirms.
      const endpoint = { type: 'openai' as const, url: 'https://emb.example/v1', model: 'm' };
      answer = true;
      assert.deepEqual(await consent.check('rag', { ...config, embeddingModel: 'e' }, endpoint), { allowed: true });
      assert.match(asked.at(-1) ?? '', /query texts to the embeddings endpoint POST https:\/\/emb\.example\/v1$/);
      assert.notEqual(consentKey('rag', config, endpoint), consentKey('rag', config, { ...endpoint, url: 'https://elsewhere/v1' }));
    } finally {
      await server.close();
    }
  });

  it('a refusal is remembered for the session: the user is not asked again at every search, and nothing is sent', async () => {
    const config: HttpRetrieverConfig = { type: 'http', preset: 'plain', url: 'http://127.0.0.1:9/search' };
    const asked: string[] = [];
    const declined = new Set<string>();
    const consent = new RetrieverConsent({ isTrusted: () => true, store: { get: () => undefined, set: () => undefined }, ask: async (n) => (asked.push(n), false), declined });
    const first = await consent.check('rag', config);
    assert.match(first.allowed ? '' : first.reason, /not confirmed/);
    const second = await consent.check('rag', config);
    assert.match(second.allowed ? '' : second.reason, /declined in this window/);
    assert.equal(asked.length, 1, 'asked once, then the refusal stands for the session');
    // A new session (a new set) asks again; another configuration is another question.
    const next = new RetrieverConsent({ isTrusted: () => true, store: { get: () => undefined, set: () => undefined }, ask: async (n) => (asked.push(n), false), declined: new Set() });
    await next.check('rag', config);
    await consent.check('rag', { ...config, url: 'http://127.0.0.1:9/other' });
    assert.equal(asked.length, 3);
  });

  it('an embeddings endpoint as the index model is confirmed on its own before it sees a document', async () => {
    const server = await startEmbeddingsServer(new CharTrigramEmbedder());
    try {
      const endpoint = { type: 'openai' as const, url: `${server.url}/v1`, model: 'trigram' };
      const store = new Map<string, unknown>();
      const asked: string[] = [];
      let trusted = false;
      let answer = false;
      const consent = new RetrieverConsent({ isTrusted: () => trusted, store: { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) }, ask: async (n, d) => (asked.push(`${n} → ${d}`), answer), declined: new Set() });
      // What the editor's index does: ask the gate, and only then start the embedder (its first request probes the dimension).
      const open = async () => {
        const d = await consent.checkEndpoint('emb', endpoint);
        if (!d.allowed) return d.reason;
        const e = await OpenAIEmbedder.create('emb', endpoint, environmentSecrets);
        await e.embed(['a chunk of the workspace']);
        return 'embedded';
      };
      assert.match(await open(), /the workspace is not trusted: embedding endpoints from workspace settings are not contacted/);
      assert.equal(asked.length, 0);
      trusted = true;
      assert.match(await open(), /^not confirmed: documents and queries are sent to the embeddings endpoint POST http:\/\/127\.0\.0\.1:\d+\/v1 only after you agree$/);
      assert.match(await open(), /^declined in this window/);
      assert.equal(asked.length, 1);
      assert.equal(server.requests.length, 0, 'nothing sent before the user agrees');
      // Another endpoint configuration is another question; agreeing is remembered in user storage.
      answer = true;
      const other = { ...endpoint, dims: 64 };
      assert.deepEqual(await consent.checkEndpoint('emb', other), { allowed: true });
      assert.equal(store.get(endpointConsentKey('emb', other)), true);
      assert.deepEqual(await consent.checkEndpoint('emb', other), { allowed: true });
      assert.equal(asked.length, 2);
      assert.notEqual(endpointConsentKey('emb', endpoint), endpointConsentKey('emb', other));
    } finally {
      await server.close();
    }
  });
});
