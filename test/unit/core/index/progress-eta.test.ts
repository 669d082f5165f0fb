import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatStageProgress, ProgressEta } from '../../../../src/core/index/progress-eta';

describe('indexing progress: stage, done/total and time left', () => {
  it('estimates the time left from the stage\'s own pace, and only once it has half a second of it', () => {
    let t = 0;
    const eta = new ProgressEta(() => t);
    assert.deepEqual(eta.update('embed', 0, 1000), { stage: 'embed', done: 0, total: 1000 });
    t = 300;
    assert.equal(eta.update('embed', 30, 1000).etaMs, undefined, 'too early to guess');
    t = 1000;
    assert.equal(eta.update('embed', 100, 1000).etaMs, 9000, '100 per second, 900 to go');
    t = 3000;
    assert.equal(eta.update('embed', 500, 1000).etaMs, 3000, 'the pace over the whole stage: 500 in 3 s');
    t = 6000;
    assert.equal(eta.update('embed', 1000, 1000).etaMs, 0);
  });

  it('starts over at a new stage (its pace is its own)', () => {
    let t = 0;
    const eta = new ProgressEta(() => t);
    eta.update('chunk', 0, 10);
    t = 5000;
    eta.update('chunk', 10, 10);
    assert.equal(eta.update('embed', 0, 2000).etaMs, undefined);
    t = 7000;
    assert.equal(eta.update('embed', 400, 2000).etaMs, 8000);
  });

  it('formats durations and lines as a person reads them', () => {
    assert.equal(formatDuration(400), '<1 s');
    assert.equal(formatDuration(42_400), '42 s');
    assert.equal(formatDuration(185_000), '3 min 05 s');
    assert.equal(formatDuration(3_720_000), '1 h 02 min');
    assert.equal(formatStageProgress({ stage: 'embed', done: 420, total: 2032, etaMs: 72_000 }), 'embedding 420/2,032 chunks · about 1 min 12 s left');
    assert.equal(formatStageProgress({ stage: 'chunk', done: 0, total: 966 }), 'chunking 0/966 files');
    assert.equal(formatStageProgress({ stage: 'embed', done: 2032, total: 2032, etaMs: 0 }), 'embedding 2,032/2,032 chunks');
    assert.equal(formatStageProgress({ stage: 'save', done: 0, total: 1 }), 'saving 0/1 parts');
  });
});
