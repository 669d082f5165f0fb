import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeCorpusFs, type CorpusFs } from '../../../../src/core/corpus/corpus-fs';
import type { Corpus } from '../../../../src/core/corpus/document';
import { loadFolderCorpus, loadSingleFile } from '../../../../src/core/corpus/load-folder';
import { repoRoot } from '../../../helpers/shared';

function tempTree(files: Record<string, string | Buffer>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bad-'));
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  }
  return root;
}

const skip = (c: Corpus, p: string) => c.skipped.find((s) => s.path === p);
const ids = (c: Corpus) => c.documents.map((d) => d.id);

describe('folder loading: bad input is skipped with a reason, never thrown', () => {
  const roots: string[] = [];
  const tree = (files: Record<string, string | Buffer>) => {
    const r = tempTree(files);
    roots.push(r);
    return r;
  };
  after(() => {
    for (const r of roots) {
      fs.chmodSync(r, 0o755);
      fs.rmSync(r, { recursive: true, force: true });
    }
  });

  it('binary: a NUL byte, or a high share of control characters; ANSI-coloured text still loads', async () => {
    const control = Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 0x01 + (i % 7) : 0x61)));
    const root = tree({
      'nul.md': Buffer.concat([Buffer.from('# looks like text\n'), Buffer.from([0x00, 0x10])]),
      'control.txt': control,
      'ansi.txt': '\u001b[31merror\u001b[0m: disk full\n\u001b[32mok\u001b[0m\n',
    });
    const c = await loadFolderCorpus(root);
    assert.equal(skip(c, 'nul.md')?.reason, 'binary');
    assert.equal(skip(c, 'nul.md')?.detail, 'NUL byte at offset 18');
    assert.equal(skip(c, 'control.txt')?.reason, 'binary');
    assert.match(skip(c, 'control.txt')?.detail ?? '', /^100 of the first 400 bytes are control characters \(25%\)$/);
    assert.deepEqual(ids(c), ['ansi.txt']);
  });

  it('invalid UTF-8 names the line and byte; a UTF-8 BOM is not part of the text', async () => {
    const root = tree({
      'latin1.md': Buffer.from('# Caf\xe9 menu\n\nsecond line\n', 'latin1'),
      'late.txt': Buffer.concat([Buffer.from('ok\nok\nok '), Buffer.from([0xe2, 0x28, 0xa1])]),
      'truncated.txt': Buffer.concat([Buffer.from('fine '), Buffer.from([0xf0, 0x9f, 0x98])]),
      'bom.md': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# Title\n')]),
    });
    const c = await loadFolderCorpus(root);
    assert.deepEqual(skip(c, 'latin1.md'), { path: 'latin1.md', reason: 'invalid-utf8', detail: 'latin1.md:1: invalid UTF-8 at byte 5' });
    assert.equal(skip(c, 'late.txt')?.detail, 'late.txt:3: invalid UTF-8 at byte 9');
    assert.equal(skip(c, 'truncated.txt')?.detail, 'truncated.txt:1: invalid UTF-8 at byte 5');
    const bom = c.documents.find((d) => d.id === 'bom.md');
    assert.equal(bom?.text, '# Title\n');
    assert.deepEqual(bom?.headings.map((h) => [h.start, h.end]), [[0, 7]]);
  });

  it('files over the size limit, with the default of 2 MiB', async () => {
    const root = tree({ 'big.txt': 'a'.repeat(2 * 1024 * 1024 + 1), 'limit.txt': 'b'.repeat(2 * 1024 * 1024), 'small.md': 'x'.repeat(101) });
    const c = await loadFolderCorpus(root);
    assert.deepEqual(skip(c, 'big.txt'), { path: 'big.txt', reason: 'too-large', detail: '2,097,153 bytes exceeds the 2,097,152-byte limit' });
    assert.deepEqual(ids(c), ['limit.txt', 'small.md']);
    const tight = await loadFolderCorpus(root, { maxFileBytes: 100 });
    assert.equal(skip(tight, 'small.md')?.detail, '101 bytes exceeds the 100-byte limit');
  });

  it('unreadable files and folders (injected EACCES and EIO): reported, the rest still loads', async () => {
    const root = tree({ 'a.md': '# A', 'locked.md': '# L', 'sub/b.md': '# B', 'sealed/c.md': '# C' });
    const denied = (syscall: string, p: string) => Object.assign(new Error(`EACCES: permission denied, ${syscall} '${p}'`), { code: 'EACCES' });
    const failing: CorpusFs = {
      ...nodeCorpusFs,
      readFile: async (f) => {
        if (f.endsWith('locked.md')) throw denied('open', f);
        if (f.endsWith('b.md')) throw Object.assign(new Error(`EIO: i/o error, read`), { code: 'EIO' });
        return nodeCorpusFs.readFile(f);
      },
      readdir: async (d) => {
        if (d.endsWith('sealed')) throw denied('scandir', d);
        return nodeCorpusFs.readdir(d);
      },
    };
    const c = await loadFolderCorpus(root, { fs: failing });
    assert.deepEqual(ids(c), ['a.md']);
    assert.equal(skip(c, 'locked.md')?.reason, 'unreadable');
    assert.match(skip(c, 'locked.md')?.detail ?? '', /^EACCES: permission denied, open '.*locked\.md'$/);
    assert.match(skip(c, 'sub/b.md')?.detail ?? '', /^EIO/);
    assert.deepEqual(skip(c, 'sealed'), { path: 'sealed', reason: 'unreadable', detail: `cannot list folder: EACCES: permission denied, scandir '${path.join(root, 'sealed')}'` });
    const single = await loadSingleFile(root, 'locked.md', undefined, failing);
    assert.ok('skipped' in single && single.skipped.reason === 'unreadable');
  });

  it('a chmod 000 file and folder are unreadable for real (run as an unprivileged user when the tests run as root)', async (t) => {
    const root = tree({ 'open.md': '# Open', 'secret.md': '# Secret', 'closed/inner.md': '# Inner' });
    fs.chmodSync(root, 0o755);
    fs.chmodSync(path.join(root, 'secret.md'), 0o000);
    fs.chmodSync(path.join(root, 'closed'), 0o000);
    let corpus: Corpus;
    if (process.getuid?.() !== 0) {
      corpus = await loadFolderCorpus(root);
    } else {
      // Root reads any file whatever its mode, so the loader runs in a child process as `nobody`.
      const script = path.join(root, 'probe.ts');
      fs.writeFileSync(script, `import { loadFolderCorpus } from ${JSON.stringify(path.join(repoRoot, 'src/core/corpus/load-folder'))};\nloadFolderCorpus(${JSON.stringify(root)}).then((c) => process.stdout.write(JSON.stringify(c)));\n`);
      fs.chmodSync(script, 0o644);
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { uid: 65534, gid: 65534, cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0 || !r.stdout.startsWith('{')) {
        t.skip(`cannot run the loader as uid 65534 here (exit ${r.status}): ${(r.stderr || String(r.error)).split('\n')[0]}`);
        return;
      }
      corpus = JSON.parse(r.stdout) as Corpus;
    }
    assert.deepEqual(ids(corpus), ['open.md', ...(process.getuid?.() === 0 ? ['probe.ts'] : [])]);
    assert.equal(skip(corpus, 'secret.md')?.reason, 'unreadable');
    assert.match(skip(corpus, 'secret.md')?.detail ?? '', /EACCES/);
    assert.equal(skip(corpus, 'closed')?.reason, 'unreadable');
    assert.match(skip(corpus, 'closed')?.detail ?? '', /^cannot list folder: EACCES/);
  });

  it('symbolic-link loops, direct and through two folders, are reported once each and walked no further', async () => {
    const root = tree({ 'x/a.md': '# A', 'y/b.md': '# B' });
    fs.symlinkSync(root, path.join(root, 'x', 'to-root'));
    fs.symlinkSync(path.join(root, 'y'), path.join(root, 'x', 'to-y'));
    fs.symlinkSync(path.join(root, 'x'), path.join(root, 'y', 'to-x'));
    const c = await loadFolderCorpus(root);
    assert.equal(skip(c, 'x/to-root')?.reason, 'symlink-loop');
    assert.equal(skip(c, 'x/to-root')?.detail, 'links back to .');
    assert.equal(skip(c, 'x/to-y/to-x')?.detail, 'links back to x');
    assert.equal(skip(c, 'y/to-x/to-y')?.detail, 'links back to y');
    // Without a loop a linked folder is read through its link too.
    assert.deepEqual(ids(c), ['x/a.md', 'x/to-y/b.md', 'y/b.md', 'y/to-x/a.md']);
  });

  it('gitignored files (root and nested .gitignore, negation, folder patterns) and excluded globs', async () => {
    const root = tree({
      '.gitignore': '*.log.md\nbuild/\n',
      'keep.md': '# keep',
      'trace.log.md': '# log',
      'build/gen.md': '# generated',
      'docs/.gitignore': 'private*\n!private-ok.md\n',
      'docs/private-notes.md': '# private',
      'docs/private-ok.md': '# ok',
      'docs/public.md': '# public',
      'docs/drafts/wip.md': '# wip',
      'notes.txt': 'text',
      'node_modules/pkg/readme.md': '# dependency',
      'dist/out.md': '# built',
    });
    const c = await loadFolderCorpus(root, { exclude: ['**/*.txt', 'docs/drafts/**'] });
    assert.deepEqual(ids(c), ['docs/private-ok.md', 'docs/public.md', 'keep.md']);
    assert.deepEqual(skip(c, 'trace.log.md'), { path: 'trace.log.md', reason: 'gitignored', detail: 'ignored by .gitignore' });
    assert.equal(skip(c, 'docs/private-notes.md')?.reason, 'gitignored');
    assert.deepEqual(skip(c, 'notes.txt'), { path: 'notes.txt', reason: 'excluded', detail: 'matches an exclude glob' });
    // Ignored and excluded folders are pruned without listing each file inside them.
    for (const p of ['build/gen.md', 'docs/drafts/wip.md', 'node_modules/pkg/readme.md', 'dist/out.md']) assert.equal(skip(c, p), undefined, p);
    const all = await loadFolderCorpus(root, { respectGitignore: false, include: ['**/*.md'] });
    assert.deepEqual(ids(all), ['build/gen.md', 'docs/drafts/wip.md', 'docs/private-notes.md', 'docs/private-ok.md', 'docs/public.md', 'keep.md', 'trace.log.md']);
  });

  it('bad YAML front matter: the document still loads with empty front matter, the error names the line', async () => {
    const root = tree({
      'bad.md': '---\ntitle: Fine\ntags: [a, b\nowner: me\n---\n# Body\n\nText.\n',
      'scalar.md': '---\njust a string\n---\n# S\n',
      'quote.md': '---\na: 1\nb: 2\nc: "unterminated\nd: 4\n---\nBody\n',
      'unclosed.md': '---\ntitle: never closed\n# Heading\n',
    });
    const c = await loadFolderCorpus(root);
    const bad = c.documents.find((d) => d.id === 'bad.md');
    assert.ok(bad);
    assert.deepEqual(bad.frontMatter, {});
    assert.equal(bad.text.slice(bad.bodyStart, bad.bodyStart + 6), '# Body');
    assert.equal(bad.title, 'Body');
    const warn = skip(c, 'bad.md');
    assert.equal(warn?.reason, 'parse-error');
    // yaml notices the unclosed [ on the next line.
    assert.equal(warn?.detail, 'bad.md:4: front matter ignored: Flow sequence in block collection must be sufficiently indented and end with a ]');
    assert.equal(skip(c, 'quote.md')?.detail, 'quote.md:4: front matter ignored: Missing closing "quote');
    assert.equal(skip(c, 'scalar.md')?.detail, 'scalar.md:2: front matter ignored: front matter is not a mapping of fields');
    // No closing --- means no front matter at all: the whole file is body.
    const unclosed = c.documents.find((d) => d.id === 'unclosed.md');
    assert.equal(unclosed?.bodyStart, 0);
    assert.equal(skip(c, 'unclosed.md'), undefined);
  });

  it('returns documents and skipped files sorted by path whatever the listing order', async () => {
    const root = tree({ 'b.md': '# b', 'a/z.md': '# az', 'a.md': '# a', 'A.md': '# A', 'a.png': 'png' });
    const shuffled: CorpusFs = { ...nodeCorpusFs, readdir: async (d) => (await nodeCorpusFs.readdir(d)).reverse() };
    const c = await loadFolderCorpus(root, { fs: shuffled });
    assert.deepEqual(ids(c), ['A.md', 'a.md', 'a/z.md', 'b.md']);
    assert.deepEqual(ids(await loadFolderCorpus(root)), ids(c));
  });
});

