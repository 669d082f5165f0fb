import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Embedder } from '../../../../src/core/embed/embedder';
import { UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';

const FILES: Record<string, string> = {
  'docs/retries.md': '---\ntitle: Retries\nproduct: cloud\n---\n# Retries\n\nClients retry failed publishes with exponential backoff.\n\n## Budget\n\nA retry budget caps retries per minute.\n',
  'docs/retention.md': '---\ntitle: Retention\nproduct: self-hosted\n---\n# Retention\n\nMessages are kept for seven days by default.\n',
  'docs/old/legacy.md': '# Legacy\n\nStream keys were replaced by API keys.\n',
  'notes.txt': 'Meeting notes: the cat sat on the mat.\n',
};

describe('WorkspaceIndex', () => {
  let root: string;
  let storage: string;
  let embedder: Embedder;
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ws-'));
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-store-'));
    for (const [rel, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    }
    embedder = await UseLiteEmbedder.load();
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(storage, { recursive: true, force: true });
  });
  const options = () => ({ chunker: { kind: 'markdown' as const, maxSize: 400 }, embedder, storageDir: storage });

  it('builds, searches every retriever and explains hits', async () => {
    const { index, stats } = await WorkspaceIndex.build(await loadFolderCorpus(root), options());
    assert.equal(stats.added, 4);
    assert.equal(stats.chunksEmbedded, index.chunkMap.size);
    const r = await index.search({ query: 'how are retries limited', k: 3, retrievers: ['keyword', 'dense', 'hybrid', 'rerank'] });
    assert.equal(r.results.keyword?.[0].docId, 'docs/retries.md');
    assert.equal(r.results.dense?.[0].explanation.kind, 'dense');
    const h = r.results.hybrid?.[0];
    assert.ok(h && h.explanation.kind === 'hybrid');
    assert.ok(Math.abs(h.explanation.keyword.contribution + h.explanation.dense.contribution - h.score) < 1e-9);
    assert.equal(r.errors.rerank, 'no reranker (cross-encoder) configured');
  });

  it('applies each metadata filter before ranking and reports what it removed', async () => {
    const { index } = await WorkspaceIndex.build(await loadFolderCorpus(root), { ...options(), storageDir: undefined });
    const docsOf = async (filter: object, query = 'retry retention keys cat') => {
      const r = await index.search({ query, k: 20, retrievers: ['keyword', 'dense'], filter });
      const kwDocs = new Set(r.results.keyword?.map((h) => h.docId));
      const dnDocs = new Set(r.results.dense?.map((h) => h.docId));
      for (const d of dnDocs) assert.ok(index.getDocument(d), d);
      return { kw: [...kwDocs].sort(), dn: [...dnDocs].sort(), removed: r.filter.removedChunks };
    };
    assert.deepEqual((await docsOf({ pathGlobs: ['docs/*.md'] })).dn, ['docs/retention.md', 'docs/retries.md']);
    assert.deepEqual((await docsOf({ excludeGlobs: ['docs/**'] })).dn, ['notes.txt']);
    assert.deepEqual((await docsOf({ languages: ['plaintext'] })).dn, ['notes.txt']);
    const fm = await docsOf({ frontMatter: { product: 'cloud' } });
    assert.deepEqual(fm.dn, ['docs/retries.md']);
    assert.equal(fm.removed, index.chunkMap.size - index.chunksOf('docs/retries.md').length);
    assert.deepEqual((await docsOf({ headingPath: 'budget' })).dn, ['docs/retries.md']);
    assert.deepEqual((await docsOf({ modifiedAfter: '2999-01-01' })).dn, []);
    await assert.rejects(index.search({ query: 'x', k: 1, retrievers: ['keyword'], filter: { modifiedAfter: 'soon' } }), /"soon" is not a date/);
  });

  it("searches with the index's fusion and rerank settings unless the request gives its own, and says which ran", async () => {
    const { index } = await WorkspaceIndex.build(await loadFolderCorpus(root), { ...options(), storageDir: undefined, search: { fusion: { method: 'rrf', rrfK: 5 } } });
    const query = { query: 'retry budget per minute', k: 3, retrievers: ['hybrid' as const] };
    const byIndex = await index.search(query);
    assert.deepEqual(byIndex.config.fusion, { method: 'rrf', rrfK: 5, denseWeight: 0.2, normalization: 'min-max', depth: 100 });
    assert.deepEqual(byIndex.config.rerank, { base: 'hybrid', candidates: 30 });
    const top = byIndex.results.hybrid?.[0];
    assert.ok(top?.explanation.kind === 'hybrid' && top.explanation.method === 'rrf');
    // RRF with k = 5: each leg adds 1 / (5 + rank).
    const legs = [top.explanation.keyword, top.explanation.dense].filter((l) => l.rank !== null);
    assert.ok(Math.abs(top.score - legs.reduce((s, l) => s + 1 / (5 + (l.rank as number)), 0)) < 1e-12);
    const overridden = await index.search({ ...query, fusion: { method: 'weighted', normalization: 'z-score' } });
    assert.equal(overridden.config.fusion.method, 'weighted');
    assert.equal(overridden.config.fusion.normalization, 'z-score');
    assert.equal(overridden.config.fusion.rrfK, 5);
    index.searchDefaults = { fusion: { denseWeight: 0 } };
    const keywordOnly = await index.search({ query: 'retry budget per minute', k: 3, retrievers: ['hybrid', 'keyword'] });
    assert.equal(keywordOnly.config.fusion.denseWeight, 0);
    assert.equal(keywordOnly.results.hybrid?.[0].chunkId, keywordOnly.results.keyword?.[0].chunkId, 'dense weight 0: the keyword winner wins');
    for (const h of keywordOnly.results.hybrid ?? []) assert.ok(h.explanation.kind === 'hybrid' && h.explanation.dense.contribution === 0);
  });

  it('embeds each query once while it stays among the recent ones', async () => {
    let queryCalls = 0;
    const counting: Embedder = { ...embedder, info: embedder.info, embed: (texts, o) => {
      if (o?.kind === 'query') queryCalls++;
      return embedder.embed(texts, o);
    } };
    const { index } = await WorkspaceIndex.build(await loadFolderCorpus(root), { ...options(), embedder: counting, storageDir: undefined });
    const first = await index.search({ query: 'retry budget', k: 3, retrievers: ['dense', 'hybrid'] });
    await index.search({ query: 'retry budget', k: 3, retrievers: ['hybrid'], fusion: { method: 'rrf' } });
    assert.equal(queryCalls, 1);
    await index.search({ query: 'retention period', k: 3, retrievers: ['dense'] });
    assert.equal(queryCalls, 2);
    assert.deepEqual((await index.search({ query: 'retry budget', k: 3, retrievers: ['dense'] })).results.dense, first.results.dense);
    assert.equal(queryCalls, 2);
  });

  it('keyword stemming and stop words are options of the index', async () => {
    const corpus = await loadFolderCorpus(root);
    const top = async (keyword: { stemming?: boolean; stopWords?: boolean }, query: string) => {
      const { index } = await WorkspaceIndex.build(corpus, { chunker: { kind: 'markdown', maxSize: 400 }, keyword });
      const r = await index.search({ query, k: 5, retrievers: ['keyword'] });
      return r.results.keyword ?? [];
    };
    // "retrying" reaches "retry"/"retries" only through the stem.
    assert.ok((await top({}, 'retrying')).some((h) => h.docId === 'docs/retries.md'));
    assert.equal((await top({ stemming: false }, 'retrying')).length, 0);
    // "the" is dropped as a stop word unless stop words are kept.
    assert.equal((await top({}, 'the')).length, 0);
    const withStopWords = await top({ stopWords: false }, 'the');
    assert.ok(withStopWords.some((h) => h.docId === 'notes.txt'));
    assert.ok(withStopWords.every((h) => h.explanation.kind === 'keyword' && h.explanation.terms.every((t) => t.matchedTerm === 'the')));
  });

  it('updates incrementally: editing one file changes only its chunks and re-embeds only new text', async () => {
    const first = await WorkspaceIndex.openOrBuild(await loadFolderCorpus(root), options());
    const before = new Map([...first.index.chunkMap.keys()].map((id) => [id, first.index.chunkMap.get(id)?.docId]));
    const vecBefore = first.index.vectors?.get(first.index.chunksOf('notes.txt')[0].id)?.slice();
    fs.appendFileSync(path.join(root, 'docs/retention.md'), '\n## Compaction\n\nCompacted topics keep the latest value per key.\n');
    const second = await WorkspaceIndex.openOrBuild(await loadFolderCorpus(root), options());
    assert.equal(second.rebuilt, undefined, 'loaded from disk, not rebuilt');
    assert.deepEqual([second.stats.added, second.stats.changed, second.stats.removed, second.stats.unchanged], [0, 1, 0, 3]);
    assert.equal(second.stats.chunksEmbedded, 1, 'only the new section is embedded');
    for (const [id, doc] of before) if (doc !== 'docs/retention.md') assert.ok(second.index.chunkMap.has(id), `unchanged chunk ${id} kept`);
    assert.deepEqual(second.index.vectors?.get(second.index.chunksOf('notes.txt')[0].id), vecBefore);
    fs.rmSync(path.join(root, 'notes.txt'));
    const third = await WorkspaceIndex.openOrBuild(await loadFolderCorpus(root), options());
    assert.equal(third.stats.removed, 1);
    assert.equal(third.index.chunksOf('notes.txt').length, 0);
    assert.equal((await third.index.search({ query: 'cat mat', k: 5, retrievers: ['keyword'] })).results.keyword?.length, 0);
  });

  it('a warm re-index of an unchanged corpus does no work; a rebuild takes vectors from the cache', async () => {
    const corpus = await loadFolderCorpus(root);
    await WorkspaceIndex.openOrBuild(corpus, options());
    const warm = await WorkspaceIndex.openOrBuild(corpus, options());
    assert.equal(warm.stats.unchanged, corpus.documents.length);
    assert.equal(warm.stats.chunksEmbedded, 0);
    const rebuilt = await WorkspaceIndex.openOrBuild(corpus, { ...options(), keyword: { titleBoost: 2 } });
    assert.equal(rebuilt.rebuilt, 'keyword settings changed');
    assert.equal(rebuilt.stats.chunksEmbedded, 0);
    assert.equal(rebuilt.stats.embeddingCacheHits, rebuilt.index.chunkMap.size);
  });

  it('detects a truncated or version-mismatched index and rebuilds it instead of crashing', async () => {
    const corpus = await loadFolderCorpus(root);
    await WorkspaceIndex.openOrBuild(corpus, options());
    const chunksFile = path.join(storage, 'chunks.json');
    fs.truncateSync(chunksFile, Math.floor(fs.statSync(chunksFile).size / 2));
    const a = await WorkspaceIndex.openOrBuild(corpus, options());
    assert.match(a.rebuilt ?? '', /chunks\.json is \d+ bytes, manifest says \d+ \(truncated\?\)/);
    assert.ok((await a.index.search({ query: 'retry', k: 1, retrievers: ['keyword'] })).results.keyword?.length);
    const manifest = JSON.parse(fs.readFileSync(path.join(storage, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(storage, 'manifest.json'), JSON.stringify({ ...manifest, formatVersion: 99 }));
    assert.equal((await WorkspaceIndex.openOrBuild(corpus, options())).rebuilt, 'index format 99 differs from 2');
    fs.writeFileSync(path.join(storage, 'manifest.json'), '{"formatVersion": 1, "chunk');
    assert.match((await WorkspaceIndex.openOrBuild(corpus, options())).rebuilt ?? '', /saved index unreadable/);
  });
});
