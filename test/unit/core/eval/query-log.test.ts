import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { EVALSET_PATH, EvalSetFile } from '../../../../src/core/eval/evalset-file';
import { assignSplit, matchKey, oneEditApart, readQueryLog, sampleQueries, type LogQuery } from '../../../../src/core/eval/query-log';
import { importQueryLog } from '../../../../src/core/eval/query-log-import';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rl-qlog-'));

/** 18 lines: duplicates in case, spacing and Unicode form, near-duplicates, blank and malformed lines. */
const JSONL_LINES = [
  '{"query":"Reset password"}',
  '{"query":"reset   password"}',
  '{"query":"RESET PASSWORD"}',
  '',
  JSON.stringify({ query: 'cafe\u0301 menu' }), // NFD: e + combining acute
  JSON.stringify({ query: 'Caf\u00e9 menu' }), // NFC
  '{not json',
  '{"q":"wrong field"}',
  '{"query":42}',
  '{"query":"password reset"}',
  '{"query":"password reset"}',
  '{"query":"pasword reset"}',
  '{"query":"QS-4091"}',
  '{"query":"QS-4092"}',
  '{"query":"how to retry?"}',
  '{"query":"How to retry"}',
  '{"query":"   "}',
  '{"query":"webhook signature\\tverification"}',
];

function writeJsonl(dir: string): string {
  const f = path.join(dir, 'log.jsonl');
  fs.writeFileSync(f, JSONL_LINES.join('\n') + '\n');
  return f;
}

const CSV = [
  'timestamp,query,user',
  '2026-11-01,"reset password, urgent",u1',
  '2026-11-01,"say ""hello""",u2',
  '2026-11-02,plain query,u3',
  '2026-11-02,"multi',
  'line query",u4',
  'bad,row',
  '',
  '2026-11-03,"Reset password,  urgent",u5',
  '2026-11-03,"unterminated,u6',
].join('\r\n');

describe('query log reading, normalisation and near-duplicate merging', () => {
  it('JSONL: counts lines, folds case, spacing and Unicode form, merges near-duplicates and reports skipped lines by number', async () => {
    const r = await readQueryLog(writeJsonl(tmp()));
    assert.equal(r.format, 'jsonl');
    assert.equal(r.linesRead, 18);
    assert.equal(r.queryLines, 13);
    assert.deepEqual(r.skipped.map((s) => s.line), [4, 7, 8, 9, 17]);
    assert.match(r.skipped[1].reason, /^invalid JSON/);
    assert.equal(r.skipped[2].reason, 'no "query" field');
    assert.equal(r.skipped[3].reason, '"query" is number, not a string');
    assert.equal(r.skipped[4].reason, 'empty query');
    assert.equal(r.unique, 9, 'nine distinct match keys');
    assert.equal(r.merged, 2, '"pasword reset" and "how to retry?" merged');
    assert.deepEqual(
      r.queries.map((q) => [q.text, q.frequency, q.merged]),
      [
        ['password reset', 3, ['pasword reset']],
        ['Reset password', 3, []],
        ['caf\u00e9 menu', 2, []],
        ['How to retry', 2, ['how to retry?']],
        ['QS-4091', 1, []],
        ['QS-4092', 1, []],
        ['webhook signature verification', 1, []],
      ],
    );
    // The first spelling is kept, in NFC: the NFD line came first.
    assert.equal(r.queries[2].text.normalize('NFC'), r.queries[2].text);
    assert.equal(r.queries[2].firstLine, 5);
    assert.equal(matchKey('cafe\u0301  MENU'), matchKey('Caf\u00e9 menu'));
  });

  it('gzip is read by content, with the same counts', async () => {
    const d = tmp();
    const gz = path.join(d, 'log.jsonl.gz');
    fs.writeFileSync(gz, zlib.gzipSync(JSONL_LINES.join('\n') + '\n'));
    const r = await readQueryLog(gz);
    assert.equal(r.linesRead, 18);
    assert.equal(r.queries.length, 7);
    const renamed = path.join(d, 'log-no-suffix');
    fs.copyFileSync(gz, renamed);
    const t = await readQueryLog(renamed, { format: 'jsonl' });
    assert.deepEqual(t.queries, r.queries);
  });

  it('CSV: the header names the column; quoted commas, doubled quotes and quoted line breaks are one field', async () => {
    const f = path.join(tmp(), 'log.csv');
    fs.writeFileSync(f, CSV);
    const r = await readQueryLog(f);
    assert.equal(r.format, 'csv');
    assert.equal(r.linesRead, 8, 'eight records after the header (one spans two lines)');
    assert.deepEqual(r.skipped, [
      { line: 7, reason: 'malformed CSV: 2 fields, the header has 3' },
      { line: 8, reason: 'blank line' },
      { line: 10, reason: 'malformed CSV: unterminated quoted field (a " is never closed)' },
    ]);
    assert.deepEqual(
      r.queries.map((q) => [q.text, q.frequency]),
      [
        ['reset password, urgent', 2],
        ['multi line query', 1],
        ['plain query', 1],
        ['say "hello"', 1],
      ],
    );
    await assert.rejects(readQueryLog(f, { field: 'search' }), /log\.csv:1: no column "search" in the header \(columns: timestamp, query, user\)/);
    const byUser = await readQueryLog(f, { field: 'USER' });
    assert.deepEqual(byUser.queries.map((q) => q.text), ['u1', 'u2', 'u3', 'u4', 'u5']);
  });

  it('text: one query per line, blank lines skipped', async () => {
    const f = path.join(tmp(), 'log.txt');
    fs.writeFileSync(f, 'Reset password\n\nreset password\n  \nwebhooks\n');
    const r = await readQueryLog(f);
    assert.deepEqual([r.linesRead, r.unique, r.skipped.map((s) => s.line)], [5, 2, [2, 4]]);
  });

  it('the one-edit rule: insert, delete, substitute, adjacent swap; never two edits', () => {
    assert.ok(oneEditApart('password reset', 'pasword reset'));
    assert.ok(oneEditApart('password reset', 'passwrod reset'));
    assert.ok(oneEditApart('password reset', 'passward reset'));
    assert.ok(oneEditApart('password reset', 'password resets'));
    assert.ok(!oneEditApart('password reset', 'pasword rest'));
    assert.ok(!oneEditApart('password reset', 'password reset'));
  });
});

