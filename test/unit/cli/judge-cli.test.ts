import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { JUDGE_LABELS_PATH, loadJudgeLabels } from '../../../src/core/judge/judge-labels';
import { environmentSecrets } from '../../../src/core/io/secret-source';
import { TRUST_WORKSPACE_ENV } from '../../../src/core/settings/workspace-trust';
import { chatCompletionsStandIn, type ChatStandIn } from '../../helpers/chat-completions-stand-in';

/**
 * `retrieval-lens judge` end to end against a chat-completions stand-in (a real local HTTP server): nothing is sent
 * from an untrusted workspace or without confirmation; with --trust-workspace --yes the pooled passages are judged,
 * the estimate comes first and the totals after, labels go to their own file with the eval set untouched, a re-run
 * sends nothing, agreement is printed and written, the key is nowhere, and --remove-labels removes them all.
 */
const KEY_NAME = 'RL_JUDGE_CLI_KEY';
const KEY = 'sk-judge-cli-secret-value-42';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err, text: () => [...out, ...err].join('\n') };
}

const DOCS: Record<string, string> = {
  'docs/retention.md': '# Retention\n\nEvents are kept for thirty days, then deleted from every region.\n',
  'docs/paging.md': '# Paging\n\nFor a full outage page the on-call incident commander first.\n',
  'docs/errors.md': '# Error codes\n\nQS-4091 means the partition was fenced by a newer leader.\n',
  'docs/backups.md': '# Backups\n\nBackups of events are taken nightly and kept for a year.\n',
};

function workspace(url: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-judge-cli-'));
  fs.mkdirSync(path.join(root, 'docs'));
  for (const [p, t] of Object.entries(DOCS)) fs.writeFileSync(path.join(root, p), t);
  fs.mkdirSync(path.join(root, '.vscode'));
  fs.writeFileSync(path.join(root, '.vscode', 'settings.json'), JSON.stringify({ 'retrievalLens.chatEndpoints': { local: { url: `${url}/v1`, model: 'judge-model', apiKeySecret: KEY_NAME, concurrency: 2 } } }, null, 2));
  fs.mkdirSync(path.join(root, '.retrieval-lens'));
  const text = DOCS['docs/retention.md'];
  const exact = text.slice(text.indexOf('Events'), text.indexOf('region.') + 7);
  const start = text.indexOf(exact);
  const span = { type: 'span', docId: 'docs/retention.md', start, end: start + exact.length, exact, prefix: text.slice(Math.max(0, start - 32), start), suffix: text.slice(start + exact.length, start + exact.length + 32) };
  fs.writeFileSync(
    path.join(root, '.retrieval-lens', 'evalset.jsonl'),
    [
      { id: 'q1', text: 'how long are events kept', split: 'eval', judgments: [{ grade: 3, target: span }, { grade: 0, target: { type: 'document', docId: 'docs/paging.md' } }] },
      { id: 'q2', text: 'who is paged in an outage', split: 'eval', judgments: [] },
    ].map((q) => JSON.stringify(q)).join('\n') + '\n',
  );
  return root;
}

