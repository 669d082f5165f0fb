import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FILTER_OPTIONS, FLAG_GROUPS, RETRIEVAL_OPTIONS } from '../../../src/cli/commands/retrieval-args';
import { runCli } from '../../../src/cli/main';
import { nearestFlag } from '../../../src/cli/parse-command';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out: () => out.join('\n'), err: () => err.join('\n') };
}

const COMMANDS = ['eval', 'search', 'sweep-fusion', 'compare', 'export', 'label', 'import-queries', 'import-traces', 'trace-failures', 'import-judgments', 'pool', 'judge', 'trial-finetune', 'diagnose', 'export-training', 'compare-models'];

describe('retrieval-lens --help and <command> --help', () => {
  it('--help lists every command with one line each', async () => {
    const r = io();
    assert.equal(await runCli(['--help'], r.io), 0);
    const lines = r.out().split('\n');
    for (const c of COMMANDS) {
      const line = lines.filter((l) => l.trimStart().startsWith(`${c} `));
      assert.equal(line.length, 1, `one line for ${c}`);
      assert.ok(line[0].length <= 120, `${c}'s line fits a terminal: ${line[0]}`);
    }
  });

  it("<command> --help shows the command's own flags and each shared group once, spelled out", async () => {
    const r = io();
    assert.equal(await runCli(['eval', '--help'], r.io), 0);
    const text = r.out();
    assert.match(text, /--retriever bm25\|dense\|hybrid\|rerank\|NAME/);
    for (const g of ['settings flags:', 'index flags:', 'fusion flags:']) assert.equal(text.split(g).length - 1, 1, `${g} once`);
    assert.match(text, /--trust-workspace/);
    assert.match(text, /--dense-weight W/);
    assert.ok(!text.includes('filter flags:'), 'eval takes no filter flags');
    const s = io();
    assert.equal(await runCli(['search', '-h'], s.io), 0);
    assert.match(s.out(), /filter flags:\n {2}--path GLOB/);
    const e = io();
    assert.equal(await runCli(['export', '--help'], e.io), 0);
    assert.ok(!/flags:/.test(e.out()), 'export has no shared groups');
    for (const c of COMMANDS) {
      const h = io();
      assert.equal(await runCli([c, '--help'], h.io), 0, c);
      assert.ok(h.out().split('\n').every((l) => l.length <= 200), `${c}: no line repeats twenty flags`);
    }
  });

  it('every flag the groups name is a flag the commands take, and every shared flag is named in a group', () => {
    const groupText = FLAG_GROUPS.flatMap((g) => g.lines).join('\n');
    const named = new Set([...groupText.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]));
    const shared = [...Object.keys(RETRIEVAL_OPTIONS), ...Object.keys(FILTER_OPTIONS)];
    assert.deepEqual([...named].filter((f) => !shared.includes(f)), []);
    assert.deepEqual(shared.filter((f) => !named.has(f)), []);
  });

  it('an unknown flag is refused with exit 2 and the nearest valid one; an unknown command likewise', async () => {
    const r = io();
    assert.equal(await runCli(['eval', '/nonexistent', '--retriver', 'bm25'], r.io), 2);
    assert.match(r.err(), /^error: unknown flag --retriver; did you mean --retriever\?/);
    const f = io();
    assert.equal(await runCli(['search', '/nonexistent', 'q', '--fronmatter', 'a=b'], f.io), 2);
    assert.match(f.err(), /did you mean --front-matter\?/);
    const far = io();
    assert.equal(await runCli(['export', '/nonexistent', '--zzzzzzzz'], far.io), 2);
    assert.match(far.err(), /^error: unknown flag --zzzzzzzz\n/);
    const c = io();
    assert.equal(await runCli(['evl', 'x'], c.io), 2);
    assert.match(c.err(), /unknown command "evl"; did you mean eval\?/);
  });

  it('nearestFlag: within a third of the name (at least 2 edits), else none', () => {
    assert.equal(nearestFlag('modle', ['model', 'k', 'json']), 'model');
    assert.equal(nearestFlag('k', ['model', 'k']), 'k');
    assert.equal(nearestFlag('abcdefgh', ['model', 'json']), undefined);
  });
});
