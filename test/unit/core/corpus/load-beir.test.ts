import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
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
