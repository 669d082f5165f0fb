import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createChunker } from '../../../../src/core/chunking/chunker-registry';
import { buildDocument } from '../../../../src/core/corpus/build-document';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';
import type { Embedder } from '../../../../src/core/embed/embedder';
import { UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { linesJson, parseLinesJson } from '../../../../src/core/index/index-parts';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex } from '../../../../src/core/store/keyword-index';
import { INDEX_FORMAT_VERSION, WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import type { RetrieverName } from '../../../../src/core/retrieve/types';
import { repoRoot, scifactDir, skipUnlessShared } from '../../../helpers/shared';

/**
 * Answers survive the saved format bit for bit. The fixtures were written by the format-1 code (before format 2):
 * fixtures/format-1 is a small index it saved, with the answers it gave; demo-before.json and
 * scifact-bm25-before.json are its keyword, dense and hybrid answers on the demo and SciFact. Every list is
 * compared whole, ids and scores with deepEqual (bit-identical numbers), from a fresh build and after reopening.
 */
type Answers = Record<string, Record<string, Array<[string, number]>>>;
const FIXTURES = path.join(__dirname, 'fixtures');

async function answers(index: WorkspaceIndex, queries: string[], retrievers: RetrieverName[], k: number): Promise<Answers> {
  const out: Answers = {};
  for (const q of queries) {
    const r = await index.search({ query: q, k, retrievers, explain: false });
    out[q] = Object.fromEntries(retrievers.map((name) => [name, (r.results[name] ?? []).map((h) => [h.chunkId, h.score] as [string, number])]));
  }
  return out;
}

describe('saved index format', () => {
  let embedder: Embedder;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-format-'));
  before(async () => {
    embedder = await UseLiteEmbedder.load();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('an index saved in format 1 is read once, saved in format 2, and answers as format 1 did', async () => {
    const work = path.join(tmp, 'f1');
    fs.cpSync(path.join(FIXTURES, 'format-1'), work, { recursive: true });
    const expected = JSON.parse(fs.readFileSync(path.join(work, 'expected.json'), 'utf8')) as { chunker: { kind: 'markdown'; maxSize: number }; queries: string[]; results: Answers };
    const storageDir = path.join(work, 'index');
    const options = { chunker: expected.chunker, embedder, storageDir };
    const corpus = await loadFolderCorpus(path.join(work, 'workspace'));
    const first = await WorkspaceIndex.openOrBuild(corpus, options);
    assert.equal(first.rebuilt, undefined, 'read, not rebuilt');
    assert.equal(first.migrated, `index format 1 read and saved as format ${INDEX_FORMAT_VERSION}`);
    assert.equal(first.stats.chunksEmbedded, 0);
    assert.deepEqual(await answers(first.index, expected.queries, ['keyword', 'dense', 'hybrid'], 100), expected.results);
    const manifest = JSON.parse(fs.readFileSync(path.join(storageDir, 'manifest.json'), 'utf8')) as { formatVersion: number; documents?: unknown };
    assert.equal(manifest.formatVersion, INDEX_FORMAT_VERSION);
    assert.equal(manifest.documents, undefined, 'the per-document list moved to documents.json');
    assert.ok(!fs.existsSync(path.join(storageDir, 'keyword.json')), "format 1's keyword.json is gone");
    assert.ok(fs.existsSync(path.join(storageDir, 'keyword.bin')));
    const second = await WorkspaceIndex.openOrBuild(corpus, options);
    assert.equal(second.rebuilt, undefined);
    assert.equal(second.migrated, undefined, 'migrated once');
    assert.deepEqual(await answers(second.index, expected.queries, ['keyword', 'dense', 'hybrid'], 100), expected.results);
  });

  it('the demo (USE-lite): keyword, dense and hybrid answers equal format 1 bit for bit, fresh and reopened', async () => {
    const before = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'demo-before.json'), 'utf8')) as { chunker: { kind: 'markdown'; maxSize: number; minSize: number }; model: string; results: Answers };
    assert.equal(before.model, embedder.info.id);
    const queries = Object.keys(before.results);
    const storageDir = path.join(tmp, 'demo');
    const corpus = await loadFolderCorpus(path.join(repoRoot, 'demo'));
    const fresh = await WorkspaceIndex.openOrBuild(corpus, { chunker: before.chunker, embedder, storageDir });
    assert.equal(fresh.rebuilt, 'no saved index');
    assert.ok(fresh.index.keyword.isFrozen, 'a cold build, once saved, holds the saved postings as a reopened index does');
    assert.deepEqual(await answers(fresh.index, queries, ['keyword', 'dense', 'hybrid'], 20), before.results);
    const reopened = await WorkspaceIndex.openOrBuild(corpus, { chunker: before.chunker, embedder, storageDir });
    assert.equal(reopened.rebuilt, undefined);
    assert.ok(reopened.index.keyword.isFrozen, 'opened frozen: no MiniSearch rebuilt for an unchanged workspace');
    assert.deepEqual(await answers(reopened.index, queries, ['keyword', 'dense', 'hybrid'], 20), before.results);
    // Chunks come back whole from the workspace's texts.
    assert.deepEqual([...reopened.index.allChunks()], [...fresh.index.allChunks()]);
  });

  it('SciFact BM25: the first 100 queries answer as format 1 did, fresh, reopened frozen, and after the MiniSearch is rebuilt', { skip: skipUnlessShared('SciFact', scifactDir()), timeout: 300_000 }, async () => {
    const before = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'scifact-bm25-before.json'), 'utf8')) as { chunker: { kind: 'whole-document' }; results: Answers };
    const queries = Object.keys(before.results);
    const corpus = await loadBeirCorpus(scifactDir() as string);
    const storageDir = path.join(tmp, 'scifact');
    const fresh = await WorkspaceIndex.openOrBuild(corpus, { chunker: before.chunker, storageDir });
    assert.deepEqual(await answers(fresh.index, queries, ['keyword'], 20), before.results);
    const reopened = await WorkspaceIndex.openOrBuild(corpus, { chunker: before.chunker, storageDir });
    assert.equal(reopened.rebuilt, undefined);
    assert.ok(reopened.index.keyword.isFrozen);
    assert.deepEqual(await answers(reopened.index, queries, ['keyword'], 20), before.results);
    await reopened.index.keyword.hydrate();
    assert.ok(!reopened.index.keyword.isFrozen);
    assert.deepEqual(await answers(reopened.index, queries, ['keyword'], 20), before.results);
  });

  it('keyword.bin keeps every score after discards, and a frozen index rebuilt for a change matches one never saved', async () => {
    const chunker = createChunker({ kind: 'whole-document' });
    const texts = ['Retries use exponential backoff with jitter.', 'The retry budget caps retries per minute.', 'Batching groups messages per partition.', 'Budgets and retries: the limiter trips.', 'Partition leases expire; the consumer retries.'];
    const chunks = texts.flatMap((t, i) => chunker.chunk(buildDocument(`d${i}.md`, t).doc));
    const live = new KeywordIndex(DEFAULT_KEYWORD_CONFIG);
    live.add(chunks.map((chunk) => ({ chunk, title: chunk.docId })));
    live.remove([chunks[1].id]);
    const frozen = await KeywordIndex.fromBinaryAsync(DEFAULT_KEYWORD_CONFIG, live.toBinary());
    assert.ok(frozen.isFrozen);
    assert.equal(frozen.size, live.size);
    const queries = ['retry budget', 'partition retries', 'budget budget backoff', 'limiter', 'nothing'];
    for (const q of queries) {
      assert.deepEqual(frozen.search(q), live.search(q), q);
      const ids = live.search(q).map((h) => h.id);
      assert.deepEqual(frozen.explain(q, ids), live.explain(q, ids), q);
    }
    assert.deepEqual(frozen.toBinary(), live.toBinary(), 'an unchanged frozen index saves the bytes it was opened from');
    const extra = chunker.chunk(buildDocument('d9.md', 'Retry budgets per partition.').doc);
    for (const k of [live, frozen]) {
      k.add(extra.map((chunk) => ({ chunk, title: chunk.docId })));
      k.remove([chunks[3].id]);
    }
    assert.ok(!frozen.isFrozen, 'a change rebuilt the MiniSearch');
    for (const q of queries) {
      assert.deepEqual(frozen.search(q), live.search(q), q);
      const ids = live.search(q).map((h) => h.id);
      assert.deepEqual(frozen.explain(q, ids), live.explain(q, ids), q);
    }
  });

  it('a cold build frozen at its save answers as one never saved, and after a change as one never saved that changed too', async () => {
    const chunker = { kind: 'markdown' as const, maxSize: 400, minSize: 0 };
    const corpus = await loadFolderCorpus(path.join(repoRoot, 'demo'));
    const saved = (await WorkspaceIndex.openOrBuild(corpus, { chunker, storageDir: path.join(tmp, 'freeze') })).index;
    const live = (await WorkspaceIndex.build(corpus, { chunker })).index;
    assert.ok(saved.keyword.isFrozen);
    assert.ok(!live.keyword.isFrozen, 'nothing saved, nothing to freeze over');
    const queries = ['retry budget', 'partition lease expiry', 'how are tokens refreshed', 'static membership', 'zzz'];
    const first = await answers(saved, queries, ['keyword'], 50);
    assert.ok(Object.values(first).filter((r) => r.keyword.length > 0).length >= 3, 'the queries find chunks');
    assert.deepEqual(first, await answers(live, queries, ['keyword'], 50));
    const doc = corpus.documents[0];
    const changed = buildDocument(doc.id, `${doc.text}\n\nA retry budget caps the partition lease retries.\n`).doc;
    for (const ix of [saved, live]) await ix.updateDocuments([{ docId: doc.id, doc: { ...changed, absPath: doc.absPath } }]);
    assert.ok(!saved.keyword.isFrozen, 'the change rebuilt the MiniSearch, and it stays live (no freeze on an update)');
    assert.deepEqual(await answers(saved, queries, ['keyword'], 50), await answers(live, queries, ['keyword'], 50));
  });

  it('the one-row-a-line JSON parts read back whole, at and around the parser slice size', () => {
    const run = <T>(g: Generator<void, T>): T => {
      for (;;) {
        const r = g.next();
        if (r.done) return r.value;
      }
    };
    for (const n of [0, 1, 2, 1023, 1024, 1025, 3000]) {
      const rows = Array.from({ length: n }, (_, i) => [`id${i}`, i, 'a,\nb ],[', [i, 'x']]);
      const text = run(linesJson(rows));
      assert.deepEqual(JSON.parse(text), rows, 'valid JSON');
      assert.equal(text.split('\n').length, n ? n + 2 : 1, 'one row a line');
      assert.deepEqual(run(parseLinesJson(text)), rows);
    }
    assert.deepEqual(run(parseLinesJson('[[1,2],[3]]')), [[1, 2], [3]], 'other JSON is parsed whole');
  });

  it('save() and saveAsync() write the same parts, byte for byte', async () => {
    const corpus = await loadFolderCorpus(path.join(repoRoot, 'demo'));
    const options = { chunker: { kind: 'markdown' as const, maxSize: 600 }, embedder };
    const a = path.join(tmp, 'save-async');
    const b = path.join(tmp, 'save-sync');
    await WorkspaceIndex.build(corpus, { ...options, storageDir: a }); // saves with saveAsync
    const { index } = await WorkspaceIndex.build(corpus, { ...options, storageDir: b });
    for (const f of ['documents.json', 'chunks.json', 'keyword.bin', 'vector-ids.json', 'vectors.f32', 'manifest.json']) fs.rmSync(path.join(b, f));
    index.save();
    const files = (d: string) => fs.readdirSync(d, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(d, f)).isFile()).sort();
    assert.deepEqual(files(b), files(a));
    for (const f of files(a).filter((x) => x !== 'manifest.json')) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), f);
    const parts = (d: string) => (JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8')) as { files: unknown }).files;
    assert.deepEqual(parts(b), parts(a));
  });

  it('a keyword.bin with a byte changed, or cut short, is rebuilt with the reason', async () => {
    const root = path.join(tmp, 'ws');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'a.md'), '# A\n\nRetries use exponential backoff.\n');
    fs.writeFileSync(path.join(root, 'b.md'), '# B\n\nThe retry budget caps retries.\n');
    const corpus = await loadFolderCorpus(root);
    const storageDir = path.join(tmp, 'kw-corrupt');
    const options = { chunker: { kind: 'markdown' as const, maxSize: 400 }, storageDir };
    const want = await answers((await WorkspaceIndex.openOrBuild(corpus, options)).index, ['retry budget'], ['keyword'], 10);
    const file = path.join(storageDir, 'keyword.bin');
    const b = fs.readFileSync(file);
    b[Math.floor(b.length / 2)] ^= 0x20;
    fs.writeFileSync(file, b);
    const flipped = await WorkspaceIndex.openOrBuild(corpus, options);
    assert.match(flipped.rebuilt ?? '', /keyword\.bin does not match its checksum/);
    assert.deepEqual(await answers(flipped.index, ['retry budget'], ['keyword'], 10), want);
    fs.truncateSync(file, 10);
    const cut = await WorkspaceIndex.openOrBuild(corpus, options);
    assert.match(cut.rebuilt ?? '', /keyword\.bin is 10 bytes, manifest says \d+ \(truncated\?\)/);
    assert.deepEqual(await answers(cut.index, ['retry budget'], ['keyword'], 10), want);
  });

  it('a document changed since the save is re-chunked from its new text; the others keep their chunks', async () => {
    const root = path.join(tmp, 'ws-change');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'a.md'), '# A\n\nRetries use exponential backoff.\n');
    fs.writeFileSync(path.join(root, 'b.md'), '# B\n\nThe retry budget caps retries.\n');
    const storageDir = path.join(tmp, 'idx-change');
    const options = { chunker: { kind: 'markdown' as const, maxSize: 400 }, embedder, storageDir };
    const first = await WorkspaceIndex.openOrBuild(await loadFolderCorpus(root), options);
    const keptA = first.index.chunksOf('a.md');
    fs.writeFileSync(path.join(root, 'b.md'), '# B\n\nPartitions are leased to one consumer.\n');
    fs.writeFileSync(path.join(root, 'c.md'), '# C\n\nSnapshots are taken hourly.\n');
    const corpus = await loadFolderCorpus(root);
    const second = await WorkspaceIndex.openOrBuild(corpus, options);
    assert.equal(second.rebuilt, undefined);
    assert.deepEqual([second.stats.added, second.stats.changed, second.stats.removed, second.stats.unchanged], [1, 1, 0, 1]);
    assert.deepEqual(second.index.chunksOf('a.md'), keptA);
    assert.match(second.index.chunksOf('b.md').map((c) => c.text).join(' '), /leased to one consumer/);
    // Keyword scores equal a fresh build's bit for bit (USE-lite's vectors can differ in the last bits with the batch
    // a text was embedded in, so dense is checked on the vector kept for the unchanged chunk).
    const built = await WorkspaceIndex.build(corpus, { ...options, storageDir: undefined });
    const qs = ['retry budget', 'partition consumer', 'snapshots hourly'];
    assert.deepEqual(await answers(second.index, qs, ['keyword'], 10), await answers(built.index, qs, ['keyword'], 10));
    assert.deepEqual(second.index.vectors?.get(keptA[0].id), first.index.vectors?.get(keptA[0].id));
    fs.rmSync(path.join(root, 'b.md'));
    const third = await WorkspaceIndex.openOrBuild(await loadFolderCorpus(root), options);
    assert.equal(third.stats.removed, 1);
    assert.equal(third.index.chunkMap.size, third.index.chunksOf('a.md').length + third.index.chunksOf('c.md').length);
    assert.equal(third.index.keyword.size, third.index.chunkMap.size);
  });
});