function syntheticLog(): LogQuery[] {
  const qs: LogQuery[] = [{ text: 'head', key: 'head', frequency: 100, firstLine: 1, merged: [] }];
  for (let i = 0; i < 50; i++) qs.push({ text: `tail ${i}`, key: `tail ${String(i).padStart(2, '0')}`, frequency: 1 + (i % 3), firstLine: i + 2, merged: [] });
  return qs;
}

describe('query sampling', () => {
  it('top takes the most frequent; random and proportional are deterministic per seed and grow by extension', () => {
    const qs = syntheticLog();
    assert.deepEqual(sampleQueries(qs, 3, 'top').map((q) => q.text), ['head', 'tail 2', 'tail 5']);
    for (const strategy of ['random', 'proportional'] as const) {
      const a = sampleQueries(qs, 8, strategy, 7).map((q) => q.key);
      assert.deepEqual(sampleQueries(qs, 8, strategy, 7).map((q) => q.key), a, `${strategy}: same seed, same sample`);
      assert.notDeepEqual(sampleQueries(qs, 8, strategy, 8).map((q) => q.key), a, `${strategy}: another seed, another sample`);
      const small = new Set(sampleQueries(qs, 4, strategy, 7).map((q) => q.key));
      assert.ok([...small].every((k) => a.includes(k)), `${strategy}: the sample of 4 is part of the sample of 8`);
      assert.equal(new Set(a).size, 8, 'without replacement');
    }
    assert.equal(sampleQueries(qs, 500, 'random', 1).length, qs.length);
  });

  it('proportional favours frequent queries the way frequency-proportional sampling does; random does not', () => {
    const qs = syntheticLog();
    const total = qs.reduce((s, q) => s + q.frequency, 0); // 100 + 99
    let prop = 0;
    let rand = 0;
    const seeds = 400;
    for (let seed = 1; seed <= seeds; seed++) {
      if (sampleQueries(qs, 1, 'proportional', seed)[0].key === 'head') prop++;
      if (sampleQueries(qs, 1, 'random', seed)[0].key === 'head') rand++;
    }
    // P(head first) = 100/199 ≈ 0.50 for proportional, 1/51 ≈ 0.02 for random.
    assert.ok(Math.abs(prop / seeds - 100 / total) < 0.08, `proportional picked head ${prop}/${seeds}`);
    assert.ok(rand / seeds < 0.06, `random picked head ${rand}/${seeds}`);
  });

  it('the split comes from the query alone and follows the train share', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `query ${i}`);
    const train = keys.filter((k) => assignSplit(k, 0.3) === 'train').length;
    assert.ok(train > 250 && train < 350, `${train} of 1000 in train`);
    assert.ok(keys.every((k) => assignSplit(k, 0) === 'eval'));
    assert.ok(keys.every((k) => assignSplit(k, 1) === 'train'));
    assert.equal(assignSplit('reset password', 0.3), assignSplit('reset password', 0.3));
  });
});

