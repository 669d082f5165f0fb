import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ChatClient } from '../../../../src/core/embed/chat-client';
import type { ChatEndpointConfig } from '../../../../src/core/embed/chat-endpoints';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import { AnswerCache } from '../../../../src/core/judge/answer-cache';
import { judgeId, judgeLabelsFile, loadJudgeLabels, reanchorJudgeLabels, removeJudgeLabels, saveJudgeLabels, withJudgeGrades } from '../../../../src/core/judge/judge-labels';
import { estimateJudgeRun, runJudge, spanTarget, type JudgePair } from '../../../../src/core/judge/run-judge';
import { JUDGE_SYSTEM_PROMPT, parseGrade, PROMPT_VERSION } from '../../../../src/core/judge/umbrela-prompt';
import { EVALSET_PATH, EvalSetFile } from '../../../../src/core/eval/evalset-file';
import { environmentSecrets } from '../../../../src/core/io/secret-source';
import { chatCompletionsStandIn, type ChatStandIn } from '../../../helpers/chat-completions-stand-in';

const servers: ChatStandIn[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function standIn(options: Parameters<typeof chatCompletionsStandIn>[0]): Promise<ChatStandIn> {
  const s = await chatCompletionsStandIn(options);
  servers.push(s);
  return s;
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rl-judge-'));
}

function doc(id: string, text: string): SourceDocument {
  return { id, path: id, title: id, text, language: 'markdown', size: text.length, mtimeMs: 0 } as SourceDocument;
}

/** Ten pairs over ten documents; passage i says "fact i". */
function pairs(n = 10): JudgePair[] {
  return Array.from({ length: n }, (_, i) => {
    const d = doc(`docs/d${i}.md`, `# D${i}\n\nfact ${i}: the value of item ${i} is ${i * 7}.\n`);
    const start = d.text.indexOf('fact');
    const target = spanTarget(d, start, d.text.length - 1);
    return { queryId: `q${i % 3}`, query: `what is the value of item ${i}`, passage: target.type === 'span' ? target.exact : d.text, target };
  });
}

/** The scripted answers: grade i mod 4, except passage 3 (prose), 5 (two lines) and 7 (grade 5, out of range). */
function scripted(_q: string, passage: string): string {
  const i = Number(/fact (\d+)/.exec(passage)?.[1]);
  if (i === 3) return 'The passage seems relevant, I would say 2.';
  if (i === 5) return 'Grade: 2\nGrade: 3';
  if (i === 7) return 'Grade: 5';
  return `Grade: ${i % 4}`;
}

const config = (url: string, extra: Partial<ChatEndpointConfig> = {}): ChatEndpointConfig => ({ type: 'openai', url: `${url}/v1`, model: 'judge-model-1', ...extra });

describe('parseGrade: strict, nothing guessed', () => {
  it('accepts exactly one "Grade: N" line with N in 0..3', () => {
    assert.deepEqual(parseGrade('Grade: 2'), { ok: true, grade: 2 });
    assert.deepEqual(parseGrade('  grade:3 \n'), { ok: true, grade: 3 });
    assert.deepEqual(parseGrade('GRADE : 0'), { ok: true, grade: 0 });
  });
  it('is the prompt docs/JUDGE.md shows, word for word', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'docs', 'JUDGE.md'), 'utf8');
    assert.ok(doc.includes(`\`\`\`\n${JUDGE_SYSTEM_PROMPT}\n\`\`\``), 'docs/JUDGE.md must show the prompt as the code sends it');
    assert.ok(doc.includes(`## The prompt (\`${PROMPT_VERSION}\`)`));
  });

  it('counts everything else as malformed or out of range', () => {
    for (const bad of ['', '2', 'Grade: two', '**Grade: 2**', 'Grade: 2 (highly relevant)', 'I think Grade: 2', 'Grade: 1\nGrade: 2']) {
      const r = parseGrade(bad);
      assert.equal(r.ok, false, bad);
      assert.equal(!r.ok && r.problem, 'malformed', bad);
    }
    for (const out of ['Grade: 4', 'Grade: -1', 'Grade: 2.5', 'Grade: 3.0']) {
      const r = parseGrade(out);
      assert.equal(!r.ok && r.problem, 'out-of-range', out);
    }
  });
});

