import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { exactTokens } from '../../../../src/core/diagnose/exact-tokens';
import { diagnoseExternalMisses, diagnoseFetchedHits } from '../../../../src/core/diagnose/external-misses';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluateRetriever } from '../../../../src/core/eval/evaluate-retriever';
import { documentLookup, placeHits } from '../../../../src/core/eval/hit-placement';
import { spanOverlapsChunk } from '../../../../src/core/eval/chunk-relevance';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import { startJsonServer } from '../../../helpers/protocol-servers';
import { demoDir } from '../../../helpers/shared';

describe('diagnosing an external retriever\'s misses from outside', () => {
  it('query failed, below K, chunk splits the span, local keyword finds it, not returned — each with evidence', async () => {
    const target = await loadEvalTarget(demoDir);
    const { index } = await WorkspaceIndex.build(target.corpus, { chunker: sizedChunkerConfig('markdown'), embedder: null });
    const keyword = new LocalRetriever(index, 'keyword');
    const spanOf = (q: (typeof target.queries)[number]) => q.judgments.find((j) => j.target.type === 'span' && !j.stale && j.grade > 0)?.target as { docId: string; start: number; end: number } | undefined;
    const labeled = target.queries.filter((q) => q.split === 'eval' && spanOf(q) && q.judgments.filter((j) => j.target.type === 'span' && j.grade > 0).length === 1);
    // Queries local BM25 answers in its top 10: one holding an exact token (exact-match), one in plain words
    // (lexical); four others for the rest.
    let kwQuery: (typeof labeled)[number] | undefined;
    let lexQuery: (typeof labeled)[number] | undefined;
    for (const q of labeled) {
      const s = spanOf(q)!;
      const hits = await keyword.search(q.text, 10);
      if (hits.some((h) => h.docId === s.docId && spanOverlapsChunk(s, { start: h.start!, end: h.end! }))) {
        if (exactTokens(q.text).length) kwQuery ??= q;
        else lexQuery ??= q;
      }
    }
    assert.ok(kwQuery && lexQuery, 'BM25 answers some demo query with an exact token and some in plain words');
    const [failing, below, split, none] = labeled.filter((q) => q !== kwQuery && q !== lexQuery);
    const path = (docId: string) => index.getDocument(docId)!.path;
    const filler = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `other-${i}`, score: 1 - i / 100, path: 'nowhere.md', start: 0, end: 10 }));
    const answers = new Map<string, unknown>([
      [below.text, [...filler(11), { id: 'x', score: 0.5, path: path(spanOf(below)!.docId), start: spanOf(below)!.start, end: spanOf(below)!.end }]],
      [split.text, (() => {
        const s = spanOf(split)!;
        const cut = s.start + Math.floor((s.end - s.start) * 0.3);
        return [{ id: 'y', score: 1, path: path(s.docId), start: Math.max(0, s.start - 2000), end: cut }];
      })()],
      [none.text, filler(3)],
      [kwQuery!.text, filler(3)],
      [lexQuery!.text, filler(3)],
    ]);
    const server = await startJsonServer((req) => {
      const { query } = JSON.parse(req.body) as { query: string };
      if (query === failing.text) return { status: 502, body: { error: 'bad gateway' } };
      return { body: { results: answers.get(query) ?? [] } };
    });
    try {
      const r = createExternalRetriever('svc', { retrievers: { svc: { type: 'http', preset: 'plain', url: `${server.url}/r`, start: 'start', end: 'end', path: 'path' } } }, { secrets: environmentSecrets });
      const queries = [failing, below, split, none, kwQuery!, lexQuery!];
      const result = await evaluateRetriever(r, target.corpus.documents, queries, { level: 'chunk', depth: 100 });
      const misses = await diagnoseExternalMisses(result, queries, { k: 10, keyword });
      const byQuery = new Map(misses.map((m) => [m.queryId, m]));
      assert.equal(byQuery.get(failing.id)?.category, 'query-failed');
      assert.match(byQuery.get(failing.id)!.evidence, /HTTP 502/);
      assert.equal(byQuery.get(below.id)?.category, 'below-k');
      assert.match(byQuery.get(below.id)!.evidence, /svc returns it at rank 12, below K = 10/);
      assert.equal(byQuery.get(split.id)?.category, 'chunking');
      assert.match(byQuery.get(split.id)!.evidence, /the hit at rank 1 \(\[\d+, \d+\)\) holds (29|30)% of the span, less than half/);
      assert.equal(byQuery.get(kwQuery!.id)?.category, 'exact-match');
      assert.match(byQuery.get(kwQuery!.id)!.evidence, /^local keyword search finds it at rank \d+; svc does not return it in its top 100; the query's [a-zA-Z_]+ "[^"]+" occurs verbatim in the text keyword search found$/);
      assert.equal(byQuery.get(lexQuery!.id)?.category, 'lexical', `"${lexQuery!.text}" holds no exact token`);
      assert.match(byQuery.get(lexQuery!.id)!.evidence, /^local keyword search finds it at rank \d+; svc does not return it in its top 100; the query holds no exact token/);
      const noneMiss = byQuery.get(none.id)!;
      assert.ok(['not-returned', 'exact-match', 'lexical'].includes(noneMiss.category), noneMiss.category);
      assert.equal(misses.length, 6);
      // The inspector's column diagnoses the hits it already fetched, one query at a time: the same categories and
      // evidence as the whole evaluation, and a span returned within K is no miss.
      const docs = documentLookup(target.corpus.documents);
      for (const q of [below, split, none, kwQuery!, lexQuery!]) {
        const placed = placeHits(await r.search(q.text, 100), docs);
        const one = await diagnoseFetchedHits('svc', q, placed, { k: 10, depth: 100, keyword });
        assert.deepEqual(one, [byQuery.get(q.id)], `the inspector's diagnosis of "${q.text}"`);
      }
      const deeper = await diagnoseFetchedHits('svc', below, placeHits(await r.search(below.text, 100), docs), { k: 20, depth: 100, keyword });
      assert.deepEqual(deeper, [], 'found at rank 12 is within K = 20');
    } finally {
      await server.close();
    }
  });
});
