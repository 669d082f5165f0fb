import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UseLiteEmbedder } from '../../../src/core/embed/use-lite-embedder';
import { loadEvalTarget, type EvalTarget } from '../../../src/core/eval/eval-target';
import { WorkspaceIndex } from '../../../src/core/index/workspace-index';
import { createExternalRetriever } from '../../../src/core/retrieve/external-retrievers';
import { LocalRetriever } from '../../../src/core/retrieve/local-retriever';
import { environmentSecrets } from '../../../src/core/io/secret-source';
import { queryNeighbourhood } from '../../../src/extension/webviews/neighbourhood/neighbourhood-host';
import { startJsonServer, type TestServer } from '../../helpers/protocol-servers';
import { demoDir } from '../../helpers/shared';

/**
 * A real HTTP search service answering with the local dense retriever's ranking of the demo, as an engine that
 * stores no offsets would: `{results: [{id, score, path, text}]}` (the hit is placed by finding its text).
 */
async function denseRankingServer(index: WorkspaceIndex): Promise<TestServer> {
  const dense = new LocalRetriever(index, 'dense');
  return startJsonServer(async (req) => {
    const { query, k } = JSON.parse(req.body) as { query: string; k: number };
    const hits = await dense.search(query, k, { explain: false });
    return { body: { results: hits.map((h) => ({ id: `engine-${h.id}`, score: h.score, path: h.path, text: h.text })) } };
  });
}

describe('the query neighbourhood through a retriever that is not local', () => {
  let target: EvalTarget;
  let index: WorkspaceIndex;
  let server: TestServer;

  before(async () => {
    target = await loadEvalTarget(demoDir);
    ({ index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'markdown', maxSize: 1500, minSize: 0 }, embedder: await UseLiteEmbedder.load() }));
    server = await denseRankingServer(index);
  });
  after(async () => {
    await server?.close();
  });

  it('draws the same neighbourhood as the local dense ranking when the engine serves that ranking, read over HTTP', async () => {
    const http = createExternalRetriever('team-search', { retrievers: { 'team-search': { type: 'http', preset: 'plain', url: `${server.url}/search`, path: 'path' } } }, { secrets: environmentSecrets });
    assert.equal(http.kind, 'http');
    const evalQuery = target.queries.find((q) => q.split === 'eval' && q.judgments.some((j) => j.target.type === 'span' && j.grade > 0 && index.getDocument(j.target.docId)))!;
    const local = await queryNeighbourhood(index, evalQuery.text, evalQuery, undefined, 5);
    const before = server.requests.length;
    const through = await queryNeighbourhood(index, evalQuery.text, evalQuery, undefined, 5, { retriever: http });
    assert.ok(server.requests.length > before, 'the engine was asked');
    const byId = (v: typeof local) => new Map(v.points.map((p) => [p.chunkId, p]));
    const [a, b] = [byId(local), byId(through)];
    assert.ok(a.size >= 4, `a neighbourhood of some size (${a.size})`);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), 'the same chunks');
    for (const [id, p] of a) {
      const q = b.get(id)!;
      assert.deepEqual([q.role, q.grade, q.rankBefore], [p.role, p.grade, p.rankBefore], id);
    }
    assert.ok([...b.values()].some((p) => p.grade !== undefined && p.grade > 0), 'the labeled chunks are in it');
    assert.deepEqual(through.summary, local.summary);
  });

  it('says where an engine that returns nothing places nothing: the labeled chunks stay, unranked', async () => {
    const empty = await startJsonServer(() => ({ body: { results: [] } }));
    try {
      const http = createExternalRetriever('empty', { retrievers: { empty: { type: 'http', preset: 'plain', url: `${empty.url}/search`, path: 'path' } } }, { secrets: environmentSecrets });
      const evalQuery = target.queries.find((q) => q.split === 'eval' && q.judgments.some((j) => j.target.type === 'span' && j.grade > 0 && index.getDocument(j.target.docId)))!;
      const view = await queryNeighbourhood(index, evalQuery.text, evalQuery, undefined, 5, { retriever: http });
      assert.ok(view.points.length > 0);
      assert.ok(view.points.every((p) => p.grade !== undefined && p.rankBefore === null), 'only labeled chunks, none ranked');
    } finally {
      await empty.close();
    }
  });
});
