import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readinessLabelsNeeded, type AdapterGain } from '../../../src/core/adapt/readiness-gain';
import { labelsNeededRow, LatestReadiness } from '../../../src/extension/eval-set/labels-needed-row';

const gain = (over: Partial<AdapterGain> = {}): AdapterGain => ({
  measured: true, level: 'doc', trainPairs: 100, evalQueries: 20, baseline: 0.4, adapted: 0.431, delta: 0.031, ci95: [-0.01, 0.07], pValue: 0.12, sdDiff: 0.1,
  hybridDelta: null, hybridPValue: null, worsened: 3, improved: 8, trainEvalGap: 0.1, learningReading: '', usPerQuery: 500, multiplyAdds: 384 * 384, trainingSeconds: 2, ...over,
});
const at = '2026-12-06T18:00:00.000Z';

describe('the Eval Set view: labels needed', () => {
  it('asks for the readiness report, with its command, before there is one', () => {
    const row = labelsNeededRow(undefined);
    assert.equal(row.label, 'Labels needed: not estimated yet');
    assert.equal(row.command?.command, 'retrievalLens.showReadinessReport');
    assert.match(row.tooltip ?? '', /^Run the readiness report to estimate how many labels are enough/);
  });

  it('shows the eval queries still to label to detect +0.02, the method in the tooltip', () => {
    const row = labelsNeededRow({ labelsNeeded: readinessLabelsNeeded(gain()), createdAt: at });
    // ((1.959964 + 0.841621) · 0.1 / 0.02)² = 196.2 → 197 in all, 177 beyond the 20 at hand.
    assert.equal(row.label, 'Labels needed: about 177 more eval queries');
    assert.equal(row.description, 'to detect +0.02 nDCG@10');
    assert.ok(`${row.label} ${row.description}`.length <= 70, 'short enough for the side bar');
    assert.match(row.tooltip ?? '', /Eval queries to detect \+0\.020: about 197 eval queries \(20 now; label about 177 more\)\./);
    assert.match(row.tooltip ?? '', /Label about 62 more eval queries to tell whether the adapter's \+0\.031 is real/);
    assert.match(row.tooltip ?? '', /Method: paired test, normal approximation.*assumes the per-query differences are independent/);
    assert.match(row.tooltip ?? '', /From the readiness report of 2026-12-06T18:00:00\.000Z\.$/);
    assert.equal(labelsNeededRow({ labelsNeeded: readinessLabelsNeeded(gain({ evalQueries: 250 })), createdAt: at }).label, 'Labels needed: none more');
    const off = labelsNeededRow({ labelsNeeded: readinessLabelsNeeded(undefined, 'the adapter trial did not run: no embedding model'), createdAt: at });
    assert.equal(off.label, 'Labels needed: not estimated');
    assert.match(off.tooltip ?? '', /^Not estimated: the adapter trial did not run: no embedding model\./);
  });

  it('holds the latest report per folder and tells the view when one arrives', () => {
    const holder = new LatestReadiness();
    let fired = 0;
    const sub = holder.onDidChange(() => fired++);
    assert.equal(holder.get('/ws'), undefined);
    holder.record('/ws', { labelsNeeded: readinessLabelsNeeded(gain()), createdAt: at });
    assert.equal(fired, 1);
    assert.equal(holder.get('/ws')?.labelsNeeded.evalQueries[0].more, 177);
    assert.equal(holder.get('/other'), undefined);
    holder.record('/ws', { labelsNeeded: readinessLabelsNeeded(gain({ evalQueries: 250 })), createdAt: at });
    assert.equal(holder.get('/ws')?.labelsNeeded.evalQueries[0].more, 0, 'the latest report wins');
    sub.dispose();
    holder.record('/ws', { createdAt: at });
    assert.equal(fired, 2, 'no call after dispose');
    assert.equal(holder.get('/ws'), undefined);
  });
});
