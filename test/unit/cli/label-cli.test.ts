import { seededRandom } from '../../../src/core/eval/significance';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { EVALSET_PATH, EvalSetFile } from '../../../src/core/eval/evalset-file';
import { judgmentKey } from '../../../src/core/eval/evalset-merge';
import { makeSpanTarget } from '../../../src/core/eval/span-anchor';
import { DOC_TEXT, planned } from './fixtures/label-plan';

const repo = path.resolve(__dirname, '../../..');
const writer = path.join(__dirname, 'fixtures', 'label-writer.ts');

function workspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-label-'));
  fs.writeFileSync(path.join(ws, 'doc.md'), DOC_TEXT);
  return ws;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

/** Seeded PRNG (the significance tests' mulberry32) so a failing kill schedule can be replayed from the printed seed. */
const rng = seededRandom;

/**
 * Starts a writer process; resolves acks as they arrive. With `kill`, the writer gets SIGKILL `kill.delayMs` after
 * its `kill.afterAcks`-th acknowledgment (0: after it said ready), i.e. at a random point inside a later write.
 * Counting acks rather than wall-clock time keeps every kill mid-run however fast or loaded the machine is.
 */
function runWriter(ws: string, from: number, to: number, tag: string, kill?: { afterAcks: number; delayMs: number }): Promise<{ acked: number[]; killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, ws, String(from), String(to), tag], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^ack (\d+)$/.exec(line);
        if (m) acked.push(Number(m[1]));
        if (kill && !timer && (line === 'ready' || m) && acked.length === kill.afterAcks) {
          timer = setTimeout(() => {
            killed = child.kill('SIGKILL');
          }, kill.delayMs);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // 'exit' fires once the process is reaped, so its pid no longer looks alive to the next writer's lock check.
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ acked, killed: killed && code === null, code, stderr });
    });
  });
}

function assertHasPlanned(ws: string, n: number, tag: string): void {
  const es = EvalSetFile.load(path.join(ws, EVALSET_PATH));
  const p = planned(n, tag);
  const q = es.all().find((x) => x.text === p.query);
  assert.ok(q, `query "${p.query}" of acknowledged write ${tag}${n} is in the file`);
  const key = judgmentKey({ grade: 0, target: makeSpanTarget('doc.md', DOC_TEXT, p.start, p.end) });
  const j = q.judgments.find((x) => judgmentKey(x) === key);
  assert.ok(j, `judgment of acknowledged write ${tag}${n} is in the file`);
  assert.equal(j.grade, p.grade);
}

