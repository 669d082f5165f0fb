import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sizedChunkerConfig } from '../../../../src/core/chunking/chunker-registry';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluateRetriever } from '../../../../src/core/eval/evaluate-retriever';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { elasticFilter, globToWildcards, qdrantFilter } from '../../../../src/core/retrieve/engine-filters';
import { createExternalRetriever } from '../../../../src/core/retrieve/external-retrievers';
import { LocalRetriever } from '../../../../src/core/retrieve/local-retriever';
import { unappliedFilter } from '../../../../src/core/retrieve/retriever';
import { validateRetrievers, type HttpRetrieverConfig } from '../../../../src/core/retrieve/retriever-config';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import type { MetadataFilter } from '../../../../src/core/retrieve/types';
import { startJsonServer, type TestServer } from '../../../helpers/protocol-servers';
import { demoDir } from '../../../helpers/shared';

const FULL: MetadataFilter = {
  pathGlobs: ['docs/**/*.md', 'notes/{a,b}.md'],
  excludeGlobs: ['docs/archive/**'],
  languages: ['markdown'],
  frontMatter: { product: 'cloud', version: ['2.4', 3] },
  headingPath: ' Rotating keys ',
  modifiedAfter: '2026-01-31',
};
const FIELDS = { path: 'path', language: 'lang', modified: 'mtime', headingPath: 'headings', frontMatter: 'meta' };

/**
 * One clause of the OpenSearch / Elasticsearch query DSL evaluated on a document's `_source` — the subset the
 * translation emits (bool with should / minimum_should_match, terms, wildcard, match_phrase, range on ISO dates),
 * with the engine's meaning: `wildcard`'s `*` matches any characters, `/` included.
 */
