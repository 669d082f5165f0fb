import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { queriesForPower, sampleSd } from '../../../src/core/eval/power';

describe('retrieval-lens compare: how many eval queries are enough', () => {
  it('prints the queries needed for +0.02 and for the measured gain, from the per-query differences of the two files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-needed-'));
    const a: Record<string, Record<string, number>> = {};
    const b: Record<string, Record<string, number>> = {};
    const diffs: number[] = [];
    for (let i = 0; i < 24; i++) {
      const x = 0.3 + 0.02 * (i % 5);
      const d = [0.12, -0.04, 0.08, 0.0, 0.1, -0.06][i % 6];
      a[`q${i}`] = { ndcg_cut_10: x };
      b[`q${i}`] = { ndcg_cut_10: x + d };
      diffs.push(x + d - x);
    }
    const mean = (o: Record<string, Record<string, number>>) => Object.values(o).reduce((s, v) => s + v.ndcg_cut_10, 0) / 24;
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ all: { ndcg_cut_10: mean(a) }, per_query: a }));
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ all: { ndcg_cut_10: mean(b) }, per_query: b }));
    const out: string[] = [];
    assert.equal(await runCli(['compare', path.join(dir, 'a.json'), path.join(dir, 'b.json')], { out: (t) => out.push(t), err: () => undefined }), 0);
    const sd = sampleSd(diffs);
    const measured = diffs.reduce((s, d) => s + d, 0) / diffs.length;
    const text = out.join('\n');
    assert.match(text, new RegExp(`to detect \\+0\\.020: about ${queriesForPower(sd, 0.02)} eval queries \\(24 now; label about ${queriesForPower(sd, 0.02) - 24} more\\)`));
    assert.match(text, new RegExp(`to detect the measured gain \\+${measured.toFixed(3)}: about ${queriesForPower(sd, measured)} eval queries`));
    assert.match(text, /paired test, normal approximation: n = \(\(z₀\.₉₇₅ \+ z₀\.₈\)·sd\/δ\)², sd [\d.]+ of 24 per-query differences, α 0\.05 two-sided, power 0\.8/);
  });
});