describe('runJudge against a chat-completions stand-in', () => {
  it('labels well-formed answers with their source, lists malformed ones, totals usage, and a second run sends nothing', async () => {
    const server = await standIn({ answer: scripted });
    const dir = tmp();
    const cacheFile = path.join(dir, 'answers.jsonl');
    const client = await ChatClient.create('local', config(server.url), environmentSecrets);
    const ps = pairs();
    const progress: Array<{ done: number; etaMs?: number }> = [];
    let clock = 0;
    const r = await runJudge(ps, client, AnswerCache.load(cacheFile), { onProgress: (p) => progress.push(p), now: () => (clock += 1000) });
    assert.equal(server.requests.length, 10);
    assert.equal(r.requested, 10);
    assert.equal(r.fromCache, 0);
    assert.equal(r.labels.length, 7);
    assert.deepEqual(r.malformed.map((m) => [m.docId, m.problem]).sort(), [['docs/d3.md', 'malformed'], ['docs/d5.md', 'malformed'], ['docs/d7.md', 'out-of-range']]);
    for (const l of r.labels) {
      const i = Number(/d(\d+)/.exec(l.judgment.target.docId)?.[1]);
      assert.equal(l.judgment.grade, i % 4);
      assert.deepEqual(l.source, { judge: 'umbrela', endpoint: 'local', model: 'judge-model-1', promptVersion: PROMPT_VERSION });
    }
    // The service's own token counts, totalled exactly.
    assert.equal(r.usage.promptTokens, server.reported.prompt);
    assert.equal(r.usage.completionTokens, server.reported.completion);
    assert.equal(r.usage.totalTokens, server.reported.prompt + server.reported.completion);
    assert.equal(progress.at(-1)?.done, 10);
    // The test's clock moves one second per reading: once a pair is done and time has passed, an ETA is given.
    const mid = progress.find((p) => p.done > 0 && p.done < 10 && p.etaMs !== undefined);
    assert.ok(mid && mid.etaMs !== undefined && mid.etaMs > 0, `an ETA while judging: ${JSON.stringify(progress)}`);
    // What was sent: the model, temperature 0, the prompt, the query and the passage.
    const sent = JSON.parse(server.requests[0].body) as { model: string; temperature: number; messages: Array<{ role: string; content: string }> };
    assert.equal(sent.model, 'judge-model-1');
    assert.equal(sent.temperature, 0);
    assert.match(sent.messages[0].content, /Grade: N/);

    const again = await ChatClient.create('local', config(server.url), environmentSecrets);
    const r2 = await runJudge(ps, again, AnswerCache.load(cacheFile));
    assert.equal(server.requests.length, 10, 'a re-run makes zero requests');
    assert.equal(r2.fromCache, 10);
    assert.equal(r2.requested, 0);
    assert.equal(r2.labels.length, 7);
    assert.equal(r2.malformed.length, 3, 'cached malformed answers are counted again, not guessed');
    assert.ok(r2.malformed.every((m) => m.fromCache));
    assert.equal(r2.usage.totalTokens, 0);
    assert.equal(r2.savedUsage.totalTokens, r.usage.totalTokens);
    // The cache holds hashes and answers, not the query or passage text.
    const cached = fs.readFileSync(cacheFile, 'utf8');
    assert.ok(!cached.includes('what is the value'), 'no query text in the cache');
    assert.ok(!cached.includes('fact 1:'), 'no passage text in the cache');
  });

  it('a changed passage or another model is a new question; the estimate counts only what would be sent', async () => {
    const server = await standIn({ answer: () => 'Grade: 1' });
    const cache = AnswerCache.load(path.join(tmp(), 'answers.jsonl'));
    const client = await ChatClient.create('local', config(server.url), environmentSecrets);
    const ps = pairs(3);
    await runJudge(ps, client, cache);
    assert.equal(estimateJudgeRun(ps, cache, 'judge-model-1').toSend, 0);
    const changed = [{ ...ps[0], passage: `${ps[0].passage} (edited)` }, ps[1]];
    const e = estimateJudgeRun(changed, cache, 'judge-model-1');
    assert.deepEqual([e.cached, e.toSend], [1, 1]);
    assert.ok(e.promptTokens > 50 && e.passageChars === changed[0].passage.length);
    assert.equal(estimateJudgeRun(ps, cache, 'another-model').toSend, 3);
  });

  it('retries 429 honouring Retry-After, and 503, within maxRetries', async () => {
    const server = await standIn({ answer: scripted, failures: [{ status: 429, retryAfter: '1' }, { status: 503 }] });
    const client = await ChatClient.create('local', config(server.url, { concurrency: 1 }), environmentSecrets, { baseDelayMs: 5 });
    const t0 = performance.now();
    const r = await runJudge(pairs(2), client, AnswerCache.load(path.join(tmp(), 'a.jsonl')));
    const ms = performance.now() - t0;
    assert.equal(r.labels.length, 2);
    assert.equal(server.requests.length, 4);
    assert.equal(client.retries, 2);
    assert.ok(ms >= 950, `waited ${ms.toFixed(0)} ms: Retry-After: 1 must be honoured (the backoff alone is 5 ms)`);
  });

  it('gives up after maxRetries with a message naming the endpoint', async () => {
    const server = await standIn({ answer: scripted, failures: Array.from({ length: 5 }, () => ({ status: 429, retryAfter: '0' })) });
    const client = await ChatClient.create('local', config(server.url, { maxRetries: 2, concurrency: 1 }), environmentSecrets, { baseDelayMs: 1 });
    await assert.rejects(runJudge(pairs(1), client, AnswerCache.load(path.join(tmp(), 'a.jsonl'))), /chat endpoint "local" \(http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions\): HTTP 429.*after 3 attempts/);
    assert.equal(server.requests.length, 3);
  });

  it('a slow answer past the timeout is retried', async () => {
    const server = await standIn({ answer: scripted, hangFirst: 1 });
    const client = await ChatClient.create('local', config(server.url, { timeoutMs: 300, concurrency: 1 }), environmentSecrets, { baseDelayMs: 5 });
    const r = await runJudge(pairs(1), client, AnswerCache.load(path.join(tmp(), 'a.jsonl')));
    assert.equal(r.labels.length, 1);
    assert.equal(server.requests.length, 2);
    assert.equal(client.retries, 1);
  });

  it('keeps to the endpoint concurrency, and cancelling stops the run', async () => {
    const server = await standIn({ answer: scripted, delayMs: 60 });
    const client = await ChatClient.create('local', config(server.url, { concurrency: 2 }), environmentSecrets);
    await runJudge(pairs(6), client, AnswerCache.load(path.join(tmp(), 'a.jsonl')));
    assert.equal(server.maxInFlight, 2);

    const slow = await standIn({ answer: scripted, delayMs: 200 });
    const c2 = await ChatClient.create('local', config(slow.url, { concurrency: 1 }), environmentSecrets);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by the user')), 300);
    await assert.rejects(runJudge(pairs(10), c2, AnswerCache.load(path.join(tmp(), 'a.jsonl')), { signal: ac.signal }), /cancelled by the user/);
    assert.ok(slow.requests.length <= 3, `${slow.requests.length} requests after cancel`);
  });

  it('sends the key from the named secret, and writes it nowhere', async () => {
    const KEY = 'sk-test-judge-key-0123456789';
    process.env.RL_JUDGE_TEST_KEY = KEY;
    try {
      const server = await standIn({ answer: scripted, apiKey: KEY });
      const dir = tmp();
      const client = await ChatClient.create('local', config(server.url, { apiKeySecret: 'RL_JUDGE_TEST_KEY' }), environmentSecrets);
      const r = await runJudge(pairs(3), client, AnswerCache.load(path.join(dir, 'answers.jsonl')));
      assert.equal(r.labels.length, 3);
      saveJudgeLabels(judgeLabelsFile(dir), r.labels);
      for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
        const p = path.join(dir, f);
        if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p, 'utf8').includes(KEY), `key in ${f}`);
      }
      const missing = await ChatClient.create('x', config(server.url, { apiKeySecret: 'RL_JUDGE_UNSET_SECRET' }), environmentSecrets).catch((e: Error) => e.message);
      assert.equal(missing, 'chat endpoint "x": secret RL_JUDGE_UNSET_SECRET is not set (environment variable RL_JUDGE_UNSET_SECRET)');
    } finally {
      delete process.env.RL_JUDGE_TEST_KEY;
    }
  });
});

