import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readBeirQrels, readBeirQueries } from '../../../../src/core/eval/beir-io';
import { EvalSetFile } from '../../../../src/core/eval/evalset-file';
import { readTrecQrels, readTrecRun } from '../../../../src/core/eval/trec-io';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bad-'));
let n = 0;
function file(name: string, text: string): string {
  const f = path.join(dir, `${n++}-${name}`);
  fs.writeFileSync(f, text);
  return f;
}
const span = { type: 'span', docId: 'a.md', start: 0, end: 5, exact: 'Hello', prefix: '', suffix: ' world' };
const q = (over: object) => JSON.stringify({ id: 'q1', text: 'hello', split: 'eval', judgments: [{ grade: 2, target: span }], ...over });

/** Each case: the exact message, naming the file and line. */
const CASES: Array<{ name: string; read: (f: string) => unknown; text: string; error: (f: string) => string }> = [
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: `${q({})}\n{oops`, error: (f) => `${f}:2: invalid JSON: Expected property name or '}' in JSON at position 1` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: '[1, 2]', error: (f) => `${f}:1: expected a JSON object with id, text, split and judgments` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ id: '' }), error: (f) => `${f}:1: "id" must be a non-empty string` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ text: '  ' }), error: (f) => `${f}:1: query q1: "text" must be a non-empty string` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ split: 'test' }), error: (f) => `${f}:1: query q1: "split" must be "train" or "eval", got "test"` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: `// comment\n${q({})}\n\n${q({})}`, error: (f) => `${f}:4: duplicate query id "q1" (first on line 2)` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ judgments: {} }), error: (f) => `${f}:1: query q1: "judgments" must be an array` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ judgments: [{ grade: 5, target: span }] }), error: (f) => `${f}:1: query q1, judgment 1: "grade" must be 0, 1, 2 or 3, got 5` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ judgments: [{ grade: 1 }] }), error: (f) => `${f}:1: query q1, judgment 1: missing "target"` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ judgments: [{ grade: 1, target: { ...span, start: 9, end: 3 } }] }), error: (f) => `${f}:1: query q1, judgment 1: span start/end must be integers with 0 <= start < end` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ judgments: [{ grade: 1, target: { type: 'chunk', docId: 'a.md' } }] }), error: (f) => `${f}:1: query q1, judgment 1: target.type must be "span" or "document", got "chunk"` },
  { name: 'evalset.jsonl', read: (f) => EvalSetFile.load(f), text: q({ filter: 'cloud' }), error: (f) => `${f}:1: query q1: "filter" must be an object` },
  { name: 'qrels.trec', read: readTrecQrels, text: '1 0 d1 1\n1 0 d2\n', error: (f) => `${f}:2: expected 4 fields "qid iter docno grade", got 3` },
  { name: 'qrels.trec', read: readTrecQrels, text: '1 0 d1 high\n', error: (f) => `${f}:1: grade "high" is not an integer` },
  { name: 'qrels.trec', read: readTrecQrels, text: '1 0 d1 1\n1 0 d1 2\n', error: (f) => `${f}:2: document d1 judged twice for query 1` },
  { name: 'run.trec', read: readTrecRun, text: '1 Q0 d1 1 2.5 tag\n1 Q0 d1 2 2.0 tag\n', error: (f) => `${f}:2: document d1 appears twice for query 1` },
  { name: 'run.trec', read: readTrecRun, text: '1 Q0 d1 1 abc tag\n', error: (f) => `${f}:1: score "abc" is not a number` },
  { name: 'run.trec', read: readTrecRun, text: '1 Q0 d1 1\n', error: (f) => `${f}:1: expected 6 fields "qid Q0 docno rank score tag", got 4` },
  { name: 'qrels.tsv', read: readBeirQrels, text: 'qid\tdoc\tscore\n', error: (f) => `${f}:1: expected the header "query-id<TAB>corpus-id<TAB>score"` },
  { name: 'qrels.tsv', read: readBeirQrels, text: 'query-id\tcorpus-id\tscore\n1\t2\n', error: (f) => `${f}:2: expected 3 tab-separated fields, got 2` },
  { name: 'qrels.tsv', read: readBeirQrels, text: 'query-id\tcorpus-id\tscore\n1\t2\tyes\n', error: (f) => `${f}:2: score "yes" is not an integer` },
  { name: 'queries.jsonl', read: readBeirQueries, text: '{"_id":"1","text":"a"}\n{"_id":"1","text":"b"}\n', error: (f) => `${f}:2: duplicate query _id "1"` },
  { name: 'queries.jsonl', read: readBeirQueries, text: '{"_id":"1"}\n', error: (f) => `${f}:1: "text" of query 1 is not a string` },
];

describe('malformed input is reported with the exact file, line and problem', () => {
  it(`has at least 15 cases (${CASES.length})`, () => assert.ok(CASES.length >= 15));
  for (const c of CASES) {
    it(`${c.name}: ${c.error('F').slice(2)}`, async () => {
      const f = file(c.name, c.text);
      await assert.rejects(async () => c.read(f), (e: Error) => {
        assert.equal(e.message, c.error(f));
        return true;
      });
    });
  }
  it('a missing file is reported, not thrown as a crash', () => {
    assert.throws(() => readTrecRun(path.join(dir, 'nope.trec')), /nope\.trec: cannot read: ENOENT/);
  });
});
