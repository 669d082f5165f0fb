import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_LEGEND, chunkLensTitle, chunkRanks, shortQuery } from '../../../src/extension/annotations/chunk-lens';
import type { ResultRow } from '../../../src/protocol/inspector';

const row = (chunkId: string, rank: number) => ({ chunkId, rank }) as ResultRow;

describe('chunk CodeLens and legend', () => {
  it('names the query its ranks belong to, without the chunk id', () => {
    const view = { columns: { keyword: [row('a', 1), row('b', 2)], hybrid: [row('c', 1), row('b', 9)], dense: [] } };
    assert.deepEqual(chunkRanks(view, 'b'), ['keyword #2', 'hybrid #9']);
    assert.equal(chunkLensTitle({ ordinal: 2, of: 12, tokens: 210, query: 'how can a restarting pod rejoin', ranks: chunkRanks(view, 'b'), lints: [] }), 'chunk 3/12 · 210 tokens · for "how can a restarting pod rejoin": keyword #2, hybrid #9');
    assert.equal(chunkLensTitle({ ordinal: 0, of: 1, tokens: 1, query: 'q', ranks: chunkRanks(view, 'z'), lints: ['oversized'] }), 'chunk 1/1 · 1 token · for "q": not in the top K · ⚠ oversized');
    assert.equal(chunkLensTitle({ ordinal: 0, of: 3, tokens: 40, ranks: [], lints: [] }), 'chunk 1/3 · 40 tokens', 'no search yet: no ranks, no query');
  });

  it('elides the middle of a long query, keeping its start and end', () => {
    const q = 'what happens to my consumer if heartbeats stop for longer than the session timeout';
    const s = shortQuery(q);
    assert.equal(s.length, 48);
    assert.ok(s.startsWith('what happens to my consumer'));
    assert.ok(s.endsWith('session timeout'));
    assert.ok(s.includes('…'));
    assert.equal(shortQuery('  short   query '), 'short query');
  });

  it('the legend names what the shading, lines and underlines mean and the colours to change', () => {
    for (const w of ['shaded', 'line', 'green underline', 'red', 'retrievalLens.chunkShading', 'retrievalLens.chunkBoundary']) assert.ok(CHUNK_LEGEND.includes(w), w);
  });
});
