import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { approximateTokenCounter } from '../../../../src/core/chunking/approximate-token-counter';
import type { ChunkerConfig, TokenCounter } from '../../../../src/core/chunking/chunk';
import { chunkerKey } from '../../../../src/core/chunking/chunker-key';
import { CHUNKER_DEFAULTS, createChunker } from '../../../../src/core/chunking/chunker-registry';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { loadDocumentFromText } from '../../../../src/core/corpus/load-document-from-text';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';
import { demoDir, scifactDir, skipUnlessShared } from '../../../helpers/shared';
import { checkChunks } from './chunk-invariants';
import { fixtureDocs } from './fixture-docs';

/** The defaults of every chunker and small sizes that force splitting, overlap and fallbacks. */
const CONFIGS: ChunkerConfig[] = [
  ...Object.values(CHUNKER_DEFAULTS),
  { kind: 'fixed-chars', size: 120, overlap: 30 },
  { kind: 'fixed-chars', size: 7, overlap: 0 },
  { kind: 'recursive', size: 200, overlap: 40 },
  { kind: 'recursive', size: 30, overlap: 10 },
  { kind: 'markdown', maxSize: 300 },
  { kind: 'markdown', maxSize: 300, minSize: 80 },
  { kind: 'sentence-window', sentences: 1, overlap: 0 },
  { kind: 'sentence-window', sentences: 4, overlap: 2 },
  { kind: 'fixed-tokens', size: 40, overlap: 8 },
  { kind: 'fixed-tokens', size: 5, overlap: 0 },
  { kind: 'code', maxSize: 200 },
];

/** A second counter with other boundaries: fixed-tokens must stay exact whatever measures it. */
const charQuarterCounter: TokenCounter = { name: 'chars/4', count: (t) => Math.ceil(t.length / 4) };

function checkAll(docs: SourceDocument[], configs: ChunkerConfig[], counter: TokenCounter = approximateTokenCounter): number {
  let n = 0;
  for (const config of configs) {
    const chunker = createChunker(config, counter);
    for (const doc of docs) {
      const chunks = chunker.chunk(doc);
      checkChunks(doc, chunks, config, counter);
      n += chunks.length;
    }
  }
  return n;
}

describe('chunkers: invariants', () => {
  it('hold on the hand-made fixtures (md, CRLF, emoji, html, rst, adoc, code, abbreviations) for every chunker', async () => {
    const docs = await fixtureDocs();
    assert.ok(docs.length >= 14);
    assert.ok(checkAll(docs, CONFIGS) > docs.length * CONFIGS.length);
    checkAll(docs, CONFIGS.filter((c) => c.kind === 'fixed-tokens'), charQuarterCounter);
  });

  it('hold on the demo workspace for every chunker', async (t) => {
    const c = await loadFolderCorpus(demoDir);
    if (!c.documents.length) return t.skip(`no documents in ${demoDir}`);
    checkAll(c.documents, CONFIGS);
  });

  it('hold on a deterministic sample of 300 SciFact documents for every chunker', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const docs = (await loadBeirCorpus(scifactDir() as string)).documents;
    const step = Math.floor(docs.length / 300);
    const sample = docs.filter((_, i) => i % step === 0).slice(0, 300);
    assert.equal(sample.length, 300);
    checkAll(sample, CONFIGS);
  });

  it('hold on all 5,183 SciFact documents for the cheap chunkers', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const docs = (await loadBeirCorpus(scifactDir() as string)).documents;
    assert.equal(docs.length, 5183);
    checkAll(docs, [CHUNKER_DEFAULTS['fixed-chars'], CHUNKER_DEFAULTS.recursive, CHUNKER_DEFAULTS['whole-document'], { kind: 'recursive', size: 200, overlap: 50 }]);
  });
});

