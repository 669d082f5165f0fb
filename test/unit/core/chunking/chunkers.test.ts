import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chunk, ChunkerConfig } from '../../../../src/core/chunking/chunk';
import { CHUNKER_DEFAULTS, createChunker } from '../../../../src/core/chunking/chunker-registry';
import { buildDocument } from '../../../../src/core/corpus/build-document';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';
import { demoDir, scifactDir } from '../../../helpers/shared';
import { fixtureDocs } from './fixtures';

const CONFIGS: ChunkerConfig[] = [
  ...Object.values(CHUNKER_DEFAULTS),
  { kind: 'fixed-chars', size: 120, overlap: 30 },
  { kind: 'recursive', size: 200, overlap: 40 },
  { kind: 'markdown', maxSize: 300, minSize: 80 },
  { kind: 'sentence-window', sentences: 1, overlap: 0 },
  { kind: 'fixed-tokens', size: 40, overlap: 8 },
];

/** Every property the rest of the system relies on. */
function checkChunks(doc: SourceDocument, chunks: Chunk[], config: ChunkerConfig): void {
  const where = `${doc.id} / ${config.kind}`;
  chunks.forEach((c, i) => {
    assert.equal(doc.text.slice(c.start, c.end), c.text, `${where}: offsets reproduce text`);
    assert.equal(c.ordinal, i, `${where}: ordinals sequential`);
    assert.equal(c.docId, doc.id);
    assert.ok(c.text.trim().length > 0 && c.text === c.text.trim(), `${where}: trimmed, non-empty`);
    if (i > 0) assert.ok(c.start >= chunks[i - 1].start, `${where}: chunks in order`);
  });
  // Coverage: every non-whitespace character of the body is inside some chunk.
  const covered = new Uint8Array(doc.text.length);
  for (const c of chunks) covered.fill(1, c.start, c.end);
  for (let p = doc.bodyStart; p < doc.text.length; p++) {
    if (!/\s/.test(doc.text[p]) && !covered[p]) assert.fail(`${where}: character ${p} (${JSON.stringify(doc.text.slice(p, p + 20))}) not covered`);
  }
  // Overlap between neighbours never exceeds what the config allows.
  const maxOverlap = config.kind === 'fixed-chars' || config.kind === 'recursive' ? config.overlap : config.kind === 'fixed-tokens' ? Infinity : config.kind === 'sentence-window' ? Infinity : 0;
  for (let i = 1; i < chunks.length; i++) {
    const overlap = chunks[i - 1].end - chunks[i].start;
    if (maxOverlap !== Infinity) assert.ok(overlap <= maxOverlap, `${where}: overlap ${overlap} > ${maxOverlap}`);
    if (config.kind === 'sentence-window' && config.overlap === 0) assert.ok(overlap <= 0, `${where}: sentence windows without overlap must not overlap`);
  }
}

describe('chunkers', () => {
  it('hold their invariants on hand-made documents', () => {
    for (const doc of fixtureDocs()) for (const config of CONFIGS) checkChunks(doc, createChunker(config).chunk(doc), config);
  });

  it('hold their invariants on the demo workspace', { skip: false }, async () => {
    const c = await loadFolderCorpus(demoDir);
    if (!c.documents.length) return;
    for (const doc of c.documents) for (const config of CONFIGS) checkChunks(doc, createChunker(config).chunk(doc), config);
  });

  it('hold their invariants on a SciFact sample', { skip: scifactDir() ? false : 'SciFact not found: set RETRIEVAL_LENS_SHARED' }, async () => {
    const c = await loadBeirCorpus(scifactDir() as string);
    const sample = c.documents.filter((_, i) => i % 25 === 0);
    for (const doc of sample) for (const config of CONFIGS) checkChunks(doc, createChunker(config).chunk(doc), config);
  });

  it('produce the same ids on every run and different ids for different configs', () => {
    const doc = fixtureDocs()[0];
    const a = createChunker({ kind: 'recursive', size: 200, overlap: 40 }).chunk(doc).map((c) => c.id);
    const b = createChunker({ overlap: 40, size: 200, kind: 'recursive' }).chunk(doc).map((c) => c.id);
    const other = createChunker({ kind: 'recursive', size: 201, overlap: 40 }).chunk(doc).map((c) => c.id);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, a.length);
    assert.notDeepEqual(a, other);
  });

  it('markdown chunks are sections carrying their heading path, front matter excluded', () => {
    const { doc } = buildDocument('g.md', '---\ntitle: G\n---\n# Guide\n\nIntro text.\n\n## Tokens\n\nRotate tokens.\n\n### Expiry\n\nThey expire.\n');
    const chunks = createChunker({ kind: 'markdown', maxSize: 1000 }).chunk(doc);
    assert.deepEqual(chunks.map((c) => c.headingPath), [['Guide'], ['Guide', 'Tokens'], ['Guide', 'Tokens', 'Expiry']]);
    assert.ok(chunks.every((c) => c.start >= doc.bodyStart));
    assert.equal(chunks[1].text, '## Tokens\n\nRotate tokens.');
  });

  it('code chunks follow top-level declarations', () => {
    const src = 'import x from "y";\n\n// adds\nexport function add(a, b) {\n  return a + b;\n}\n\nclass K {\n  m() {}\n}\n';
    const { doc } = buildDocument('a.ts', src);
    const chunks = createChunker({ kind: 'code', maxSize: 1000 }).chunk(doc);
    assert.deepEqual(chunks.map((c) => c.text.split('\n')[0]), ['import x from "y";', '// adds', 'class K {']);
  });

  it('rejects invalid configs with a clear message', () => {
    assert.throws(() => createChunker({ kind: 'fixed-chars', size: 100, overlap: 100 }), /overlap must be ≥ 0 and < size/);
    assert.throws(() => createChunker({ kind: 'recursive', size: 0, overlap: 0 }), /size must be a positive number/);
  });
});
