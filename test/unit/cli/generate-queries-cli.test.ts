import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { EvalSetFile } from '../../../src/core/eval/evalset-file';
import { QUERY_PROMPT_VERSION } from '../../../src/core/judge/query-prompt';
import { TRUST_WORKSPACE_ENV } from '../../../src/core/settings/workspace-trust';
import { chatCompletionsStandIn, type ChatStandIn } from '../../helpers/chat-completions-stand-in';

/**
 * `retrieval-lens generate-queries` end to end against a chat-completions stand-in (a real local HTTP server that
 * answers the generator's prompt with a scripted query per passage): nothing is sent from an untrusted workspace or
 * without confirmation; the sample covers every folder; malformed answers are counted; duplicates of each other and
 * of the eval set's queries are dropped; the queries land in the train split as synthetic with their chunk as the
 * positive span; real queries are shown as style examples; a re-run sends nothing; eval figures do not move; the
 * bias figure is printed and written; the key is in no file.
 */
const KEY_NAME = 'RL_GENQ_CLI_KEY';
const KEY = 'sk-genq-cli-secret-value-77';

const DOCS: Record<string, string> = {
  'ops/retention.md': '# Retention\n\nEvents are kept for thirty days, then deleted from every region by the nightly sweeper job.\n',
  'ops/paging.md': '# Paging\n\nFor a full outage page the on-call incident commander first, then open a bridge for responders.\n',
  'api/errors.md': '# Error codes\n\nQS-4091 means the partition was fenced by a newer leader and the write must be retried.\n',
  'api/limits.md': '# Limits\n\nEach token may send at most six hundred requests per minute before the gateway answers with throttling.\n',
  'guides/backups.md': '# Backups\n\nBackups of events are taken nightly and kept for a year in the cold storage bucket of each region.\n',
  'guides/restore.md': '# Restore\n\nTo restore a backup, stop the writers, copy the snapshot into place and start the writers again afterwards.\n',
  'README.md': '# Overview\n\nThis handbook explains how the event platform is operated, which limits apply and what each error code means.\n',
};

/** The stand-in's generator: one scripted query per passage, by a word in it; the restore passage gets prose (malformed). */
const SCRIPT: Array<[RegExp, string]> = [
  [/thirty days/, 'how long are events kept?'],
  [/incident commander/, 'who do I page in an outage'],
  [/QS-4091/, 'what does QS-4091 mean'],
  [/six hundred requests/, 'rate limit per token'],
  [/cold storage/, 'how long are backups kept'],
  [/handbook/, 'what does QS 4091 mean'],
];

function reply(messages: Array<{ role: string; content: string }>): string | undefined {
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  const m = /Passage:\n([\s\S]*)$/.exec(user);
  if (!m) return undefined;
  if (/restore a backup/.test(m[1])) return 'Here are some queries a user might type:\n1. restore backup';
  const hit = SCRIPT.find(([re]) => re.test(m[1]));
  return hit ? `Query: ${hit[1]}` : 'Query: something else';
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err, text: () => [...out, ...err].join('\n') };
}

function spanOf(docId: string, from: string, to: string) {
  const text = DOCS[docId];
  const start = text.indexOf(from);
  const end = text.indexOf(to) + to.length;
  return { type: 'span', docId, start, end, exact: text.slice(start, end), prefix: text.slice(Math.max(0, start - 32), start), suffix: text.slice(end, end + 32) };
}

function workspace(url: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-genq-cli-'));
  for (const [p, t] of Object.entries(DOCS)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), t);
  }
  fs.mkdirSync(path.join(root, '.vscode'));
  fs.writeFileSync(path.join(root, '.vscode', 'settings.json'), JSON.stringify({ 'retrievalLens.chatEndpoints': { local: { url: `${url}/v1`, model: 'writer-model', apiKeySecret: KEY_NAME, concurrency: 2 } } }, null, 2));
  fs.mkdirSync(path.join(root, '.retrieval-lens'));
  fs.writeFileSync(
    path.join(root, '.retrieval-lens', 'evalset.jsonl'),
    [
      // Real queries (from a query log), labelled: the style examples and the "real" side of the bias figure.
      { id: 'log-1', text: 'events retention period', split: 'eval', source: 'log', judgments: [{ grade: 3, target: spanOf('ops/retention.md', 'Events', 'region') }] },
      { id: 'log-2', text: 'partition fenced error', split: 'eval', source: 'log', judgments: [{ grade: 2, target: spanOf('api/errors.md', 'QS-4091', 'leader') }] },
      // Hand-typed: "How long are events kept" is what the generator will write again (a duplicate of an existing query).
      { id: 'q1', text: 'How long are events kept', split: 'eval', judgments: [{ grade: 3, target: spanOf('ops/retention.md', 'Events', 'region') }] },
    ].map((q) => JSON.stringify(q)).join('\n') + '\n',
  );
  return root;
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

