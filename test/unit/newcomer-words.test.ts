import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { EvalQuery } from '../../src/core/eval/evalset-types';
import { exampleQueries, guideHandlers } from '../../src/extension/webviews/inspector/inspector-guide';
import { INSPECTOR_TO_HOST_CHECKS, type HostToWebview, type InspectorToHost, type MissedSpan } from '../../src/protocol/inspector';
import { Messenger } from '../../src/protocol/messenger';
import { matchEvalQuery, missHeading, missLine, normaliseQuery } from '../../src/protocol/miss-line';
import { comparison, explainColumn, metricName, metricWords, plural } from '../../src/protocol/words';

const demoQueries = (): EvalQuery[] =>
  fs
    .readFileSync(path.join(__dirname, '..', '..', 'demo', '.retrieval-lens', 'evalset.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as EvalQuery);

const span = (positions: MissedSpan['positions'], category = 'exact-match'): MissedSpan => ({ docId: 'docs/guides/retries.md', start: 10, end: 40, quote: 'the quote', grade: 3, positions, category });

describe('words a newcomer reads', () => {
  it('names the trec_eval measures as people say them, each with a one-line explanation', () => {
    assert.deepEqual(['ndcg_cut_10', 'P_10', 'recip_rank', 'map', 'recall_100', 'recall_10'].map(metricName), ['nDCG@10', 'P@10', 'MRR', 'MAP', 'Recall@100', 'Recall@10']);
    for (const id of ['ndcg_cut_10', 'P_10', 'recip_rank', 'map', 'recall_100']) {
      const w = metricWords(id);
      assert.ok(w.explain.length > 20 && !w.explain.includes('\n'), `${id}: ${w.explain}`);
    }
    assert.equal(metricName('bpref'), 'bpref', 'an unknown id is shown as it is');
    assert.match(explainColumn('Recall@100') ?? '', /top 100/);
    assert.match(explainColumn('Δ nDCG@10 vs baseline') ?? '', /difference from the baseline/);
    assert.equal(explainColumn('Query'), undefined);
  });

  it('counts with the right plural and names both sides of a comparison', () => {
    assert.equal(plural(1, 'miss', 'misses'), '1 miss');
    assert.equal(plural(2, 'miss', 'misses'), '2 misses');
    assert.equal(plural(0, 'document'), '0 documents');
    assert.equal(comparison('dense', '0.00', 'keyword', '1.00'), 'dense 0.00 → keyword 1.00');
  });
});

describe('the miss first', () => {
  it('takes typed text equal to an eval query (case and white space aside) as that query', () => {
    const qs = demoQueries();
    const backoff = qs.find((q) => q.id === 'backoff') as EvalQuery;
    assert.equal(matchEvalQuery(`  ${backoff.text.toUpperCase().replace(/ /g, ' \t ')}\n`, qs)?.id, 'backoff');
    assert.equal(matchEvalQuery('what backoff do the SDKs use', qs), undefined, 'a prefix is another query');
    assert.equal(matchEvalQuery('   ', qs), undefined);
    assert.equal(normaliseQuery(' A  b\tC '), 'a b c');
  });

  it('says which retriever missed a labeled span, why, and where the others ranked it', () => {
    const one = missLine(span({ keyword: { rank: 1, score: 3 }, dense: { rank: null, score: null }, hybrid: { rank: 1, score: 0.9 } }), 10, false);
    assert.equal(one.text, '1 labeled span missed by dense: exact-match — keyword #1, hybrid #1');
    assert.deepEqual(one.missedBy, ['dense']);
    // Ranked below K counts as missed; with several spans the line names the document instead of the count.
    const below = missLine(span({ keyword: { rank: 14, score: 1 }, dense: { rank: 2, score: 0.5 } }, 'lexical'), 10, true);
    assert.equal(below.text, 'docs/guides/retries.md missed by keyword: lexical — dense #2');
    const none = missLine(span({ keyword: { rank: null, score: null }, dense: { rank: null, score: null } }, 'missing-document'), 10, false);
    assert.equal(none.text, '1 labeled span missed by keyword, dense: missing-document — no retriever has it in the top 10');
    assert.equal(missHeading(1, 10), '1 labeled span missed in the top 10');
    assert.equal(missHeading(2, 5), '2 labeled spans missed in the top 5');
  });

  it('offers one demo query per failure kind, read from what the demo eval set records', () => {
    const ex = exampleQueries(demoQueries());
    assert.equal(ex.length, 3);
    assert.deepEqual(ex.map((e) => e.kind), ['exact-match', 'semantic', 'chunking']);
    const texts = new Map(demoQueries().map((q) => [q.id, q.text]));
    for (const e of ex) assert.equal(e.text, texts.get(e.id));
    assert.deepEqual(exampleQueries(demoQueries().map((q) => ({ ...q, judgments: q.judgments.map((j) => ({ ...j, note: undefined })) }))), [], 'none without recorded kinds');
  });

  it('keeps the inspector state for a reopened panel, and refuses a state that is not an object', async () => {
    const store = new Map<string, unknown>();
    const memento = { get: (k: string) => store.get(k), update: async (k: string, v: unknown) => void store.set(k, v), keys: () => [...store.keys()] };
    const h = guideHandlers({ queries: demoQueries }, memento as never);
    await h.keepState({ state: { query: 'QS-4091', k: 10 } });
    assert.deepEqual((await h.guide({})).state, { query: 'QS-4091', k: 10 });
    const logged: string[] = [];
    const m = new Messenger<InspectorToHost, HostToWebview>(() => undefined, (e) => logged.push(e), INSPECTOR_TO_HOST_CHECKS);
    let kept = 0;
    m.on('keepState', () => void kept++);
    await m.receive({ kind: 'request', id: 1, method: 'keepState', params: { state: 'not an object' } });
    await m.receive({ kind: 'request', id: 2, method: 'keepState', params: { state: [1] } });
    assert.equal(kept, 0);
    assert.equal(logged.length, 2);
  });
});
