import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { InputError } from '../../../../src/core/io/input-error';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { scifactDir, skipUnlessShared } from '../../../helpers/shared';

function beir(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-beir-'));
  fs.writeFileSync(path.join(dir, 'corpus.jsonl'), lines.join('\n'));
  return dir;
}

describe('loadBeirCorpus', () => {
  it('loads SciFact (gzip) with ids, titles and text', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const c = await loadBeirCorpus(scifactDir() as string);
    assert.equal(c.documents.length, 5183);
    const d = c.documents.find((x) => x.id === '4983');
    assert.ok(d?.title.startsWith('Microstructural development of human newborn'));
    assert.equal(d?.path, 'beir:4983');
  });

  it('names the file and line of malformed input', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['{"_id":"1","text":"a"}', '{not json'], /corpus\.jsonl:2: invalid JSON/],
      [['{"text":"a"}'], /corpus\.jsonl:1: missing "_id"/],
      [['{"_id":"1","text":"a"}', '{"_id":"1","text":"b"}'], /corpus\.jsonl:2: duplicate _id "1"/],
      [['{"_id":"1","text":3}'], /corpus\.jsonl:1: "text" of 1 is not a string/],
      [['["a"]'], /corpus\.jsonl:1: expected a JSON object/],
    ];
    for (const [lines, re] of cases) await assert.rejects(loadBeirCorpus(beir(lines)), re);
    await assert.rejects(loadBeirCorpus(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-empty-'))), /no corpus\.jsonl or corpus\.jsonl\.gz/);
  });
});

describe('loadBeirCorpus: gzip and edge cases', () => {
  const gz = (lines: string[]) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-beirgz-'));
    fs.writeFileSync(path.join(dir, 'corpus.jsonl.gz'), zlib.gzipSync(lines.join('\n') + '\n'));
    return dir;
  };

  it('streams corpus.jsonl.gz: ids, titles, text, numeric ids, blank lines skipped', async () => {
    const c = await loadBeirCorpus(gz(['{"_id":"a1","title":"Alpha","text":"First text."}', '', '{"_id":7,"text":"No title."}']));
    assert.deepEqual(c.documents.map((d) => [d.id, d.path, d.title, d.text, d.language, d.bodyStart]), [
      ['a1', 'beir:a1', 'Alpha', 'First text.', 'plaintext', 0],
      ['7', 'beir:7', '', 'No title.', 'plaintext', 0],
    ]);
    assert.equal(c.documents[0].contentHash.length, 64);
    assert.deepEqual(c.skipped, []);
  });

  it('names the file and line of a malformed line inside the gzip, as an InputError', async () => {
    const dir = gz(['{"_id":"1","text":"a"}', '{"_id":"2","text":"b"}', '{"_id":"3","text":"c"']);
    await assert.rejects(loadBeirCorpus(dir), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.file, path.join(dir, 'corpus.jsonl.gz'));
      assert.equal(e.line, 3);
      assert.match(e.message, /corpus\.jsonl\.gz:3: invalid JSON/);
      return true;
    });
  });

  it('a corrupt gzip is an InputError naming the file, not a crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-beirbad-'));
    fs.writeFileSync(path.join(dir, 'corpus.jsonl.gz'), Buffer.concat([zlib.gzipSync('{"_id":"1","text":"a"}\n').subarray(0, 12), Buffer.from('garbage')]));
    await assert.rejects(loadBeirCorpus(dir), (e: unknown) => e instanceof InputError && /corpus\.jsonl\.gz:1: cannot read/.test(e.message));
  });
});