describe('chunkers: ids and keys', () => {
  it('ids are sha1(docId, key, start, end) cut to 16 hex: the same in every run, different per config and document', async () => {
    const doc = (await fixtureDocs()).find((d) => d.id === 'retries.md') as SourceDocument;
    const config: ChunkerConfig = { kind: 'recursive', size: 200, overlap: 40 };
    const chunks = createChunker(config).chunk(doc);
    for (const c of chunks) {
      const expected = crypto.createHash('sha1').update(`retries.md\u0000recursive:overlap=40,size=200\u0000${c.start}\u0000${c.end}`).digest('hex').slice(0, 16);
      assert.equal(c.id, expected);
      assert.equal(c.chunker, 'recursive:overlap=40,size=200');
    }
    assert.deepEqual(createChunker({ overlap: 40, size: 200, kind: 'recursive' }).chunk(doc).map((c) => c.id), chunks.map((c) => c.id));
    assert.equal(new Set(chunks.map((c) => c.id)).size, chunks.length);
    const other = createChunker({ kind: 'recursive', size: 201, overlap: 40 }).chunk(doc).map((c) => c.id);
    assert.equal(other.filter((id) => chunks.some((c) => c.id === id)).length, 0);
    const renamed = createChunker(config).chunk({ ...doc, id: 'moved.md' });
    assert.deepEqual(renamed.map((c) => [c.start, c.end]), chunks.map((c) => [c.start, c.end]));
    assert.ok(renamed.every((c, i) => c.id !== chunks[i].id));
  });

  it('keys are canonical and readable', () => {
    assert.equal(chunkerKey({ kind: 'recursive', size: 800, overlap: 100 }), 'recursive:overlap=100,size=800');
    assert.equal(chunkerKey({ kind: 'markdown', maxSize: 1500 }), 'markdown:maxSize=1500');
    assert.equal(chunkerKey({ kind: 'markdown', maxSize: 1500, minSize: undefined }), 'markdown:maxSize=1500');
    assert.equal(chunkerKey({ kind: 'whole-document' }), 'whole-document');
  });

  it('rejects invalid configs with a clear message', () => {
    assert.throws(() => createChunker({ kind: 'fixed-chars', size: 100, overlap: 100 }), /fixed-chars: overlap must be ≥ 0 and < size \(100\), got 100/);
    assert.throws(() => createChunker({ kind: 'recursive', size: 0, overlap: 0 }), /recursive: size must be a positive number, got 0/);
    assert.throws(() => createChunker({ kind: 'sentence-window', sentences: 2, overlap: 2 }), /overlap must be a whole number ≥ 0 and < sentences \(2\)/);
    assert.throws(() => createChunker({ kind: 'sentence-window', sentences: 2.5, overlap: 0 }), /sentences must be a whole number/);
    assert.throws(() => createChunker({ kind: 'markdown', maxSize: Number.NaN }), /maxSize must be a positive number/);
    assert.throws(() => createChunker({ kind: 'nope' } as unknown as ChunkerConfig), /unknown chunker "nope"/);
  });
});