describe('folder loading: file types', () => {
  let root: string;
  before(() => {
    root = tempTree({
      'page.htm': '<!doctype html><html><head><title>T</title><style>h1{color:red}</style></head><body><h2>Two &amp; more</h2><script>alert("x")</script><p>Text <b>bold</b>.</p><h6>Six</h6></body></html>',
      'guide.rst': 'Guide\n=====\n\nIntro.\n\nPart\n----\n\nBody.\n',
      'book.adoc': '= Book\n\n== Chapter\n\n----\n== not a heading\n----\n',
      'c.mdx': '---\ntitle: X\n---\n# MDX\n',
      'main.go': 'package main\n',
      'lib.rs': 'fn main() {}\n',
      'App.java': 'class App {}\n',
      'script.py': 'print(1)\n',
      'README': 'no extension',
    });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('maps extensions to VS Code language ids and extracts headings per format', async () => {
    const c = await loadFolderCorpus(root);
    const lang = Object.fromEntries(c.documents.map((d) => [d.id, d.language]));
    assert.deepEqual(lang, { 'App.java': 'java', 'book.adoc': 'asciidoc', 'c.mdx': 'mdx', 'guide.rst': 'restructuredtext', 'lib.rs': 'rust', 'main.go': 'go', 'page.htm': 'html', 'script.py': 'python' });
    assert.deepEqual(skip(c, 'README'), { path: 'README', reason: 'unsupported-type', detail: 'no text extractor for files without an extension' });
    const html = c.documents.find((d) => d.id === 'page.htm');
    assert.ok(html);
    assert.equal(html.text, 'Two & more\nText bold.\nSix');
    assert.deepEqual(html.headings.map((h) => [h.level, h.text, html.text.slice(h.start, h.end)]), [[2, 'Two & more', 'Two & more'], [6, 'Six', 'Six']]);
    const rst = c.documents.find((d) => d.id === 'guide.rst');
    assert.deepEqual(rst?.headings.map((h) => [h.level, h.text]), [[1, 'Guide'], [2, 'Part']]);
    const adoc = c.documents.find((d) => d.id === 'book.adoc');
    assert.deepEqual(adoc?.headings.map((h) => [h.level, h.text]), [[1, 'Book'], [2, 'Chapter']]);
    assert.equal(adoc?.title, 'Book');
    assert.equal(c.documents.find((d) => d.id === 'c.mdx')?.frontMatter.title, 'X');
  });
});