function matches(clause: unknown, source: Record<string, unknown>): boolean {
  const [[kind, body]] = Object.entries(clause as Record<string, unknown>) as Array<[string, Record<string, unknown>]>;
  const field = (name: string): unknown => name.split('.').reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined), source);
  const values = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map(String);
  switch (kind) {
    case 'bool': {
      const should = (body.should ?? []) as unknown[];
      const min = (body.minimum_should_match as number | undefined) ?? (should.length ? 1 : 0);
      return ((body.filter ?? []) as unknown[]).every((c) => matches(c, source)) && !((body.must_not ?? []) as unknown[]).some((c) => matches(c, source)) && should.filter((c) => matches(c, source)).length >= min;
    }
    case 'terms': {
      const [[f, wanted]] = Object.entries(body) as Array<[string, unknown[]]>;
      return values(field(f)).some((v) => wanted.map(String).includes(v));
    }
    case 'wildcard': {
      const [[f, { value }]] = Object.entries(body) as Array<[string, { value: string }]>;
      const re = new RegExp(`^${value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      return values(field(f)).some((v) => re.test(v));
    }
    case 'match_phrase': {
      const [[f, phrase]] = Object.entries(body) as Array<[string, string]>;
      return values(field(f)).some((v) => v.toLowerCase().includes(phrase.toLowerCase()));
    }
    case 'range': {
      const [[f, { gte }]] = Object.entries(body) as Array<[string, { gte: string }]>;
      return values(field(f)).some((v) => Date.parse(v) >= Date.parse(gte));
    }
    default:
      throw new Error(`the stand-in engine does not know the ${kind} query`);
  }
}

describe('metadata filters translated into engine query languages', () => {
  it('OpenSearch / Elasticsearch: bool filter and must_not clauses, the gaps named', () => {
    const r = elasticFilter(FULL, FIELDS);
    assert.deepEqual(r.clause, {
      filter: [
        { bool: { should: [{ wildcard: { path: { value: 'docs/*.md' } } }, { wildcard: { path: { value: 'docs/*/*.md' } } }, { wildcard: { path: { value: 'notes/a.md' } } }, { wildcard: { path: { value: 'notes/b.md' } } }], minimum_should_match: 1 } },
        { terms: { lang: ['markdown'] } },
        { terms: { 'meta.product': ['cloud'] } },
        { terms: { 'meta.version': ['2.4', '3'] } },
        { match_phrase: { headings: 'Rotating keys' } },
        { range: { mtime: { gte: '2026-01-31' } } },
      ],
      must_not: [{ wildcard: { path: { value: 'docs/archive/*' } } }],
    });
    // `docs/**/*.md`'s lone * follows ** (any depth either way): exact; nothing else is approximate here.
    assert.deepEqual(r.gaps, []);
    assert.deepEqual(elasticFilter({ pathGlobs: ['docs/*.md', 'src/[ab].ts'] }, FIELDS).gaps, [
      'pathGlobs: "docs/*.md" — a single * also matches across folders in the engine\'s wildcard query',
      'pathGlobs: glob "src/[ab].ts" uses a character class, negation or extglob, which a wildcard query cannot express',
    ]);
    const partial = elasticFilter(FULL, { path: 'path' });
    assert.deepEqual(partial.gaps, [
      'languages: no filterFields.language names the engine field',
      'frontMatter.product: no filterFields.frontMatter names the engine field',
      'frontMatter.version: no filterFields.frontMatter names the engine field',
      'headingPath: no filterFields.headingPath names the engine field',
      'modifiedAfter: no filterFields.modified names the engine field',
    ]);
    assert.equal(partial.clause?.filter.length, 1);
    assert.deepEqual(globToWildcards('a/{b,c}/**/x?.md').patterns, ['a/b/x?.md', 'a/b/*/x?.md', 'a/c/x?.md', 'a/c/*/x?.md']);
  });

  it('Qdrant: must conditions on payload keys; path globs are a gap (no wildcard match in Qdrant)', () => {
    const r = qdrantFilter(FULL, FIELDS);
    assert.deepEqual(r.clause, {
      must: [
        { key: 'lang', match: { any: ['markdown'] } },
        { key: 'meta.product', match: { any: ['cloud'] } },
        { key: 'meta.version', match: { any: ['2.4', '3'] } },
        { key: 'headings', match: { text: 'Rotating keys' } },
        { key: 'mtime', datetime_range: { gte: '2026-01-31' } },
      ],
      must_not: [],
    });
    assert.deepEqual(r.gaps, ['pathGlobs: Qdrant has no wildcard match on payload values', 'excludeGlobs: Qdrant has no wildcard match on payload values']);
  });

  it('settings: filterFields is checked field by field and only for presets that translate it', () => {
    const { problems } = validateRetrievers({
      a: { type: 'http', preset: 'opensearch', url: 'http://h/_search', filterFields: { path: 'path', lang: 'x', language: 3 } },
      b: { type: 'http', preset: 'plain', url: 'http://h/s', filterFields: { path: 'p' } },
    });
    assert.deepEqual(problems, [
      { path: ['a', 'filterFields', 'lang'], problem: 'is not a filter field (use path, language, modified, headingPath, frontMatter)' },
      { path: ['a', 'filterFields', 'language'], problem: 'must be a field name (a dotted path in the engine document)' },
      { path: ['b', 'filterFields'], problem: 'is translated for the opensearch, elasticsearch and qdrant presets; for another service put "${filter}" in the body' },
    ]);
  });
});

describe('filtered queries sent to engines over HTTP', () => {
  let target: EvalTarget;
  let index: WorkspaceIndex;
  /** OpenSearch `_search` over the demo chunks: BM25 ranking of all chunks, then the bool query's clauses applied. */
  let engine: TestServer;
  /** A team's own RAG service taking `{query, k, filter}` (the MetadataFilter as JSON), answering `{results}`. */
  let service: TestServer;

  before(async () => {
    target = await loadEvalTarget(demoDir);
    ({ index } = await WorkspaceIndex.build(target.corpus, { chunker: sizedChunkerConfig('markdown'), embedder: null }));
    engine = await startJsonServer(async (req) => {
      const body = JSON.parse(req.body) as { size: number; query: Record<string, unknown> };
      const q = body.query.bool ? (body.query.bool as { must: Array<{ multi_match: { query: string } }> }).must[0] : (body.query as { multi_match: { query: string } });
      const all = (await index.search({ query: q.multi_match.query, k: index.chunkMap.size, retrievers: ['keyword'], explain: false })).results.keyword ?? [];
      const hits = all
        .map((h) => {
          const c = index.getChunk(h.chunkId)!;
          const d = index.getDocument(c.docId)!;
          return { _index: 'demo', _id: h.chunkId, _score: h.score, _source: { path: d.path, text: c.text, meta: d.frontMatter } };
        })
        .filter((h) => !body.query.bool || matches({ bool: { filter: (body.query.bool as { filter: unknown[] }).filter, must_not: (body.query.bool as { must_not: unknown[] }).must_not } }, h._source))
        .slice(0, body.size);
      return { body: { took: 1, timed_out: false, hits: { total: { value: hits.length, relation: 'eq' }, max_score: hits[0]?._score ?? null, hits } } };
    });
    service = await startJsonServer(() => ({ body: { results: [{ id: 'x', score: 1, text: 'an answer' }] } }));
  });
  after(async () => {
    await engine?.close();
    await service?.close();
  });

  const opensearch = (filterFields?: HttpRetrieverConfig['filterFields']) =>
    createExternalRetriever('os', { retrievers: { os: { type: 'http', preset: 'opensearch', url: `${engine.url}/demo/_search`, filterFields } } }, { secrets: environmentSecrets });

  it('opensearch preset with filterFields: the filter goes in a bool query, and the demo scores as local BM25 with the same filters', async () => {
    const r = opensearch({ path: 'path', frontMatter: 'meta' });
    assert.equal(r.capabilities.filters, true);
    await r.search('rotate keys', 3);
    assert.deepEqual(JSON.parse(engine.requests.at(-1)!.body), { size: 3, query: { multi_match: { query: 'rotate keys' } } }, 'no filter: the preset body unchanged');
    await r.search('rotate keys', 3, { filter: { frontMatter: { product: 'cloud' }, excludeGlobs: ['docs/api/**'] } });
    assert.deepEqual(JSON.parse(engine.requests.at(-1)!.body), {
      size: 3,
      query: { bool: { must: [{ multi_match: { query: 'rotate keys' } }], filter: [{ terms: { 'meta.product': ['cloud'] } }], must_not: [{ wildcard: { path: { value: 'docs/api/*' } } }] } },
    });
    const filtered = target.queries.filter((q) => q.filter && q.split === 'eval' && q.judgments.length);
    assert.ok(filtered.length >= 2);
    const ext = await evaluateRetriever(r, target.corpus.documents, target.queries, { level: 'chunk', depth: 100 });
    const loc = await evaluateRetriever(new LocalRetriever(index, 'keyword'), target.corpus.documents, target.queries, { level: 'chunk', depth: 100 });
    assert.equal(ext.filtersNotApplied, 0);
    for (const m of ['ndcg_cut_10', 'recall_100', 'map']) assert.ok(Math.abs(ext.metrics.all[m] - loc.metrics.all[m]) < 1e-9, `${m}: ${ext.metrics.all[m]} vs ${loc.metrics.all[m]}`);
    for (const q of filtered) assert.deepEqual(ext.ranking.get(q.id)?.slice(0, 10), loc.ranking.get(q.id)?.slice(0, 10), q.id);
    // Without a frontMatter field the filter is not applied, and that is counted and said, not hidden.
    const partial = opensearch({ path: 'path' });
    assert.deepEqual(unappliedFilter(partial, filtered[0].filter), ['frontMatter.product: no filterFields.frontMatter names the engine field']);
    assert.equal((await evaluateRetriever(partial, target.corpus.documents, target.queries, { level: 'chunk', depth: 100 })).filtersNotApplied, filtered.length);
    assert.deepEqual(unappliedFilter(opensearch(), filtered[0].filter), ['the whole filter (frontMatter): os takes no filters']);
  });

  it('${filter} hands the MetadataFilter to a service of one\'s own as JSON (null without one), in the body or a GET URL', async () => {
    const post = createExternalRetriever('rag', { retrievers: { rag: { type: 'http', preset: 'plain', url: `${service.url}/search`, body: { q: '${query}', k: '${k}', filter: '${filter}' } } } }, { secrets: environmentSecrets });
    assert.equal(post.capabilities.filters, true);
    await post.search('tokens', 4, { filter: { languages: ['markdown'], headingPath: 'Keys' } });
    assert.deepEqual(JSON.parse(service.requests.at(-1)!.body), { q: 'tokens', k: 4, filter: { languages: ['markdown'], headingPath: 'Keys' } });
    await post.search('tokens', 4);
    assert.deepEqual(JSON.parse(service.requests.at(-1)!.body), { q: 'tokens', k: 4, filter: null });
    const get = createExternalRetriever('rag', { retrievers: { rag: { type: 'http', preset: 'plain', method: 'GET', url: `${service.url}/search?q=\${query}&filter=\${filter}` } } }, { secrets: environmentSecrets });
    await get.search('a b', 2, { filter: { pathGlobs: ['docs/**'] } });
    const u = new URL(service.requests.at(-1)!.url, service.url);
    assert.equal(u.searchParams.get('q'), 'a b');
    assert.deepEqual(JSON.parse(u.searchParams.get('filter')!), { pathGlobs: ['docs/**'] });
    assert.deepEqual(unappliedFilter(get, { pathGlobs: ['docs/**'] }), []);
  });
});