describe('importing a query log into an eval set', () => {
  const existingLine = '{"id":"hand-1","text":"Reset Password","split":"eval","judgments":[{"grade":3,"target":{"type":"document","docId":"docs/a.md"}}]}';
  const setup = () => {
    const ws = tmp();
    fs.mkdirSync(path.join(ws, '.retrieval-lens'));
    const file = path.join(ws, EVALSET_PATH);
    fs.writeFileSync(file, `// my eval set\n${existingLine}\n`);
    return { ws, file, log: writeJsonl(ws) };
  };

  it('adds sampled queries as unjudged log queries, leaves existing queries byte for byte, and a re-import changes nothing', async () => {
    const { file, log } = setup();
    const s = await importQueryLog(EvalSetFile.load(file), log, { strategy: 'top', trainShare: 0.3 });
    assert.equal(s.sampled, 7);
    assert.deepEqual(s.alreadyPresent, [{ text: 'Reset password', id: 'hand-1' }]);
    assert.equal(s.added.length, 6);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], '// my eval set');
    assert.equal(lines[1], existingLine, 'the hand-typed query is untouched');
    const loaded = EvalSetFile.load(file).all();
    assert.equal(loaded.length, 7);
    const added = loaded.filter((q) => q.source === 'log');
    assert.deepEqual(added.map((q) => [q.text, q.frequency, q.judgments.length]), [
      ['password reset', 3, 0],
      ['caf\u00e9 menu', 2, 0],
      ['How to retry', 2, 0],
      ['QS-4091', 1, 0],
      ['QS-4092', 1, 0],
      ['webhook signature verification', 1, 0],
    ]);
    for (const q of added) assert.equal(q.split, assignSplit(matchKey(q.text), 0.3));
    assert.ok(added.every((q) => /^log-[0-9a-f]{10}$/.test(q.id)));

    const before = fs.readFileSync(file);
    const again = await importQueryLog(EvalSetFile.load(file), log, { strategy: 'top', trainShare: 0.3 });
    assert.equal(again.added.length, 0);
    assert.equal(again.alreadyPresent.length, 7);
    assert.ok(fs.readFileSync(file).equals(before), 're-importing the same log leaves the file byte for byte');
  });

  it('a sample draws from the log before existing queries are set aside, so the same seed re-imports nothing', async () => {
    const { file, log } = setup();
    const first = await importQueryLog(EvalSetFile.load(file), log, { sample: 3, strategy: 'random', seed: 42 });
    const again = await importQueryLog(EvalSetFile.load(file), log, { sample: 3, strategy: 'random', seed: 42 });
    assert.equal(first.sampled, 3);
    assert.equal(again.added.length, 0);
    assert.equal(again.alreadyPresent.length, 3);
    const more = await importQueryLog(EvalSetFile.load(file), log, { sample: 5, strategy: 'random', seed: 42 });
    assert.equal(more.alreadyPresent.length + more.added.length, 5);
    assert.ok(more.alreadyPresent.length >= 3, 'the first three are part of the larger sample');
  });

  it('CLI: prints the summary, exit 0; bad arguments and files exit 2 with file:line', async () => {
    const { ws, log, file } = setup();
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    assert.equal(await runCli(['import-queries', ws, log, '--sample', '4', '--strategy', 'proportional', '--seed', '3'], io), 0, err.join('\n'));
    assert.match(out[0], /log\.jsonl \(jsonl\): 18 lines read, 13 queries, 9 unique, 2 merged as near-duplicates, 5 skipped$/);
    assert.match(out[1], /^sampled 4 \(proportional, seed 3\); added \d \(\d eval, \d train\); \d already in the eval set$/);
    assert.ok(out.some((l) => /^skipped .*log\.jsonl:7: invalid JSON/.test(l)), out.join('\n'));
    assert.ok(out.includes('merged into "password reset": "pasword reset"'));
    const size = fs.statSync(file).size;
    out.length = 0;
    assert.equal(await runCli(['import-queries', ws, log, '--sample', '4', '--strategy', 'proportional', '--seed', '3'], io), 0);
    assert.match(out[1], /added 0 \(0 eval, 0 train\); 4 already in the eval set$/);
    assert.equal(fs.statSync(file).size, size);

    assert.equal(await runCli(['import-queries', ws, log, '--strategy', 'best'], io), 2);
    assert.match(err.at(-1) ?? '', /--strategy must be top, random or proportional/);
    assert.equal(await runCli(['import-queries', ws, log, '--train-share', '1.5'], io), 2);
    assert.equal(await runCli(['import-queries', ws, path.join(ws, 'missing.jsonl')], io), 2);
    assert.match(err.at(-1) ?? '', /missing\.jsonl: cannot read/);
    const csv = path.join(ws, 'log.csv');
    fs.writeFileSync(csv, CSV);
    assert.equal(await runCli(['import-queries', ws, csv, '--field', 'q'], io), 2);
    assert.match(err.at(-1) ?? '', /log\.csv:1: no column "q" in the header/);
  });
});
