import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Messenger, type WireMessage } from '../../src/protocol/messenger';
import { WEBVIEW_TO_HOST_CHECKS, type HostToWebview, type WebviewToHost } from '../../src/protocol/inspector';

/** A host-side messenger as the inspector panel builds it, with every handler recording that it ran. */
function host() {
  const posted: WireMessage[] = [];
  const logged: string[] = [];
  const ran: string[] = [];
  const m = new Messenger<WebviewToHost, HostToWebview>((x) => posted.push(x), (e) => logged.push(e), WEBVIEW_TO_HOST_CHECKS);
  m.on('ready', () => (ran.push('ready'), { host: { extensionVersion: '0', vscodeVersion: '0', activationMs: 0 }, index: { state: 'none' as const, documents: 0, chunks: 0, model: null, chunker: '', staleFiles: 0 }, evalQueries: [], retrievers: [] }));
  m.on('search', (p) => (ran.push(`search ${p.query}`), { query: p.query, k: p.k, columns: {}, errors: {}, missed: [], filterRemoved: 0, fusion: { method: 'rrf' as const, rrfK: 60, denseWeight: 0.2, normalization: 'min-max' as const, depth: 100 }, timingsMs: {} }));
  m.on('reveal', () => void ran.push('reveal'));
  m.on('label', () => (ran.push('label'), { queryId: 'q1' }));
  m.on('buildIndex', () => void ran.push('buildIndex'));
  return { m, posted, logged, ran };
}

const req = (method: string, params: unknown, id = 1) => ({ kind: 'request', id, method, params });
const goodSearch = { query: 'how do retries back off', queryId: undefined, k: 10, retrievers: ['keyword', 'dense', 'hybrid'], filter: { pathGlobs: ['docs/**'], headingPath: 'Retries', modifiedAfter: undefined, frontMatter: { product: ['cloud', 1, true] } }, fusion: { method: 'weighted', denseWeight: 0.3, normalization: 'z-score' } };
const goodLabel = { queryText: 'q', docId: 'docs/a.md', start: 3, end: 9, grade: 2, chunkId: 'c1', rank: 1, score: 0.5 };

