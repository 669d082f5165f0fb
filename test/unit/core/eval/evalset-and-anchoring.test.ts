import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { chunkQrels, documentQrels, spanOverlapsChunk } from '../../../../src/core/eval/chunk-relevance';
import { EvalSetFile } from '../../../../src/core/eval/evalset-file';
import { makeSpanTarget, reanchor } from '../../../../src/core/eval/span-anchor';
import { compareRuns } from '../../../../src/core/eval/significance';

const TEXT = 'Intro line.\nClients retry failed publishes with exponential backoff.\nThe retry budget caps retries per minute.\n';

describe('eval set file', () => {
  it('keeps the bytes of untouched lines, rewrites only changed queries and writes atomically', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-es-'));
    const file = path.join(dir, 'evalset.jsonl');
    const hand = '// my eval set\n{"id": "q1",  "text": "how to retry", "split": "eval", "judgments": []}\n\n{"id":"q2","text":"budget","split":"train","judgments":[]}\n';
    fs.writeFileSync(file, hand);
    const es = EvalSetFile.load(file);
    es.addJudgment('q2', { grade: 2, target: makeSpanTarget('a.md', TEXT, 12, 70) });
    es.upsert({ id: es.nextId(), text: 'new query', split: 'eval', judgments: [] });
    es.save();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], '// my eval set');
    assert.equal(lines[1], '{"id": "q1",  "text": "how to retry", "split": "eval", "judgments": []}', 'untouched query keeps its formatting');
    assert.equal(lines[2], '');
    assert.equal(JSON.parse(lines[3]).judgments[0].target.exact, TEXT.slice(12, 70));
    assert.equal(JSON.parse(lines[4]).id, 'q3');
    assert.deepEqual(fs.readdirSync(dir), ['evalset.jsonl'], 'no temp file left behind');
    const again = EvalSetFile.load(file);
    again.removeQuery('q1');
    again.save();
    assert.deepEqual(EvalSetFile.load(file).all().map((q) => q.id), ['q2', 'q3']);
  });
});

describe('span anchoring', () => {
  const target = makeSpanTarget('a.md', TEXT, 12, 70);
  it('keeps an unchanged span exact', () => {
    assert.deepEqual(reanchor(target, TEXT), { status: 'exact', start: 12, end: 70, similarity: 1 });
  });
  it('follows a span that moved', () => {
    const moved = '# New title\n\n' + TEXT;
    const a = reanchor(target, moved);
    assert.equal(a.status, 'moved');
    assert.equal(moved.slice(a.start, a.end), target.exact);
  });
  it('uses the context to pick between repeated quotes', () => {
    const t = makeSpanTarget('a.md', 'x retry y. z retry w.', 13, 18);
    const shifted = 'AAAA x retry y. z retry w.';
    assert.equal(reanchor(t, shifted).start, 18, 'the second retry, shifted by 5');
  });
  it('re-anchors an edited span fuzzily', () => {
    const edited = TEXT.replace('exponential backoff', 'exponential back-off');
    const a = reanchor(target, edited);
    assert.equal(a.status, 'fuzzy');
    assert.ok(edited.slice(a.start, a.end).startsWith('Clients retry'));
    assert.ok(a.similarity >= 0.8);
  });
  it('marks a span stale when its text is gone, keeping the old offsets', () => {
    assert.deepEqual(reanchor(target, 'Completely different content about billing and invoices only.'), { status: 'stale', start: 12, end: 70, similarity: 0 });
  });
});

describe('relevance derived from spans', () => {
  it('marks chunks holding at least half the span (or half covered by it) with the span grade', () => {
    assert.ok(spanOverlapsChunk({ start: 10, end: 20 }, { start: 0, end: 15 }));
    assert.ok(!spanOverlapsChunk({ start: 10, end: 20 }, { start: 19, end: 100 }));
    assert.ok(spanOverlapsChunk({ start: 0, end: 100 }, { start: 40, end: 60 }));
    const chunks = [{ id: 'c1', docId: 'a.md', start: 0, end: 12 }, { id: 'c2', docId: 'a.md', start: 12, end: 70 }, { id: 'c3', docId: 'a.md', start: 70, end: 113 }];
    const q = { id: 'q', text: 't', split: 'eval' as const, judgments: [{ grade: 2 as const, target: makeSpanTarget('a.md', TEXT, 12, 70) }, { grade: 1 as const, target: { type: 'document' as const, docId: 'b.md' } }] };
    assert.deepEqual([...(chunkQrels([q], () => chunks as never).get('q') ?? [])], [['c2', 2]]);
    assert.deepEqual([...(documentQrels([q]).get('q') ?? [])], [['a.md', 2], ['b.md', 1]]);
  });
});

describe('paired comparison', () => {
  it('gives p = 1 for identical runs and an exact p on a tiny case', () => {
    const a = { q1: { m: 0.5 }, q2: { m: 0.2 } };
    assert.equal(compareRuns(a, a, 'm').pValue, 1);
    const b = { q1: { m: 0.6 }, q2: { m: 0.4 }, q3: { m: 0.1 } };
    const c = compareRuns({ ...a, q3: { m: 0 } }, b, 'm');
    // Differences 0.1, 0.2, 0.1: of the 8 sign flips, only all-plus and all-minus reach |mean| >= 0.1333.
    assert.equal(c.pValue, 2 / 8);
    assert.equal(c.wins.length, 3);
    assert.deepEqual(c.wins.map((w) => w.qid), ['q2', 'q3', 'q1'], 'largest gain first (0.6 - 0.5 is just under 0.1 in floating point)');
    assert.ok(c.ci95[0] <= c.meanDiff && c.meanDiff <= c.ci95[1]);
  });
});
