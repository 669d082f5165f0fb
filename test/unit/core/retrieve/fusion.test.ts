import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reciprocalRankFusion } from '../../../../src/core/retrieve/reciprocal-rank-fusion';
import { weightedScoreFusion } from '../../../../src/core/retrieve/weighted-score-fusion';
import { topKOf, VectorIndex } from '../../../../src/core/store/vector-index';

const kw = [{ id: 'a', score: 10 }, { id: 'b', score: 6 }, { id: 'c', score: 2 }];
const dn = [{ id: 'c', score: 0.9 }, { id: 'a', score: 0.5 }, { id: 'd', score: 0.4 }];

describe('fusion', () => {
  it('RRF adds 1/(k+rank) per leg and explains each leg', () => {
    const f = reciprocalRankFusion(kw, dn, 60);
    const a = f.find((h) => h.id === 'a');
    assert.ok(a);
    assert.ok(Math.abs(a.score - (1 / 61 + 1 / 62)) < 1e-12);
    assert.deepEqual(a.keyword, { rank: 1, score: 10, contribution: 1 / 61 });
    assert.deepEqual(a.dense, { rank: 2, score: 0.5, contribution: 1 / 62 });
    assert.deepEqual(f.map((h) => h.id), ['a', 'c', 'b', 'd']);
    assert.deepEqual(f.find((h) => h.id === 'd')?.keyword, { rank: null, score: null, contribution: 0 });
  });

  it('weighted fusion with min-max: exact numbers, absent legs count as the floor', () => {
    const f = weightedScoreFusion(kw, dn, 0.2, 'min-max');
    const byId = Object.fromEntries(f.map((h) => [h.id, h]));
    // keyword min-max: a 1, b 0.5, c 0; dense: c 1, a 0.2, d 0.
    assert.ok(Math.abs(byId.a.score - (0.8 * 1 + 0.2 * 0.2)) < 1e-12);
    assert.ok(Math.abs(byId.b.score - 0.8 * 0.5) < 1e-12);
    assert.ok(Math.abs(byId.c.score - 0.2 * 1) < 1e-12);
    assert.equal(byId.d.score, 0);
    assert.equal(byId.b.dense.rank, null);
    assert.deepEqual(f.map((h) => h.id), ['a', 'b', 'c', 'd']);
  });

  it('weighted fusion with z-scores and weight bounds', () => {
    const f = weightedScoreFusion(kw, dn, 0.5, 'z-score');
    const a = f.find((h) => h.id === 'a');
    const mean = 6;
    const sd = Math.sqrt(((10 - 6) ** 2 + 0 + (2 - 6) ** 2) / 3);
    assert.ok(Math.abs((a?.keyword.normalized ?? 0) - (10 - mean) / sd) < 1e-12);
    assert.throws(() => weightedScoreFusion(kw, dn, 1.5, 'min-max'), /within \[0, 1\]/);
  });
});

describe('VectorIndex', () => {
  it('finds the exact top k by cosine, honours filters and removals', () => {
    const v = new VectorIndex(2, 1);
    const unit = (x: number, y: number) => { const n = Math.hypot(x, y); return new Float32Array([x / n, y / n]); };
    v.add('east', unit(1, 0));
    v.add('north', unit(0, 1));
    v.add('northeast', unit(1, 1));
    const q = unit(1, 0.1);
    assert.deepEqual(v.topK(q, 2).map((h) => h.id), ['east', 'northeast']);
    assert.deepEqual(v.topK(q, 2, (row) => v.idAt(row) !== 'east').map((h) => h.id), ['northeast', 'north']);
    v.remove('east');
    assert.deepEqual(v.topK(q, 3).map((h) => h.id), ['northeast', 'north']);
    const snap = v.snapshot();
    assert.deepEqual(VectorIndex.restore(2, snap.ids, snap.data).topK(q, 1).map((h) => h.id), ['northeast']);
    assert.deepEqual(topKOf(new Float32Array([0.1, 0.9, 0.5, 0.9]), 3), [1, 3, 2]);
  });
});