/** Malformed or hostile messages from a webview: each is dropped and logged, no handler runs. */
const BAD: Array<[string, unknown, RegExp]> = [
  ['not an object', 'hello', /dropped a malformed message/],
  ['null', null, /dropped a malformed message/],
  ['unknown kind', { kind: 'eval', method: 'search', params: {} }, /dropped a malformed message/],
  ['request without id', { kind: 'request', method: 'search', params: goodSearch }, /dropped a malformed message/],
  ['unknown method', req('runShell', { cmd: 'rm -rf /' }), /no handler for runShell/],
  ['prototype method name', req('__proto__', {}), /no handler for __proto__/],
  ['constructor method name', req('constructor', {}), /no handler for constructor/],
  ['params not an object', req('search', 'query'), /params must be an object/],
  ['search: query a number', req('search', { ...goodSearch, query: 42 }), /query must be a string/],
  ['search: 1 MB query', req('search', { ...goodSearch, query: 'x'.repeat(1_000_000) }), /at most 10,000 characters/],
  ['search: k = 1e9', req('search', { ...goodSearch, k: 1e9 }), /k must be a whole number from 1 to 1000/],
  ['search: k = 2.5', req('search', { ...goodSearch, k: 2.5 }), /k must be a whole number/],
  ['search: retrievers a string', req('search', { ...goodSearch, retrievers: 'keyword' }), /retrievers must be a list/],
  ['search: retriever name with markup', req('search', { ...goodSearch, retrievers: ['<img src=x onerror=alert(1)>'] }), /retrievers must be a list of retriever names/],
  ['search: filter an array', req('search', { ...goodSearch, filter: ['docs/**'] }), /filter must be an object/],
  ['search: unknown filter field', req('search', { ...goodSearch, filter: { sql: 'DROP TABLE' } }), /unknown filter field "sql"/],
  ['search: pathGlobs not strings', req('search', { ...goodSearch, filter: { pathGlobs: [{}] } }), /filter\.pathGlobs must be a list of strings/],
  ['search: frontMatter nested object', req('search', { ...goodSearch, filter: { frontMatter: { a: { b: 1 } } } }), /filter\.frontMatter\.a must be/],
  ['search: fusion method unknown', req('search', { ...goodSearch, fusion: { method: 'max' } }), /fusion\.method must be/],
  ['search: fusion weight NaN-like', req('search', { ...goodSearch, fusion: { denseWeight: '0.5' } }), /fusion\.denseWeight must be a finite number/],
  ['search: unknown fusion field', req('search', { ...goodSearch, fusion: { eval: 'x' } }), /unknown fusion field "eval"/],
  ['reveal: missing docId', req('reveal', { start: 0, end: 1 }), /docId must be a non-empty string/],
  ['reveal: negative start', req('reveal', { docId: 'a.md', start: -1, end: 1 }), /start\/end must be whole numbers/],
  ['reveal: end before start', req('reveal', { docId: 'a.md', start: 5, end: 1 }), /start\/end/],
  ['label: grade 7', req('label', { ...goodLabel, grade: 7 }), /grade must be 0, 1, 2 or 3/],
  ['label: grade "2"', req('label', { ...goodLabel, grade: '2' }), /grade must be 0, 1, 2 or 3/],
  ['label: empty query text', req('label', { ...goodLabel, queryText: '   ' }), /queryText must be a non-empty string/],
  ['label: empty span', req('label', { ...goodLabel, start: 4, end: 4 }), /start < end/],
  ['label: queryId an object', req('label', { ...goodLabel, queryId: { $ne: null } }), /queryId must be a string/],
  ['label: docId a path object', req('label', { ...goodLabel, docId: { toString: 'x' } }), /docId must be a non-empty string/],
];

describe('webview → host messages are validated against the protocol types', () => {
  it(`has a check for every method (${Object.keys(WEBVIEW_TO_HOST_CHECKS).join(', ')})`, () => {
    assert.deepEqual(Object.keys(WEBVIEW_TO_HOST_CHECKS).sort(), ['buildIndex', 'label', 'ready', 'reveal', 'search']);
  });

  it('well-formed messages reach their handlers and get replies', async () => {
    const h = host();
    await h.m.receive(req('ready', {}, 1));
    await h.m.receive(req('search', goodSearch, 2));
    await h.m.receive(req('label', goodLabel, 3));
    await h.m.receive(req('reveal', { docId: 'a.md', start: 0, end: 0 }, 4));
    await h.m.receive({ kind: 'notification', method: 'buildIndex', params: {} });
    assert.deepEqual(h.ran, ['ready', 'search how do retries back off', 'label', 'reveal', 'buildIndex']);
    assert.deepEqual(h.logged, []);
    assert.deepEqual(h.posted.map((p) => p.kind === 'response' && p.error === undefined), [true, true, true, true]);
  });

  for (const [name, message, logged] of BAD) {
    it(`drops and logs: ${name}`, async () => {
      const h = host();
      await h.m.receive(message);
      assert.deepEqual(h.ran, [], 'no handler ran');
      assert.equal(h.logged.length, 1, 'logged once');
      assert.match(h.logged[0], logged);
      assert.ok(h.logged[0].length < 400, 'the log line is bounded, whatever the message size');
      const o = message as { kind?: string; id?: unknown } | null;
      if (o && o.kind === 'request' && typeof o.id === 'number') {
        assert.equal(h.posted.length, 1);
        const r = h.posted[0];
        assert.ok(r.kind === 'response' && r.id === o.id && typeof r.error === 'string', 'a request gets an error reply');
      } else assert.equal(h.posted.length, 0);
    });
  }
});
