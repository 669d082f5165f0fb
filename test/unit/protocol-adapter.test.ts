import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSPECTOR_TO_HOST_CHECKS, WEBVIEW_TO_HOST_CHECKS, type HostToWebview, type InspectorToHost } from '../../src/protocol/inspector';
import { Messenger, type WireMessage } from '../../src/protocol/messenger';
import { NEIGHBOURHOOD_TO_HOST_CHECKS, type HostToNeighbourhood, type NeighbourhoodToHost } from '../../src/protocol/neighbourhood';

const req = (method: string, params: unknown, id = 1) => ({ kind: 'request', id, method, params });
const search = { query: 'q', k: 10, retrievers: ['dense'] };

describe('adapter and neighbourhood messages are validated against the protocol types', () => {
  it('the inspector is held to every base check plus its actions', () => {
    assert.deepEqual(Object.keys(INSPECTOR_TO_HOST_CHECKS).sort(), [...Object.keys(WEBVIEW_TO_HOST_CHECKS), 'neighbourhood', 'guide', 'keepState'].sort());
    assert.deepEqual(Object.keys(NEIGHBOURHOOD_TO_HOST_CHECKS).sort(), ['ready', 'reveal']);
  });

  it('drops malformed adapter toggles and neighbourhood requests, runs well-formed ones', async () => {
    const posted: WireMessage[] = [];
    const logged: string[] = [];
    const ran: string[] = [];
    const m = new Messenger<InspectorToHost, HostToWebview>((x) => posted.push(x), (e) => logged.push(e), INSPECTOR_TO_HOST_CHECKS);
    m.on('search', (p) => (ran.push(`search adapter=${p.adapter}`), { query: p.query, k: p.k, columns: {}, errors: {}, missed: [], filterRemoved: 0, fusion: { method: 'rrf' as const, rrfK: 60, denseWeight: 0.2, normalization: 'min-max' as const, depth: 100 }, timingsMs: {} }));
    m.on('neighbourhood', (p) => void ran.push(`neighbourhood ${p.query}${p.retriever ? ` through ${p.retriever}` : ''}`));
    const bad: Array<[unknown, RegExp]> = [
      [req('search', { ...search, adapter: 'yes' }), /adapter must be true or false/],
      [req('neighbourhood', { query: '' }), /query must be a non-empty string/],
      [req('neighbourhood', { query: 'x'.repeat(20_000) }), /query must be a non-empty string/],
      [req('neighbourhood', { query: 'q', queryId: ['<script>'] }), /queryId must be a string/],
      [req('neighbourhood', 'q'), /params must be an object/],
      [req('neighbourhood', { query: 'q', retriever: '' }), /retriever must be the name of an external column/],
      [req('neighbourhood', { query: 'q', retriever: ['team'] }), /retriever must be the name of an external column/],
      [req('neighbourhood', { query: 'q', retriever: 'team\nx' }), /retriever must be the name of an external column/],
      [req('neighbourhood', { query: 'q', retriever: 'x'.repeat(201) }), /retriever must be the name of an external column/],
    ];
    for (const [message, problem] of bad) {
      logged.length = 0;
      await m.receive(message);
      assert.match(logged.join('\n'), problem);
    }
    assert.deepEqual(ran, [], 'no handler ran for a malformed message');
    await m.receive(req('search', { ...search, adapter: true }));
    await m.receive(req('neighbourhood', { query: 'why', queryId: 'q1' }));
    await m.receive(req('neighbourhood', { query: 'why', queryId: 'q1', retriever: 'team-pgvector' }));
    await m.receive(req('neighbourhood', { query: 'why', retriever: 'trace:prod' }));
    assert.deepEqual(ran, ['search adapter=true', 'neighbourhood why', 'neighbourhood why through team-pgvector', 'neighbourhood why through trace:prod']);
  });

  it('the neighbourhood view may only ask for its state and reveal a well-formed span', async () => {
    const logged: string[] = [];
    const ran: string[] = [];
    const m = new Messenger<NeighbourhoodToHost, HostToNeighbourhood>(() => undefined, (e) => logged.push(e), NEIGHBOURHOOD_TO_HOST_CHECKS);
    m.on('ready', () => (ran.push('ready'), { adapter: { setting: '', state: 'off' as const } }));
    m.on('reveal', (p) => void ran.push(`reveal ${p.docId}`));
    await m.receive(req('reveal', { docId: '', start: 0, end: 1 }));
    await m.receive(req('reveal', { docId: 'a.md', start: 3, end: 1 }));
    await m.receive(req('search', search));
    await m.receive(req('label', { queryText: 'q', docId: 'a.md', start: 0, end: 1, grade: 3 }));
    assert.equal(logged.length, 4, logged.join('\n'));
    assert.match(logged[2], /no handler for search/);
    await m.receive(req('ready', {}));
    await m.receive(req('reveal', { docId: 'a.md', start: 0, end: 4 }));
    assert.deepEqual(ran, ['ready', 'reveal a.md']);
  });
});