describe('chunkers: behaviour', () => {
  const doc = (path: string, text: string) => loadDocumentFromText(path, text).doc;

  it('whole-document: one chunk of the body, front matter excluded; blank documents give none', () => {
    const d = doc('a.md', '---\ntitle: A\n---\n\n# A\n\nBody.\n\n');
    const [c, ...rest] = createChunker({ kind: 'whole-document' }).chunk(d);
    assert.equal(rest.length, 0);
    assert.deepEqual([c.text, c.start], ['# A\n\nBody.', d.bodyStart + 1]);
    assert.deepEqual(createChunker({ kind: 'whole-document' }).chunk(doc('b.txt', ' \n\t\n')), []);
  });

  it('fixed-chars: exact windows with overlap, skipping pure-whitespace windows', () => {
    const d = doc('a.txt', 'abcdefghij          klmnop');
    const chunks = createChunker({ kind: 'fixed-chars', size: 10, overlap: 2 }).chunk(d);
    // The window [8, 18) trims to 'ij', already inside the first chunk: dropped.
    assert.deepEqual(chunks.map((c) => c.text), ['abcdefghij', 'klmnop']);
    const emoji = doc('e.txt', 'ab😀cd😀ef');
    const cut = createChunker({ kind: 'fixed-chars', size: 3, overlap: 0 }).chunk(emoji);
    assert.deepEqual(cut.map((c) => c.text), ['ab', '😀c', 'd😀', 'ef']);
  });

  it('fixed-tokens: windows counted by the injected tokenizer, placed at word boundaries', () => {
    const d = doc('a.txt', 'one two three, four five six. seven eight nine ten');
    const words: TokenCounter = { name: 'words', count: (t) => (t.match(/\S+/g) ?? []).length };
    const chunks = createChunker({ kind: 'fixed-tokens', size: 4, overlap: 1 }, words).chunk(d);
    assert.deepEqual(chunks.map((c) => c.text), ['one two three, four', 'four five six. seven', 'seven eight nine ten']);
    assert.deepEqual(chunks.map((c) => c.tokens), [4, 4, 4]);
  });

  it('recursive: paragraphs first, then lines, sentences, words; pieces merged up to size with overlap', () => {
    const d = doc('a.txt', 'Para one is here.\n\nPara two. It has two sentences.\n\nPara three is rather longer than the others and must be split by words eventually.');
    const chunks = createChunker({ kind: 'recursive', size: 40, overlap: 0 }).chunk(d);
    assert.deepEqual(chunks.map((c) => c.text), [
      'Para one is here.',
      'Para two. It has two sentences.',
      'Para three is rather longer than the',
      'others and must be split by words',
      'eventually.',
    ]);
    const overlapped = createChunker({ kind: 'recursive', size: 40, overlap: 15 }).chunk(d);
    assert.ok(overlapped.some((c, i) => i > 0 && c.start < overlapped[i - 1].end), 'some chunks overlap');
  });

  it('markdown: one chunk per section with its heading path, front matter skipped, big sections split', () => {
    const d = doc('g.md', '---\ntitle: G\n---\n# Guide\n\nIntro text.\n\n## Tokens\n\nRotate tokens.\n\n```\n# not a heading\n```\n\n### Expiry\n\nThey expire.\n\n## Limits\n\n' + 'Limits apply per key. '.repeat(20));
    const chunks = createChunker({ kind: 'markdown', maxSize: 200 }).chunk(d);
    assert.deepEqual(chunks.map((c) => c.headingPath), [['Guide'], ['Guide', 'Tokens'], ['Guide', 'Tokens', 'Expiry'], ['Guide', 'Limits'], ['Guide', 'Limits'], ['Guide', 'Limits'], ['Guide', 'Limits']]);
    assert.equal(chunks[1].text, '## Tokens\n\nRotate tokens.\n\n```\n# not a heading\n```');
    assert.ok(chunks.every((c) => !c.text.includes('title: G')));
    const merged = createChunker({ kind: 'markdown', maxSize: 200, minSize: 40 }).chunk(d);
    assert.equal(merged[0].text, '# Guide\n\nIntro text.\n\n## Tokens\n\nRotate tokens.\n\n```\n# not a heading\n```');
  });

  it('sentence-window: N sentences stepping N - M, abbreviations kept inside sentences', () => {
    const d = doc('a.txt', 'Dr. Smith arrived at 3 p.m. today. He met Mr. Jones, e.g. about the U.S. plan. They left. Nobody stayed.');
    const one = createChunker({ kind: 'sentence-window', sentences: 1, overlap: 0 }).chunk(d).map((c) => c.text);
    assert.deepEqual(one, ['Dr. Smith arrived at 3 p.m. today.', 'He met Mr. Jones, e.g. about the U.S. plan.', 'They left.', 'Nobody stayed.']);
    const windows = createChunker({ kind: 'sentence-window', sentences: 2, overlap: 1 }).chunk(d).map((c) => c.text);
    assert.deepEqual(windows, [`${one[0]} ${one[1]}`, `${one[1]} ${one[2]}`, `${one[2]} ${one[3]}`]);
  });

  it('code: top-level declarations of each language, with their comments and decorators', async () => {
    const docs = await fixtureDocs();
    const firstLines = (id: string) => createChunker({ kind: 'code', maxSize: 1500 }).chunk(docs.find((d) => d.id === id) as SourceDocument).map((c) => c.text.split(/\r?\n/)[0]);
    assert.deepEqual(firstLines('server.ts'), ["import * as http from 'node:http';", '/** Starts the server. */', 'export class Registry {', 'export interface Options {']);
    assert.deepEqual(firstLines('lib.py'), ['import os', 'DOC = """', '@decorator', 'class C:', 'async def g():', 'if __name__ == "__main__":']);
    assert.deepEqual(firstLines('main.go'), ['package main', 'import (', '// Add adds.', 'type T struct {', 'func main() {']);
    assert.deepEqual(firstLines('lib.rs'), ['use std::fmt;', '/// A span.', "impl<'a> Span<'a> {", 'fn main() {']);
    assert.deepEqual(firstLines('App.java'), ['package demo;', '/** The app. */', 'class Helper {']);
    assert.deepEqual(firstLines('util.c'), ['#include <stdio.h>', '/* adds two numbers { */', 'int main(void) {']);
    // Other documents fall back to recursive splitting.
    const md = docs.find((d) => d.id === 'retries.md') as SourceDocument;
    assert.deepEqual(createChunker({ kind: 'code', maxSize: 300 }).chunk(md).map((c) => [c.start, c.end]), createChunker({ kind: 'recursive', size: 300, overlap: 0 }).chunk(md).map((c) => [c.start, c.end]));
  });
});
