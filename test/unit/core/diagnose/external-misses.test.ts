import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { exactTokens } from '../../../../src/core/diagnose/exact-tokens';
import { diagnoseEvaluation, diagnoseMisses } from '../../../../src/core/diagnose/diagnose-misses';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { makeSpanTarget } from '../../../../src/core/eval/span-anchor';
import { evaluateRetriever } from '../../../../src/core/eval/evaluate-retriever';
import { spanOverlapsChunk } from '../../../../src/core/eval/chunk-relevance';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import { startJsonServer } from '../../../helpers/protocol-servers';
import { demoDir } from '../../../helpers/shared';

describe('diagnosing an external retriever\'s misses with the one diagnosis', () => {
  it('query failed, below K (ranking), chunk splits the span, local keyword finds it, nothing recovers it — each with evidence', async () => {
    const target = await loadEvalTarget(demoDir);
    const { index } = await WorkspaceIndex.build(target.corpus, { chunker: sizedChunkerConfig('markdown'), embedder: null });
    const keyword = new LocalRetriever(index, 'keyword');
    const spanOf = (q: (typeof target.queries)[number]) => q.judgments.find((j) => j.target.type === 'span' && !j.stale && j.grade > 0)?.target as { docId: string; start: number; end: number } | undefined;
    // Labeled spans in indexed documents (a document the index lacks is a missing-document miss, whatever the engine answers).
    const labeled = target.queries.filter((q) => q.split === 'eval' && spanOf(q) && index.getDocument(spanOf(q)!.docId) && q.judgments.filter((j) => j.target.type === 'span' && j.grade > 0).length === 1);
    // Queries local BM25 answers in its top 10: one holding an exact token (exact-match), one in plain words
    // (lexical); one it does not answer for below K (the keyword what-if runs before ranking).
    let kwQuery: (typeof labeled)[number] | undefined;
    let lexQuery: (typeof labeled)[number] | undefined;
    const unanswered: typeof labeled = [];
    for (const q of labeled) {
      const s = spanOf(q)!;
      const hits = await keyword.search(q.text, 10);
      if (hits.some((h) => h.docId === s.docId && spanOverlapsChunk(s, { start: h.start!, end: h.end! }))) {
        if (exactTokens(q.text).length) kwQuery ??= q;
        else lexQuery ??= q;
      } else unanswered.push(q);
    }
    assert.ok(kwQuery && lexQuery, 'BM25 answers some demo query with an exact token and some in plain words');
    assert.ok(unanswered.length >= 1, `a demo query BM25 does not answer in its top 10 (${unanswered.length})`);
    const [below] = unanswered;
    // Words nothing in the demo relates to a labeled sentence: no retriever recovers it.
    const webhooks = index.getDocument('docs/guides/webhooks.md')!;
    const quote = 'Reject requests whose timestamp is more than five minutes old.';
    const at = webhooks.text.indexOf(quote);
    assert.ok(at >= 0, quote);
    const none: (typeof labeled)[number] = { id: 'x-none', text: 'zebra quartz violin', split: 'eval', judgments: [{ grade: 2, target: makeSpanTarget(webhooks.id, webhooks.text, at, at + quote.length) }] };
    const [failing, split] = labeled.filter((q) => q !== kwQuery && q !== lexQuery && !unanswered.includes(q));
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
      const d = await diagnoseEvaluation({ index, queries, variants: [] }, { retriever: r, result }, { k: 10, candidates: 30, split: 'all' });
      const misses = d.misses;
      const byQuery = new Map(misses.map((m) => [m.queryId, m]));
      // A query the engine cannot answer is a failure with its error, not a miss.
      assert.deepEqual(d.failures.map((f) => f.qid), [failing.id]);
      assert.match(d.failures[0].error, /HTTP 502/);
      assert.equal(byQuery.has(failing.id), false);
      // Found at rank 12: among the candidates, below K; no reranker, so not verified.
      assert.equal(byQuery.get(below.id)?.category, 'ranking');
      assert.equal(byQuery.get(below.id)?.verified, false);
      assert.match(byQuery.get(below.id)!.evidence, /^in the top 30 candidates at rank 12 but below 10; no reranker is configured/);
      assert.deepEqual(byQuery.get(below.id)?.retriever, { name: 'svc', position: { rank: 12, score: 0.5 } });
      // The engine's chunk splits the span: chunking itself is not computable for an engine (its chunks cannot be
      // re-made), said once with why, and the split is named in that miss's evidence.
      assert.deepEqual(d.uncomputed.map((u) => u.category), ['chunking']);
      assert.match(d.uncomputed[0].why, /the engine's chunks/);
      assert.match(byQuery.get(split.id)!.evidence, /the hit at rank 1 \(\[\d+, \d+\)\) holds (29|30)% of the span, less than half: the engine's chunk splits it$/);
      assert.equal(byQuery.get(kwQuery!.id)?.category, 'exact-match');
      assert.match(byQuery.get(kwQuery!.id)!.evidence, /^keyword search finds it at rank \d+, svc at not retrieved; with no local embedding model hybrid recovery is not verified; the query's [a-zA-Z_]+ "[^"]+" occurs verbatim in the labeled text$/);
      assert.equal(byQuery.get(kwQuery!.id)?.verified, false);
      assert.equal(byQuery.get(lexQuery!.id)?.category, 'lexical', `"${lexQuery!.text}" holds no exact token`);
      assert.match(byQuery.get(lexQuery!.id)!.evidence, /^keyword search finds it at rank \d+, svc at not retrieved; with no local embedding model hybrid recovery is not verified; the query holds no exact token/);
      assert.equal(byQuery.get(none.id)?.category, 'semantic');
      assert.match(byQuery.get(none.id)!.evidence, /^nothing recovers it: svc not retrieved, keyword not retrieved/);
      assert.equal(misses.length, 5);
      // The inspector's column diagnoses the hits it already fetched, one query at a time: the same categories and
      // evidence as the whole evaluation, and a span returned within K is no miss.
      for (const q of [below, split, none, kwQuery!, lexQuery!]) {
        const one = await diagnoseMisses({ index, queries: [q], variants: [], retriever: r, fetched: { hits: new Map([[q.id, await r.search(q.text, 100)]]), depth: 100 } }, { k: 10, candidates: 30, split: 'all' });
        assert.deepEqual(one.misses, [byQuery.get(q.id)], `the inspector's diagnosis of "${q.text}"`);
      }
      const deeper = await diagnoseMisses({ index, queries: [below], variants: [], retriever: r }, { k: 20, candidates: 30, split: 'all' });
      assert.deepEqual(deeper.misses, [], 'found at rank 12 is within K = 20');
    } finally {
      await server.close();
    }
  });
});
