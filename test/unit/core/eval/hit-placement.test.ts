import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluate } from '../../../../src/core/eval/evaluate';
import { evaluateRetriever, spanQrels, spanRun } from '../../../../src/core/eval/evaluate-retriever';
import { documentLookup, placeHits } from '../../../../src/core/eval/hit-placement';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import { demoDir } from '../../../helpers/shared';

describe('placing hits on the labels, and the local retrievers behind the contract', () => {
  let target: EvalTarget;
  let index: WorkspaceIndex;
  before(async () => {
    target = await loadEvalTarget(demoDir);
    ({ index } = await WorkspaceIndex.build(target.corpus, { chunker: sizedChunkerConfig('markdown'), embedder: null }));
  });

  it('places by offsets, exact text, fuzzy text, or says why not', () => {
    const doc = target.corpus.documents.find((d) => d.text.length > 600)!;
    const docs = documentLookup(target.corpus.documents);
    const passage = doc.text.slice(300, 500).trim();
    const at = doc.text.indexOf(passage);
    const edited = `${passage.slice(0, 60)}X${passage.slice(61, 140)}YZ${passage.slice(142)}`;
    const placed = placeHits(
      [
        { rank: 1, score: 1, id: 'h1', path: doc.path, start: 10, end: 90 },
        { rank: 2, score: 1, id: 'h2', path: `./${doc.path}`, text: `  ${passage}\n` },
        { rank: 3, score: 1, id: `${doc.id}#7`, text: edited },
        { rank: 4, score: 1, id: 'h4', path: doc.path, text: 'words that appear nowhere in this file at all, not even close' },
        { rank: 5, score: 1, id: 'h5', path: 'gone.md', text: passage },
        { rank: 6, score: 1, id: 'h6', path: doc.path, start: 0, end: doc.text.length + 5 },
      ],
      docs,
      { from: 'id', pattern: '#\\d+$', replace: '' },
    );
    // With from: id, the path is not consulted: h1, h2, h4 and h6 have ids that are not documents.
    assert.deepEqual(placed.map((p) => p.placement), ['unplaced', 'unplaced', 'fuzzy', 'unplaced', 'unplaced', 'unplaced']);
    const byPath = placeHits(
      [
        { rank: 1, score: 1, id: 'h1', path: doc.path, start: 10, end: 90 },
        { rank: 2, score: 1, id: 'h2', path: `./${doc.path}`, text: `  ${passage}\n` },
        { rank: 4, score: 1, id: 'h4', path: doc.path, text: 'words that appear nowhere in this file at all, not even close' },
        { rank: 5, score: 1, id: 'h5', path: 'gone.md', text: passage },
        { rank: 6, score: 1, id: 'h6', path: doc.path, start: 0, end: doc.text.length + 5 },
      ],
      docs,
    );
    assert.deepEqual(byPath.map((p) => [p.placement, p.start, p.end]), [['offsets', 10, 90], ['exact', at, at + passage.length], ['document', undefined, undefined], ['unplaced', undefined, undefined], ['document', undefined, undefined]]);
    assert.equal(placed[2].docId, doc.id);
    assert.ok(Math.abs((placed[2].start ?? 0) - at) <= 2 && Math.abs((placed[2].end ?? 0) - (at + passage.length)) <= 3, `fuzzy at ${placed[2].start}-${placed[2].end}`);
    assert.match(byPath[2].reason ?? '', /its text was not found in/);
    assert.match(byPath[3].reason ?? '', /no workspace document "gone\.md"/);
    assert.match(byPath[4].reason ?? '', /offsets \[0, \d+\) are outside/);
  });

  it('span credit: a hit finds a labeled span by the overlap rule, once', () => {
    const q = { id: 'q', text: 't', split: 'eval' as const, judgments: [{ grade: 2 as const, target: { type: 'span' as const, docId: 'd', start: 100, end: 200, exact: '', prefix: '', suffix: '' } }] };
    assert.deepEqual([...spanQrels([q]).get('q')!], [['span:d:100-200', 2]]);
    const hit = (start: number, end: number, docId: string | null = 'd') => ({ hit: { rank: 1, score: 1, id: `${start}` }, docId, start, end, placement: 'offsets' as const });
    // [0, 140) holds 40% of the span and the span covers 29% of it: not relevant. [120, 400) holds 80%: relevant.
    // The second hit over the same span counts as not relevant; so does a hit in another document.
    assert.deepEqual(spanRun(q, [hit(0, 140), hit(120, 400), hit(90, 210), hit(100, 200, 'e')]), ['hit:1:0', 'span:d:100-200', 'hit:3:90', 'hit:4:100']);
  });

  it('LocalRetriever returns what the index returns, with chunk text and offsets; doc-level evaluation through the contract equals evaluate()', async () => {
    const r = new LocalRetriever(index, 'keyword');
    const hits = await r.search('consumer group rebalance', 5);
    const direct = (await index.search({ query: 'consumer group rebalance', k: 5, retrievers: ['keyword'] })).results.keyword!;
    assert.deepEqual(hits.map((h) => [h.chunkId, h.score, h.rank]), direct.map((h) => [h.chunkId, h.score, h.rank]));
    const c = index.getChunk(hits[0].chunkId)!;
    assert.deepEqual([hits[0].text, hits[0].start, hits[0].end, hits[0].docId], [c.text, c.start, c.end, c.docId]);
    await assert.rejects(new LocalRetriever(index, 'dense').search('x', 3), /^Error: dense: no embedding model configured for this index$/);
    const a = await evaluate(index, target.queries, { retriever: 'keyword', level: 'doc' });
    const b = await evaluateRetriever(r, target.corpus.documents, target.queries, { level: 'doc' });
    assert.deepEqual(b.metrics.all, a.metrics.all);
    assert.deepEqual([...b.ranking], [...a.ranking]);
    assert.equal(b.placement.local, [...b.placed.values()].flat().length);
  });
});
