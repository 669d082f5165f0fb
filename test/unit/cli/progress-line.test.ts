import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliIO } from '../../../src/cli/cli-context';
import { progressLine } from '../../../src/cli/progress-line';

describe('CLI progress on stderr', () => {
  it('rewrites one line on a terminal, at most every 100 ms unless the stage changes, cut to its width', () => {
    const raw: string[] = [];
    const lines: string[] = [];
    const io: CliIO = { out: () => undefined, err: (t) => lines.push(t), tty: { write: (s) => raw.push(s), columns: 30 } };
    let t = 0;
    const line = progressLine(io, () => t);
    line.update('index: embedding 1/100 chunks', 'embed 0');
    t = 50;
    line.update('index: embedding 2/100 chunks', 'embed 0'); // within 100 ms: skipped
    t = 60;
    line.update('index: saving 0/1 parts', 'save 0'); // a new key: shown at once
    t = 200;
    line.update('index: saving 1/1 parts and a long tail past the width', 'save 100');
    line.done('index: done');
    assert.deepEqual(raw, ['\rindex: embedding 1/100 chunks\x1b[K', '\rindex: saving 0/1 parts\x1b[K', '\rindex: saving 1/1 parts and a\x1b[K', '\rindex: done\x1b[K\n']);
    assert.deepEqual(lines, [], 'nothing as separate lines on a terminal');
  });

  it('prints plain lines, one per key (stage and 10 % step), when stderr is not a terminal', () => {
    const lines: string[] = [];
    const line = progressLine({ out: () => undefined, err: (t) => lines.push(t) });
    for (let i = 0; i <= 100; i++) line.update(`index: embedding ${i}/100 chunks`, `embed ${Math.floor(i / 10) * 10}`);
    line.done();
    assert.equal(lines.length, 11);
    assert.equal(lines[0], 'index: embedding 0/100 chunks');
    assert.equal(lines[10], 'index: embedding 100/100 chunks');
    assert.ok(lines.every((l) => !l.includes('\r') && !l.includes('\x1b')), 'no control characters in a log');
  });
});