/** The stand-in's judge: 3 when the passage shares two or more words with the query, 1 for one, else 0; "events" passages about backups get an unparseable answer. */
function answer(query: string, passage: string): string {
  if (/Backups/.test(passage)) return 'Relevant-ish.';
  const q = new Set(query.toLowerCase().match(/[a-z]{4,}/g));
  const shared = (passage.toLowerCase().match(/[a-z]{4,}/g) ?? []).filter((w) => q.has(w)).length;
  return `Grade: ${shared >= 2 ? 3 : shared === 1 ? 1 : 0}`;
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

describe('retrieval-lens judge', () => {
  let server: ChatStandIn;
  const saved = { key: process.env[KEY_NAME], trust: process.env[TRUST_WORKSPACE_ENV] };
  before(async () => {
    server = await chatCompletionsStandIn({ answer, apiKey: KEY });
    process.env[KEY_NAME] = KEY;
    delete process.env[TRUST_WORKSPACE_ENV];
  });
  after(async () => {
    await server.close();
    for (const [k, v] of [[KEY_NAME, saved.key], [TRUST_WORKSPACE_ENV, saved.trust]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('sends nothing from an untrusted workspace, and reads no secret', async () => {
    const root = workspace(server.url);
    const asked: string[] = [];
    const original = environmentSecrets.get;
    environmentSecrets.get = async (name) => {
      asked.push(name);
      return original(name);
    };
    try {
      const r = io();
      const code = await runCli(['judge', root, '--endpoint', 'local', '--yes', '--retrievers', 'bm25'], r.io);
      assert.equal(code, 2, r.text());
      assert.match(r.text(), /retrievalLens\.chatEndpoints is not applied because the workspace is not trusted, and nothing is sent; pass --trust-workspace/);
      assert.equal(server.requests.length, 0);
      assert.deepEqual(asked, []);
      assert.ok(!fs.existsSync(path.join(root, JUDGE_LABELS_PATH)));
    } finally {
      environmentSecrets.get = original;
    }
  });

  it('without --yes and no terminal to confirm on, sends nothing', async (t) => {
    if (process.stdin.isTTY) return t.skip('stdin is a terminal here: the question would be asked');
    const root = workspace(server.url);
    const r = io();
    assert.equal(await runCli(['judge', root, '--endpoint', 'local', '--trust-workspace', '--retrievers', 'bm25'], r.io), 2, r.text());
    assert.match(r.text(), /estimate: about [\d,]+ prompt/);
    assert.match(r.text(), /nothing sent: the pairs hold your documents' text; confirm on a terminal or pass --yes/);
    assert.equal(server.requests.length, 0);
  });

  it('judges the pooled passages, keeps human labels, caches every answer, reports agreement, and removes its labels in one command', async () => {
    const root = workspace(server.url);
    const evalset = path.join(root, '.retrieval-lens', 'evalset.jsonl');
    const humanBefore = fs.readFileSync(evalset, 'utf8');
    const json = path.join(root, 'judge.json');
    // Readers of labels see human grades only: eval's figures and the pooled queue are the same after judging.
    const readers = async (tag: string) => {
      const e = io();
      assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--metrics-out', path.join(root, `m-${tag}.json`)], e.io), 0, e.text());
      const p = io();
      assert.equal(await runCli(['pool', root, '--retrievers', 'bm25', '--json', path.join(root, `p-${tag}.json`)], p.io), 0, p.text());
      const m = JSON.parse(fs.readFileSync(path.join(root, `m-${tag}.json`), 'utf8')) as { all: unknown; per_query: unknown };
      const pool = JSON.parse(fs.readFileSync(path.join(root, `p-${tag}.json`), 'utf8')) as { items: unknown[]; holes: unknown };
      return { all: m.all, perQuery: m.per_query, items: pool.items.length, holes: pool.holes };
    };
    const beforeJudging = await readers('before');
    const r = io();
    const code = await runCli(['judge', root, '--endpoint', 'local', '--trust-workspace', '--yes', '--retrievers', 'bm25', '--queue', 'all', '--agreement', '--json', json], r.io);
    assert.equal(code, 0, r.text());
    const out = r.out.join('\n');
    const estimateAt = out.indexOf('estimate: about');
    const judgedAt = out.indexOf('judged ');
    assert.ok(estimateAt >= 0 && judgedAt > estimateAt, `the estimate comes before the run:\n${out}`);
    const sent = server.requests.length;
    assert.ok(sent >= 3, `${sent} requests`);
    assert.ok(server.requests.every((q) => q.headers.authorization === `Bearer ${KEY}`));
    const m = /judged (\d+) pairs: (\d+) graded .*?, 0 from cache, (\d+) malformed/.exec(out);
    assert.ok(m, out);
    assert.equal(Number(m[1]), sent);
    assert.equal(Number(m[3]), 1, 'the backups passage answered "Relevant-ish." is counted, not guessed');
    assert.match(out, /malformed: query q\d, docs\/backups\.md: not "Grade: N": "Relevant-ish\."/);
    assert.match(out, new RegExp(`tokens \\(as the service counts them\\): ${server.reported.prompt} prompt \\+ ${server.reported.completion} completion`));
    assert.equal(fs.readFileSync(evalset, 'utf8'), humanBefore, 'the eval set is not touched');
    assert.deepEqual(await readers('after'), beforeJudging, 'eval and pool ignore judge labels');
    const labels = loadJudgeLabels(path.join(root, JUDGE_LABELS_PATH));
    assert.equal(labels.length, Number(m[2]));
    assert.ok(labels.every((l) => l.source.model === 'judge-model' && l.source.promptVersion === 'umbrela-v1' && l.source.endpoint === 'local'));
    // The human-judged retention passage was judged too (--queue all): that pair is in the agreement.
    assert.match(out, /agreement of judge judge-model · umbrela-v1 with the human labels: weighted κ \(quadratic\) = (?:[-\d.]+|undefined) on \d+ pairs graded by both/);
    assert.match(out, /judge unvalidated: \d+ pairs graded by both, \d+ more human labels/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as { run: { requested: number; malformed: unknown[]; usage: { totalTokens: number } }; agreement: Array<{ pairs: number; confusion: number[][]; validation: { validated: boolean; moreHumanLabels: number } }> };
    assert.equal(report.run.requested, sent);
    assert.equal(report.run.usage.totalTokens, server.reported.prompt + server.reported.completion);
    assert.ok(report.agreement[0].pairs >= 1);
    assert.equal(report.agreement[0].confusion.flat().reduce((s, x) => s + x, 0), report.agreement[0].pairs);
    assert.equal(report.agreement[0].validation.moreHumanLabels, 50 - report.agreement[0].pairs);

    // A re-run asks nothing.
    const again = io();
    assert.equal(await runCli(['judge', root, '--endpoint', 'local', '--trust-workspace', '--yes', '--retrievers', 'bm25', '--queue', 'all'], again.io), 0, again.text());
    assert.equal(server.requests.length, sent, 'second run: zero requests');
    assert.match(again.out.join('\n'), new RegExp(`${sent} answered before \\(cached\\), 0 to send`));
    assert.match(again.out.join('\n'), new RegExp(`${sent} from cache, 1 malformed`));

    // Agreement alone reads local files only: no endpoint, no trust needed, nothing sent.
    const agree = io();
    assert.equal(await runCli(['judge', root, '--agreement', '--retrievers', 'bm25'], agree.io), 0, agree.text());
    assert.match(agree.out.join('\n'), /agreement of judge judge-model · umbrela-v1 with the human labels/);
    assert.equal(server.requests.length, sent);

    const one = io();
    assert.equal(await runCli(['judge', root, '--endpoint', 'local', '--trust-workspace', '--yes', '--retrievers', 'bm25', '--queue', 'all', '--max-pairs', '1'], one.io), 0, one.text());
    assert.match(one.out.join('\n'), new RegExp(`judge: 1 pairs \\(all queue, first 1 of ${sent}\\), 1 answered before`));

    // The key is in no file, no output and no report.
    for (const f of filesUnder(root)) assert.ok(!fs.readFileSync(f).toString('latin1').includes(KEY), `key in ${f}`);
    assert.ok(!r.text().includes(KEY) && !again.text().includes(KEY));

    const rm = io();
    assert.equal(await runCli(['judge', root, '--remove-labels'], rm.io), 0, rm.text());
    assert.match(rm.out.join('\n'), new RegExp(`removed ${labels.length} judge labels .*; human labels are untouched`));
    assert.deepEqual(loadJudgeLabels(path.join(root, JUDGE_LABELS_PATH)), []);
    assert.equal(fs.readFileSync(evalset, 'utf8'), humanBefore);
  });

  it('refuses bad flags with exit 2 and the usage', async () => {
    const r = io();
    assert.equal(await runCli(['judge', os.tmpdir(), '--queue', 'some'], r.io), 2);
    assert.match(r.text(), /--queue must be pooled or all, got "some"/);
    const s = io();
    assert.equal(await runCli(['judge', os.tmpdir()], s.io), 2);
    assert.match(s.text(), /judge needs --endpoint NAME \(to judge\), --agreement or --remove-labels/);
  });
});