describe('judge labels never overwrite or outrank a human grade', () => {
  it('are stored apart with their source, add only where no human judged, and are removed in one operation', async () => {
    const root = tmp();
    const d = doc('docs/d1.md', '# D1\n\nfact 1: the value of item 1 is 7.\n\nAn unrelated paragraph about paging.\n');
    const humanSpan = spanTarget(d, d.text.indexOf('fact'), d.text.indexOf('7.') + 2);
    fs.mkdirSync(path.join(root, '.retrieval-lens'));
    const set = EvalSetFile.forWorkspace(root);
    set.upsert({ id: 'q1', text: 'value of item 1', split: 'eval', judgments: [{ grade: 3, target: humanSpan }] });
    set.save();
    const before = fs.readFileSync(path.join(root, EVALSET_PATH), 'utf8');

    const server = await standIn({ answer: () => 'Grade: 0' });
    const client = await ChatClient.create('local', config(server.url), environmentSecrets);
    const other = spanTarget(d, d.text.indexOf('An unrelated'), d.text.length - 1);
    const ps: JudgePair[] = [
      { queryId: 'q1', query: 'value of item 1', passage: humanSpan.type === 'span' ? humanSpan.exact : '', target: humanSpan },
      { queryId: 'q1', query: 'value of item 1', passage: other.type === 'span' ? other.exact : '', target: other },
    ];
    const r = await runJudge(ps, client, AnswerCache.load(path.join(root, '.retrieval-lens', 'judge', 'answers.jsonl')));
    assert.equal(saveJudgeLabels(judgeLabelsFile(root), r.labels), 2);
    assert.equal(fs.readFileSync(path.join(root, EVALSET_PATH), 'utf8'), before, 'the eval set is not touched');
    assert.equal(EvalSetFile.forWorkspace(root).get('q1')?.judgments[0].grade, 3);

    const labels = loadJudgeLabels(judgeLabelsFile(root));
    const id = judgeId(labels[0].source);
    const [merged] = withJudgeGrades(EvalSetFile.forWorkspace(root).all(), labels, id);
    // The human's 3 stays; the judge's 0 on the same passage is not added; its 0 on the unjudged passage is.
    assert.deepEqual(merged.judgments.map((j) => [j.grade, j.target.type === 'span' ? j.target.exact.slice(0, 12) : j.target.docId]), [[3, 'fact 1: the '], [0, 'An unrelated']]);

    // The document edited: the passage that moved follows its text; the one deleted goes stale and pairs with nothing.
    const edited = `# D1\n\nA new first paragraph.\n\n${d.text.slice(d.text.indexOf('fact'), d.text.indexOf('An unrelated'))}`;
    const moved = reanchorJudgeLabels(labels, new Map([[d.id, { text: edited }]]));
    assert.equal(moved.stale, 1);
    const kept = moved.labels.find((l) => !l.judgment.stale);
    assert.ok(kept && kept.judgment.target.type === 'span' && edited.slice(kept.judgment.target.start, kept.judgment.target.end).startsWith('fact 1:'));
    assert.equal(withJudgeGrades([{ id: 'q1', text: 'x', split: 'eval', judgments: [] }], moved.labels, id)[0].judgments.length, 1, 'a stale judge label adds nothing');

    assert.equal(removeJudgeLabels(judgeLabelsFile(root)), 2);
    assert.deepEqual(loadJudgeLabels(judgeLabelsFile(root)), []);
    assert.equal(fs.readFileSync(path.join(root, EVALSET_PATH), 'utf8'), before);
  });

  it('a bad line of the judge labels file names the file and line', () => {
    const f = path.join(tmp(), 'judge-labels.jsonl');
    fs.writeFileSync(f, '{"queryId":"q1","judgment":{"grade":2,"target":{"type":"document","docId":"a"}},"source":{"judge":"umbrela","endpoint":"e","model":"m","promptVersion":"v"},"passageHash":"h"}\n{"queryId":"q1","judgment":{"grade":7}}\n');
    assert.throws(() => loadJudgeLabels(f), (e: Error) => e.message === `${f}:2: "judgment" must have a grade 0–3 and a target with a docId`);
  });
});
