import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { loadFolderCorpus, loadSingleFile, whyNotIndexed } from '../../../../src/core/corpus/load-folder';

describe('loadFolderCorpus', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-corpus-'));
    const w = (rel: string, data: string | Buffer) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), data);
    };
    w('guide.md', '---\ntitle: The Guide\nproduct: cloud\ntags: [a, b]\n---\n# Intro\n\nHello world.\n\n## Setup\n\nRun it.\n');
    w('bad-front.md', '---\ntitle: ok\nbroken: a: b\n---\n# Body\ntext\n');
    w('page.html', '<html><head><title>Page</title><script>var x=1</script></head><body><h1>Top</h1><p>Para &amp; more.</p></body></html>');
    w('notes.txt', 'plain text');
    w('src/app.ts', 'export function f() { return 1; }\n');
    w('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    w('binary.md', Buffer.from([0x68, 0x69, 0x00, 0x01]));
    w('latin1.txt', Buffer.from('line one\nline two caf\xe9\n', 'latin1'));
    w('huge.md', 'x'.repeat(3000));
    w('ignored/secret.md', '# secret');
    w('.gitignore', 'ignored/\n');
    w('sub/.gitignore', 'local.md\n');
    w('sub/local.md', '# local');
    w('sub/kept.md', '# kept');
    w('drafts/draft.md', '# draft');
    fs.symlinkSync(root, path.join(root, 'sub', 'loop'));
    fs.symlinkSync(path.join(root, 'nowhere.md'), path.join(root, 'broken.md'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('loads supported files with metadata and reports every skipped file with a reason', async () => {
    const c = await loadFolderCorpus(root, { exclude: ['drafts/**'], maxFileBytes: 2048 });
    const ids = c.documents.map((d) => d.id);
    assert.deepEqual(ids, ['bad-front.md', 'guide.md', 'notes.txt', 'page.html', 'src/app.ts', 'sub/kept.md']);
    const reason = (p: string) => c.skipped.find((s) => s.path === p)?.reason;
    assert.equal(reason('image.png'), 'unsupported-type');
    assert.equal(reason('binary.md'), 'binary');
    assert.equal(reason('latin1.txt'), 'invalid-utf8');
    assert.match(c.skipped.find((s) => s.path === 'latin1.txt')?.detail ?? '', /latin1\.txt:2: invalid UTF-8 at byte 21/);
    assert.equal(reason('huge.md'), 'too-large');
    assert.equal(reason('ignored/secret.md'), undefined, 'ignored folders are pruned silently');
    assert.equal(reason('sub/local.md'), 'gitignored', 'nested .gitignore applies');
    assert.equal(reason('drafts/draft.md'), undefined, 'excluded folders are pruned, not walked');
    assert.equal(reason('sub/loop'), 'symlink-loop');
    assert.equal(reason('broken.md'), 'unreadable');
    const bad = c.skipped.find((s) => s.path === 'bad-front.md');
    assert.equal(bad?.reason, 'parse-error');
    assert.match(bad?.detail ?? '', /^bad-front\.md:3: front matter ignored/);
  });

  it('parses front matter, headings and html text with exact offsets', async () => {
    const c = await loadFolderCorpus(root, { maxFileBytes: 2048 });
    const guide = c.documents.find((d) => d.id === 'guide.md');
    assert.ok(guide);
    assert.equal(guide.title, 'The Guide');
    assert.deepEqual(guide.frontMatter, { title: 'The Guide', product: 'cloud', tags: ['a', 'b'] });
    assert.equal(guide.text.slice(guide.bodyStart, guide.bodyStart + 7), '# Intro');
    assert.deepEqual(guide.headings.map((h) => [h.level, h.text, guide.text.slice(h.start, h.end)]), [[1, 'Intro', '# Intro'], [2, 'Setup', '## Setup']]);
    assert.equal(guide.contentHash.length, 64);
    const page = c.documents.find((d) => d.id === 'page.html');
    assert.equal(page?.text, 'Top\nPara & more.');
    assert.equal(page?.title, 'Page');
    assert.deepEqual(page?.headings, [{ level: 1, text: 'Top', start: 0, end: 3 }]);
    assert.equal(c.documents.find((d) => d.id === 'src/app.ts')?.language, 'typescript');
  });

  it('loads a single file for incremental updates and never throws for bad ones', async () => {
    const v = await loadSingleFile(root, 'guide.md');
    assert.ok('doc' in v && v.doc.id === 'guide.md');
    const missing = await loadSingleFile(root, 'gone.md');
    assert.ok('skipped' in missing && missing.skipped.reason === 'unreadable');
  });

  it('explains why a given file is not indexed', async () => {
    const opts = { exclude: ['drafts/**'], maxFileBytes: 2048 };
    assert.deepEqual(await whyNotIndexed(root, 'drafts/draft.md', opts), { path: 'drafts/draft.md', reason: 'excluded', detail: 'matches an exclude glob (drafts/**)' });
    assert.equal((await whyNotIndexed(root, 'ignored/secret.md', opts))?.reason, 'gitignored');
    assert.equal((await whyNotIndexed(root, 'sub/local.md', opts))?.detail, 'ignored by sub/.gitignore');
    assert.equal((await whyNotIndexed(root, 'image.png', opts))?.reason, 'unsupported-type');
    assert.equal((await whyNotIndexed(root, 'huge.md', opts))?.reason, 'too-large');
    assert.equal((await whyNotIndexed(root, 'gone.md', opts))?.reason, 'unreadable');
    assert.equal(await whyNotIndexed(root, 'guide.md', opts), undefined);
  });

  it('reports an unreadable root instead of throwing', async () => {
    const c = await loadFolderCorpus(path.join(root, 'does-not-exist'));
    assert.equal(c.documents.length, 0);
    assert.equal(c.skipped[0].reason, 'unreadable');
  });
});