describe('retrieval-lens generate-queries', () => {
  let server: ChatStandIn;
  const saved = { key: process.env[KEY_NAME], trust: process.env[TRUST_WORKSPACE_ENV] };
  before(async () => {
    server = await chatCompletionsStandIn({ answer: () => 'Grade: 0', reply, apiKey: KEY });
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

  it('sends nothing from an untrusted workspace, without confirmation, or on a dry run', async () => {
    const root = workspace(server.url);
    const before = fs.readFileSync(path.join(root, '.retrieval-lens', 'evalset.jsonl'), 'utf8');
    const untrusted = io();
    assert.equal(await runCli(['generate-queries', root, '--endpoint', 'local', '--yes'], untrusted.io), 2);
    assert.match(untrusted.text(), /chatEndpoints is not applied because the workspace is not trusted, and nothing is sent/);
    const unconfirmed = io();
    assert.equal(await runCli(['generate-queries', root, '--endpoint', 'local', '--trust-workspace'], unconfirmed.io), 2);
    assert.match(unconfirmed.text(), /nothing sent: the chunks hold your documents' text; confirm on a terminal or pass --yes/);
    assert.match(unconfirmed.text(), /estimate: about [\d,]+ prompt \+ [\d,]+ answer tokens/);
    for (const [flag, bad, message] of [['--count', '0', /--count must be an integer of at least 1, got "0"/], ['--seed', '1.5', /--seed must be an integer, got "1\.5"/], ['--per-chunk', '11', /--per-chunk must be at most 10/]] as const) {
      const r = io();
      assert.equal(await runCli(['generate-queries', root, '--endpoint', 'local', '--trust-workspace', flag, bad], r.io), 2);
      assert.match(r.text(), message);
    }
    const dry = io();
    assert.equal(await runCli(['generate-queries', root, '--endpoint', 'local', '--trust-workspace', '--dry-run'], dry.io), 0);
    assert.match(dry.text(), /dry run: nothing sent/);
    assert.equal(server.requests.length, 0);
    assert.equal(fs.readFileSync(path.join(root, '.retrieval-lens', 'evalset.jsonl'), 'utf8'), before);
  });

  it('writes synthetic train queries with their chunk, drops duplicates and malformed answers, and a re-run sends nothing', async () => {
    const root = workspace(server.url);
    const evalBefore = io();
    const metricsBefore = path.join(root, 'm0.json');
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--level', 'chunk', '--metrics-out', metricsBefore, '--index-dir', path.join(root, 'ix')], evalBefore.io), 0, evalBefore.text());

    const first = server.requests.length;
    const r = io();
    const json = path.join(root, 'gen.json');
    assert.equal(await runCli(['generate-queries', root, '--endpoint', 'local', '--trust-workspace', '--yes', '--count', '20', '--seed', '3', '--json', json], r.io), 0, r.text());
    const sent = server.requests.slice(first);
    assert.equal(sent.length, 7, 'one request per chunk: the seven documents are one chunk each');
    // The sample covers every folder.
    assert.match(r.text(), /7 chunks sampled \(seed 3\) from 4 of 4 folders/);
    // The real (log) queries are the style examples, and no synthetic one ever is.
    const prompt = JSON.parse(sent[0].body) as { messages: Array<{ role: string; content: string }> };
    assert.match(prompt.messages[1].content, /Queries real users typed, for their style only[\s\S]*- events retention period/);
    assert.match(prompt.messages[1].content, /- partition fenced error/);

    const out = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.equal(out.promptVersion, QUERY_PROMPT_VERSION);
    assert.equal(out.run.malformed.length, 1);
    assert.equal(out.run.malformed[0].docId, 'guides/restore.md');
    // "how long are events kept?" repeats the hand-typed q1 (same loose key); "what does QS 4091 mean" is one
    // punctuation mark from "what does QS-4091 mean" (the same loose key): one of each pair is dropped.
    assert.deepEqual(
      out.dropped.map((d: { text: string; existing: boolean }) => [d.text, d.existing]).sort(),
      [['how long are events kept?', true], ['what does QS-4091 mean', false]],
    );
    const added = EvalSetFile.load(path.join(root, '.retrieval-lens', 'evalset.jsonl')).all().filter((q) => q.source === 'synthetic');
    assert.deepEqual(added.map((q) => q.text).sort(), ['how long are backups kept', 'rate limit per token', 'what does QS 4091 mean', 'who do I page in an outage']);
    for (const q of added) {
      assert.equal(q.split, 'train');
      assert.equal(q.judgments.length, 1);
      const j = q.judgments[0];
      assert.equal(j.grade, 2);
      assert.equal(j.target.type, 'span');
      if (j.target.type === 'span') assert.equal(fs.readFileSync(path.join(root, j.target.docId), 'utf8').slice(j.target.start, j.target.end), j.target.exact);
    }
    const paging = added.find((q) => q.text.startsWith('who do I page'));
    assert.equal(paging?.judgments[0].target.docId, 'ops/paging.md');
    assert.match(r.text(), /4 added to the train split \(source synthetic, grade 2 on their chunk\), 2 dropped as duplicates \(1 of each other, 1 of queries already in the eval set\), 1 malformed answers/);

    // The bias figure: synthetic vs real (log) queries, printed and in the JSON.
    assert.match(r.text(), /bias: content words found in the query's own passage — synthetic \d+% \(4 queries\), log\/trace queries \d+% \(2\)/);
    assert.equal(out.bias.synthetic.queries, 4);
    assert.equal(out.bias.real.kind, 'log/trace');
    assert.equal(out.bias.real.queries, 2);
    assert.ok(out.bias.real.share > 0 && out.bias.real.share <= 1);

    // Eval figures are those of the eval split alone: identical before and after the synthetic train queries.
    const metricsAfter = path.join(root, 'm1.json');
    const evalAfter = io();
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--level', 'chunk', '--metrics-out', metricsAfter, '--index-dir', path.join(root, 'ix')], evalAfter.io), 0, evalAfter.text());
    const figures = (f: string) => {
      const m = JSON.parse(fs.readFileSync(f, 'utf8')) as { all: Record<string, number>; per_query: Record<string, unknown> };
      return { all: m.all, perQuery: m.per_query };
    };
    assert.deepEqual(Object.keys(figures(metricsBefore).perQuery).sort(), ['log-1', 'log-2', 'q1']);
    assert.ok(figures(metricsBefore).all.ndcg_cut_10 > 0);
    assert.deepEqual(figures(metricsAfter), figures(metricsBefore));
    assert.doesNotMatch(evalAfter.text(), /synthetic/);
    // Asked for on purpose (--split all), the figures include them, and say so.
    const withTrain = io();
    const metricsAll = path.join(root, 'm2.json');
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--level', 'chunk', '--split', 'all', '--metrics-out', metricsAll, '--index-dir', path.join(root, 'ix')], withTrain.io), 0, withTrain.text());
    assert.match(withTrain.text(), /note: 4 of the 7 scored queries are synthetic \(generate-queries\)/);
    assert.equal(JSON.parse(fs.readFileSync(metricsAll, 'utf8')).syntheticQueries, 4);

    // A re-run asks nothing (every answer cached) and adds nothing (its queries are now in the eval set).
    const again = io();
    const before = server.requests.length;
    assert.equal(await runCli(['generate-queries', root, '--endpoint', 'local', '--trust-workspace', '--yes', '--count', '20', '--seed', '3'], again.io), 0, again.text());
    assert.equal(server.requests.length, before);
    assert.match(again.text(), /7 answered before \(cached\), 0 to send/);
    assert.match(again.text(), /0 added to the train split/);
    assert.match(again.text(), /1 malformed answers/);

    for (const f of filesUnder(root)) assert.ok(!fs.readFileSync(f, 'utf8').includes(KEY), `${f} holds the key`);
  });
});