describe('retrieval-lens label', () => {
  it('adds a query, labels a span, changes its grade, and removes it, writing only the eval set', async () => {
    const ws = workspace();
    const a = io();
    assert.equal(await runCli(['label', ws, '--query', 'retry guide', '--file', 'doc.md', '--start', '0', '--end', '8', '--grade', '2'], a.io), 0, a.err.join('\n'));
    assert.match(a.out.join('\n'), /labeled doc\.md \[0, 8\) grade 2 for q1 "retry guide" \(new query\)/);
    let es = EvalSetFile.forWorkspace(ws);
    assert.equal(es.all().length, 1);
    assert.deepEqual(es.all()[0].judgments.map((j) => [j.grade, j.target.type === 'span' && j.target.exact]), [[2, 'Line 000']]);

    const b = io();
    assert.equal(await runCli(['label', ws, '--query', 'retry guide', '--file', path.join(ws, 'doc.md'), '--start', '0', '--end', '8', '--grade', '3', '--split', 'train'], b.io), 0);
    assert.match(b.out.join('\n'), /changed from 2 to 3/);
    es = EvalSetFile.forWorkspace(ws);
    assert.equal(es.all()[0].split, 'train');
    assert.deepEqual(es.all()[0].judgments.map((j) => j.grade), [3], 'same span relabeled, not duplicated');

    const c = io();
    assert.equal(await runCli(['label', ws, '--query', 'retry guide', '--file', 'doc.md', '--start', '0', '--end', '8', '--remove'], c.io), 0);
    assert.deepEqual(EvalSetFile.forWorkspace(ws).all()[0].judgments, []);
    assert.deepEqual(fs.readdirSync(ws).sort(), ['.retrieval-lens', 'doc.md']);
    assert.deepEqual(fs.readdirSync(path.join(ws, '.retrieval-lens')), ['evalset.jsonl'], 'no lock or temp file left');
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['no query', ['--file', 'doc.md', '--start', '0', '--end', '4', '--grade', '1'], /--query TEXT is required/],
    ['grade 4', ['--query', 'q', '--file', 'doc.md', '--start', '0', '--end', '4', '--grade', '4'], /--grade must be 0, 1, 2 or 3, got "4"/],
    ['end before start', ['--query', 'q', '--file', 'doc.md', '--start', '9', '--end', '4', '--grade', '1'], /--end \(4\) must be greater than --start \(9\)/],
    ['negative start', ['--query', 'q', '--file', 'doc.md', '--start=-1', '--end', '4', '--grade', '1'], /--start must be a whole number >= 0, got "-1"/],
    ['past the end', ['--query', 'q', '--file', 'doc.md', '--start', '0', '--end', '999999', '--grade', '1'], /past the end of doc\.md/],
    ['outside the workspace', ['--query', 'q', '--file', '../x.md', '--start', '0', '--end', '4', '--grade', '1'], /outside the workspace/],
    ['missing file', ['--query', 'q', '--file', 'nope.md', '--start', '0', '--end', '4', '--grade', '1'], /nope\.md: cannot read: ENOENT/],
    ['bad split', ['--query', 'q', '--file', 'doc.md', '--start', '0', '--end', '4', '--grade', '1', '--split', 'test'], /--split must be eval or train/],
    ['remove unknown query', ['--query', 'nobody', '--file', 'doc.md', '--start', '0', '--end', '4', '--remove'], /no query "nobody"/],
  ];
  for (const [name, args, message] of bad) {
    it(`refuses ${name} with exit 2 and writes nothing`, async () => {
      const ws = workspace();
      const x = io();
      assert.equal(await runCli(['label', ws, ...args], x.io), 2);
      assert.match(x.err.join('\n'), message);
      assert.ok(!fs.existsSync(path.join(ws, EVALSET_PATH)));
    });
  }

  it('never overwrites an eval set that does not parse: names the line, keeps the bytes', async () => {
    const ws = workspace();
    const file = path.join(ws, EVALSET_PATH);
    fs.mkdirSync(path.dirname(file));
    const broken = '{"id":"q1","text":"a","split":"eval","judgments":[]}\n{"id":"q2", oops\n';
    fs.writeFileSync(file, broken);
    const x = io();
    assert.equal(await runCli(['label', ws, '--query', 'a', '--file', 'doc.md', '--start', '0', '--end', '4', '--grade', '1'], x.io), 2);
    assert.match(x.err.join('\n'), /evalset\.jsonl:2: invalid JSON/);
    assert.equal(fs.readFileSync(file, 'utf8'), broken);
  });

  it('a writer killed with SIGKILL at random points across 100 writes loses no acknowledged judgment', { timeout: 300_000 }, async () => {
    const ws = workspace();
    const seed = Number(process.env.RL_KILL_SEED ?? Date.now() % 100000);
    const rand = rng(seed);
    const acked = new Set<number>();
    let next = 0;
    let kills = 0;
    let lives = 0;
    while (next < 100) {
      lives++;
      // Each life is killed 0-4 ms after a random number (0-19) of its own acknowledged writes, i.e. inside the lock,
      // the temp file, the fsync or the rename of the next one; after 5 kills, one life in five runs on to the end.
      const remaining = 100 - next;
      const kill = kills < 5 || rand() < 0.8 ? { afterAcks: Math.floor(rand() * Math.min(20, remaining)), delayMs: rand() * 4 } : undefined;
      const r = await runWriter(ws, next, 100, 'w', kill);
      if (r.code !== null && r.code !== 0) assert.fail(`writer failed: ${r.stderr}`);
      if (r.killed && r.acked.length < remaining) kills++;
      for (const n of r.acked) acked.add(n);
      // The file parses after every kill, and every judgment acknowledged so far is in it.
      for (const n of acked) assertHasPlanned(ws, n, 'w');
      // A write may have landed without its ack being read (killed between rename and print): it is redone.
      next = r.acked.length ? Math.max(...r.acked) + 1 : next;
    }
    assert.equal(acked.size, 100);
    const left = fs.readdirSync(path.join(ws, '.retrieval-lens')).filter((f) => f !== 'evalset.jsonl');
    console.log(`kill test (seed ${seed}): 100 writes acknowledged over ${lives} writer processes, ${kills} killed with SIGKILL mid-run; 100/100 judgments found, file parses; leftovers after the last write: ${left.length ? left.join(', ') : 'none'}`);
    assert.ok(kills >= 5, `at least 5 writers were killed mid-run (${kills})`);
    assert.deepEqual(left, [], 'a dead writer\'s temp or lock file is cleaned up by the next write');
  });

  it('two writer processes labeling at the same time both keep every judgment', { timeout: 300_000 }, async () => {
    const ws = workspace();
    const [a, b] = await Promise.all([runWriter(ws, 0, 40, 'a'), runWriter(ws, 0, 40, 'b')]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    for (let n = 0; n < 40; n++) {
      assertHasPlanned(ws, n, 'a');
      assertHasPlanned(ws, n, 'b');
    }
    const total = EvalSetFile.forWorkspace(ws).all().reduce((s, q) => s + q.judgments.length, 0);
    console.log(`concurrent writers: 2 processes x 40 labels interleaved, ${total}/80 judgments in the file`);
    assert.equal(total, 80);
  });

  it('two CLI processes started together both keep their judgments', { timeout: 120_000 }, async () => {
    const ws = workspace();
    const cli = (query: string, start: number, grade: number) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), 'label', ws, '--query', query, '--file', 'doc.md', '--start', String(start), '--end', String(start + 6), '--grade', String(grade)], { cwd: repo });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr.on('data', (d: Buffer) => (out += d.toString()));
        c.on('exit', (code) => resolve({ code, out }));
      });
    for (let round = 0; round < 2; round++) {
      const rs = await Promise.all([cli('first query', 100 + round * 10, 1), cli('second query', 500 + round * 10, 2)]);
      for (const r of rs) assert.equal(r.code, 0, r.out);
    }
    const es = EvalSetFile.forWorkspace(ws);
    assert.deepEqual(es.all().map((q) => [q.text, q.judgments.length]).sort(), [['first query', 2], ['second query', 2]]);
    assert.equal(new Set(es.all().map((q) => q.id)).size, 2, 'two queries created at once get distinct ids');
  });

  it('a grade the CLI wrote while the editor had the file open is a conflict shown to the editor, not overwritten', async () => {
    const ws = workspace();
    const x = io();
    assert.equal(await runCli(['label', ws, '--query', 'retry guide', '--file', 'doc.md', '--start', '0', '--end', '8', '--grade', '1'], x.io), 0);
    const editor = EvalSetFile.forWorkspace(ws); // the window read the file
    assert.equal(await runCli(['label', ws, '--query', 'retry guide', '--file', 'doc.md', '--start', '0', '--end', '8', '--grade', '3'], x.io), 0);
    assert.equal(await runCli(['label', ws, '--query', 'retry guide', '--file', 'doc.md', '--start', '20', '--end', '28', '--grade', '2'], x.io), 0);
    const q = editor.all()[0];
    editor.addJudgment(q.id, { grade: 0, target: makeSpanTarget('doc.md', DOC_TEXT, 0, 8) });
    editor.addJudgment(q.id, { grade: 2, target: makeSpanTarget('doc.md', DOC_TEXT, 40, 48) });
    const r = editor.save();
    assert.equal(r.merged, true);
    assert.equal(r.conflicts.length, 1);
    assert.match(r.conflicts[0].message, /doc\.md \[0, 8\): grade 0 here but grade 3 on disk .*kept the disk's grade 3/);
    const after = EvalSetFile.forWorkspace(ws).all()[0].judgments.map((j) => [j.target.type === 'span' && j.target.start, j.grade]);
    assert.deepEqual(after, [[0, 3], [20, 2], [40, 2]], 'the CLI grade kept, both sides\' new judgments kept');
  });
});
