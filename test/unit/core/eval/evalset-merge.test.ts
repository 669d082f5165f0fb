import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { EvalSetFile } from '../../../../src/core/eval/evalset-file';
import { mergeEvalSets } from '../../../../src/core/eval/evalset-merge';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { makeSpanTarget } from '../../../../src/core/eval/span-anchor';
import { withFileLock } from '../../../../src/core/io/atomic-write';

const TEXT = 'Intro line.\nClients retry failed publishes with exponential backoff.\nThe retry budget caps retries per minute.\n';
const span = (s: number, e: number) => makeSpanTarget('a.md', TEXT, s, e);

function setup(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-merge-'));
  const file = path.join(dir, 'evalset.jsonl');
  fs.writeFileSync(file, content);
  return file;
}
const HAND = '# labels\n{"id": "q1",  "text": "how to retry", "split": "eval", "judgments": []}\n{"id":"q2","text":"budget","split":"train","judgments":[]}\n';

describe('eval set: two windows writing the same file', () => {
  it('each window keeps the other\'s judgments; untouched lines keep their bytes', () => {
    const file = setup(HAND);
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.addJudgment('q2', { grade: 2, target: span(12, 70) });
    assert.equal(a.save().merged, false);
    b.addJudgment('q2', { grade: 1, target: span(71, 110) });
    const r = b.save();
    assert.equal(r.merged, true);
    assert.deepEqual(r.conflicts, []);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], '# labels');
    assert.equal(lines[1], '{"id": "q1",  "text": "how to retry", "split": "eval", "judgments": []}', 'a query neither touched keeps its formatting');
    assert.deepEqual(EvalSetFile.load(file).get('q2')?.judgments.map((j) => j.grade), [2, 1]);
    // b's next save merges from what it wrote, not from its first read.
    b.addJudgment('q1', { grade: 3, target: span(12, 70) });
    assert.equal(b.save().merged, false);
    assert.deepEqual(EvalSetFile.load(file).get('q2')?.judgments.map((j) => j.grade), [2, 1]);
  });

  it('the same span graded differently in two windows is a conflict: reported, the disk\'s grade kept', () => {
    const file = setup(HAND);
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.addJudgment('q1', { grade: 3, target: span(12, 70) });
    a.save();
    const before = fs.readFileSync(file, 'utf8');
    b.addJudgment('q1', { grade: 0, target: span(12, 70) });
    const r = b.save();
    assert.equal(r.conflicts.length, 1);
    assert.equal(r.conflicts[0].queryId, 'q1');
    assert.equal((r.conflicts[0].ours as { grade: number }).grade, 0);
    assert.equal((r.conflicts[0].theirs as { grade: number }).grade, 3);
    assert.match(r.conflicts[0].message, /a\.md \[12, 70\): grade 0 here but grade 3 on disk/);
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'nothing else changed, so the file is not rewritten');
  });

  it('the same grade for the same span in both windows is no conflict', () => {
    const file = setup(HAND);
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.addJudgment('q1', { grade: 2, target: span(12, 70), createdAt: '2026-01-01T00:00:00.000Z' });
    a.save();
    b.addJudgment('q1', { grade: 2, target: span(12, 70), createdAt: '2026-01-02T00:00:00.000Z' });
    assert.deepEqual(b.save().conflicts, []);
    assert.equal(EvalSetFile.load(file).get('q1')?.judgments.length, 1);
  });

  it('a removal in one window against a regrade in the other keeps the judgment and reports it', () => {
    const file = setup(HAND);
    const seed = EvalSetFile.load(file);
    seed.addJudgment('q1', { grade: 1, target: span(12, 70) });
    seed.save();
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.addJudgment('q1', { grade: 3, target: span(12, 70) });
    a.save();
    b.removeJudgment('q1', 0);
    const r = b.save();
    assert.equal(r.conflicts.length, 1);
    assert.match(r.conflicts[0].message, /removed here but grade 3 on disk/);
    assert.deepEqual(EvalSetFile.load(file).get('q1')?.judgments.map((j) => j.grade), [3]);
  });

  it('two windows adding different queries under the same new id: both kept, the second renamed and told', () => {
    const file = setup(HAND);
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.upsert({ id: a.nextId(), text: 'first new', split: 'eval', judgments: [] });
    a.save();
    const id = b.nextId();
    assert.equal(id, 'q3');
    b.upsert({ id, text: 'second new', split: 'eval', judgments: [{ grade: 2, target: span(12, 70) }] });
    const r = b.save();
    assert.equal(r.renamed.get('q3'), 'q4');
    const all = EvalSetFile.load(file).all();
    assert.deepEqual(all.map((q) => [q.id, q.text]), [['q1', 'how to retry'], ['q2', 'budget'], ['q3', 'first new'], ['q4', 'second new']]);
    assert.equal(all[3].judgments.length, 1);
  });

  it('two windows adding the same query text make one query with both judgments', () => {
    const file = setup('');
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.upsert({ id: 'q1', text: 'retry', split: 'eval', judgments: [{ grade: 2, target: span(12, 70) }] });
    a.save();
    b.upsert({ id: 'q1', text: 'retry', split: 'eval', judgments: [{ grade: 1, target: span(71, 110) }] });
    b.save();
    const all = EvalSetFile.load(file).all();
    assert.equal(all.length, 1);
    assert.deepEqual(all[0].judgments.map((j) => j.grade), [2, 1]);
  });

  it('fields added later ("source", "frequency") and fields it does not know ("owner") are kept and merged like any other', () => {
    const file = setup('{"id":"q1","text":"t","split":"eval","source":"log","frequency":12,"owner":"search-team","judgments":[]}\n');
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.upsert({ ...(a.get('q1') as EvalQuery), frequency: 40 } as EvalQuery);
    a.save();
    b.addJudgment('q1', { grade: 2, target: span(12, 70) });
    b.save();
    const q = EvalSetFile.load(file).get('q1') as EvalQuery & { source: string; frequency: number; owner: string };
    assert.equal(q.source, 'log');
    assert.equal(q.owner, 'search-team');
    assert.equal(q.frequency, 40);
    assert.equal(q.judgments.length, 1);
  });

  it('a file broken on disk meanwhile is never overwritten: the error names its line', () => {
    const file = setup(HAND);
    const a = EvalSetFile.load(file);
    const broken = `${HAND}{"id": "q3", "text": \n`;
    fs.writeFileSync(file, broken);
    a.addJudgment('q1', { grade: 2, target: span(12, 70) });
    assert.throws(() => a.save(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: invalid JSON`));
    assert.equal(fs.readFileSync(file, 'utf8'), broken);
    assert.ok(!fs.existsSync(`${file}.lock`), 'the lock is released after a failed save');
  });

  it('CRLF files stay CRLF after a merge', () => {
    const file = setup(HAND.replace(/\n/g, '\r\n'));
    const a = EvalSetFile.load(file);
    const b = EvalSetFile.load(file);
    a.addJudgment('q1', { grade: 2, target: span(12, 70) });
    a.save();
    b.addJudgment('q2', { grade: 2, target: span(12, 70) });
    b.save();
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text.split('\r\n').length, 4);
    assert.ok(!/[^\r]\n/.test(text));
  });

  it('mergeEvalSets: a query deleted on disk but labeled here is kept and reported', () => {
    const base: EvalQuery[] = [{ id: 'q1', text: 't', split: 'eval', judgments: [] }];
    const ours: EvalQuery[] = [{ id: 'q1', text: 't', split: 'eval', judgments: [{ grade: 1, target: span(0, 5) }] }];
    const r = mergeEvalSets(base, ours, []);
    assert.equal(r.queries.length, 1);
    assert.match(r.conflicts[0].message, /deleted on disk but changed here/);
  });

  it('a lock left by a process that no longer exists is taken over; a live holder makes the writer wait, then give up naming it', () => {
    const file = setup('');
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), at: new Date().toISOString() }));
    assert.equal(withFileLock(file, () => 'ran'), 'ran');
    assert.ok(!fs.existsSync(`${file}.lock`));
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, host: os.hostname(), at: new Date().toISOString() }));
    assert.throws(() => withFileLock(file, () => 'ran', 200), new RegExp(`locked by process ${process.ppid}`));
    fs.rmSync(`${file}.lock`);
  });
});
