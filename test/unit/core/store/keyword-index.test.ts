import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createChunker } from '../../../../src/core/chunking/chunker-registry';
import { buildDocument } from '../../../../src/core/corpus/build-document';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex } from '../../../../src/core/store/keyword-index';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { scifactDir, skipUnlessShared } from '../../../helpers/shared';

function sameHits(ki: KeywordIndex, q: string): void {
  const fast = ki.search(q);
  const ref = ki.searchWithMiniSearch(q);
  assert.equal(fast.length, ref.length, `${q}: number of hits`);
  fast.forEach((h, i) => {
    assert.equal(h.id, ref[i].id, `${q}: hit ${i}`);
    assert.ok(Math.abs(h.score - ref[i].score) < 1e-9 * Math.max(1, ref[i].score), `${q}: score ${h.score} vs ${ref[i].score}`);
  });
}

function index(texts: Record<string, string>) {
  const ki = new KeywordIndex(DEFAULT_KEYWORD_CONFIG);
  const chunker = createChunker({ kind: 'whole-document' });
  const chunks = Object.entries(texts).flatMap(([id, t]) => chunker.chunk(buildDocument(id, t).doc));
  ki.add(chunks.map((chunk) => ({ chunk, title: chunk.docId })));
  return { ki, chunks };
}

describe('KeywordIndex', () => {
  it('scores plain BM25 and its per-term contributions sum to the score', () => {
    const { ki, chunks } = index({
      'a.md': 'Retries use exponential backoff with jitter.',
      'b.md': 'The retry budget caps retries per minute. Retrying too often trips the limiter.',
      'c.md': 'Batching groups messages.',
    });
    const hits = ki.search('retry budget backoff');
    // Both match two distinct terms; the shorter a.md wins on length normalisation.
    assert.deepEqual(hits.map((h) => chunks.find((c) => c.id === h.id)?.docId), ['a.md', 'b.md']);
    const explained = ki.explain('retry budget backoff', hits.map((h) => h.id));
    for (const h of hits) {
      const terms = explained.get(h.id) ?? [];
      const sum = terms.reduce((s, t) => s + t.contribution, 0);
      assert.ok(Math.abs(sum - h.score) < 1e-9, `contributions ${sum} = score ${h.score}`);
      assert.ok(terms.every((t) => t.contribution > 0));
    }
    // Stemming: "retries", "retrying" and "retry" meet at one term.
    assert.ok((explained.get(hits[0].id) ?? []).some((t) => t.queryTerm === 'retry' && t.matchedTerm === 'retri'));
  });

  it('drops stop words, filters candidates and survives serialisation', () => {
    const { ki, chunks } = index({ 'a.md': 'the cat', 'b.md': 'the dog' });
    assert.equal(ki.search('the').length, 0, 'a stop-word-only query matches nothing');
    const b = chunks.find((c) => c.docId === 'b.md')?.id as string;
    assert.deepEqual(ki.search('cat dog', { filter: (id) => id === b }).map((h) => h.id), [b]);
    const copy = new KeywordIndex(DEFAULT_KEYWORD_CONFIG, ki.toJSON());
    assert.deepEqual(copy.search('cat dog'), ki.search('cat dog'));
    ki.remove([b]);
    assert.equal(ki.search('dog').length, 0);
  });

  it('scores exactly as MiniSearch does, also after documents were discarded', () => {
    const { ki, chunks } = index({ 'a.md': 'retry retry budget', 'b.md': 'retry backoff', 'c.md': 'budget limits', 'd.md': 'retries and budgets' });
    for (const q of ['retry budget', 'budget budget', 'backoff', 'nothing here']) sameHits(ki, q);
    ki.remove([chunks[0].id]);
    for (const q of ['retry budget', 'budget', 'backoff']) sameHits(ki, q);
  });

  it('scores all 300 SciFact queries exactly as MiniSearch does', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const target = await loadEvalTarget(scifactDir() as string);
    const ki = new KeywordIndex(DEFAULT_KEYWORD_CONFIG);
    const chunker = createChunker({ kind: 'whole-document' });
    ki.add(target.corpus.documents.flatMap((d) => chunker.chunk(d).map((chunk) => ({ chunk, title: d.title }))));
    for (const q of target.queries) sameHits(ki, q.text);
  });
});

