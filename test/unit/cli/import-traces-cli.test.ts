import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { EvalSetFile } from '../../../src/core/eval/evalset-file';
import type { EvalQuery } from '../../../src/core/eval/evalset-types';
import { seededRandom } from '../../../src/core/eval/significance';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

const TOPICS = ['api keys', 'billing', 'invoices', 'shipping', 'refunds', 'two factor', 'exports', 'quotas', 'webhooks', 'sso', 'audit log', 'teams'];

/** A workspace of 12 documents and 6 judged queries (document labels, grades 0–2). */
function workspace(): { ws: string; queries: EvalQuery[]; docs: string[] } {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-traces-ws-'));
  fs.mkdirSync(path.join(ws, 'docs'));
  const docs = TOPICS.map((t) => `docs/${t.replace(/ /g, '-')}.md`);
  TOPICS.forEach((t, i) => fs.writeFileSync(path.join(ws, docs[i]), `# ${t}\n\nEverything about ${t}. Paragraph ${i} explains how ${t} work in the product, with steps and limits.\n`));
  const rand = seededRandom(3);
  const queries: EvalQuery[] = [0, 1, 2, 3, 4, 5].map((i) => {
    const rel = [docs[i * 2], docs[(i * 2 + 5) % 12]];
    return { id: `q${i}`, text: `How do ${TOPICS[i * 2]} work? (${i})`, split: 'eval', judgments: [{ grade: 2, target: { type: 'document', docId: rel[0] } }, { grade: rand() < 0.5 ? 1 : 2, target: { type: 'document', docId: rel[1] } }, { grade: 0, target: { type: 'document', docId: docs[(i * 2 + 1) % 12] } }] } as EvalQuery;
  });
  const set = EvalSetFile.forWorkspace(ws);
  for (const q of queries) set.upsert(q);
  set.save();
  return { ws, queries, docs };
}

/** Phoenix-style OpenInference spans: a CHAIN root with feedback and a RETRIEVER child per trace. */
function spans(traceId: string, query: string, ids: string[], ts: string, score: number): unknown[] {
  return [
    { name: 'rag', context: { trace_id: traceId, span_id: `${traceId}-0` }, start_time: ts, attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': query, 'output.value': `answer to ${query}` }, annotations: [{ name: 'user', result: { score, explanation: `comment on ${traceId}` } }] },
    { name: 'retrieve', context: { trace_id: traceId, span_id: `${traceId}-1` }, parent_id: `${traceId}-0`, start_time: ts, attributes: { 'openinference.span.kind': 'RETRIEVER', 'input.value': query, ...Object.fromEntries(ids.flatMap((id, r) => [[`retrieval.documents.${r}.document.id`, id], [`retrieval.documents.${r}.document.score`, 1 - r / 100]])) } },
  ];
}

describe('retrieval-lens import-traces, eval --retriever trace:NAME, trace-failures', () => {
  it('an imported production run scores exactly as the reference computation on the same ranking; the query no trace asked is named and left out; re-import is idempotent', async () => {
    const { ws, queries, docs } = workspace();
    try {
      const rand = seededRandom(5);
      const rankings = new Map<string, string[]>();
      const rows: unknown[] = [];
      // q0..q4 have traces; q5 has none. q2 is asked in two traces: the later one is replayed.
      for (const q of queries.slice(0, 5)) {
        const ids = [...docs].sort(() => rand() - 0.5).slice(0, 6);
        ids.splice(3, 0, 'kb-unknown-7'); // an id no workspace document has: unplaced, still in the ranking
        rankings.set(q.id, ids);
        rows.push(...spans(`tr-${q.id}`, q.text, ids, '2026-05-01T10:00:00Z', q.id === 'q1' || q.id === 'q2' ? 0 : 1));
      }
      rows.push(...spans('tr-q2-old', queries[2].text.toUpperCase(), [docs[11], docs[10]], '2026-04-01T10:00:00Z', 0));
      rows.push(...spans('tr-new', 'A brand new question from production', [docs[0]], '2026-05-02T10:00:00Z', 0));
      const file = path.join(ws, 'phoenix-spans.jsonl');
      fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n{"broken\n`);

      const imp = io();
      assert.equal(await runCli(['import-traces', ws, file, '--format', 'openinference', '--name', 'prod'], imp.io), 0, imp.err.join('\n'));
      const out = imp.out.join('\n');
      assert.match(out, /phoenix-spans\.jsonl \(openinference\): 15 records read, 14 spans, 7 traces, 7 with a query, 38 passages served, 7 with feedback, 1 skipped/);
      assert.match(out, /6 distinct queries, 0 merged as near-duplicates; sampled 6 \(top\); added 1 \(\d eval, \d train\); 5 already in the eval set/);
      assert.match(out, /asked in 2 traces: "How do refunds work\? \(2\)"/);
      assert.match(out, /skipped .*phoenix-spans\.jsonl:15: invalid JSON/);
      assert.match(out, /recorded 7 traces as trace:prod in \.retrieval-lens\/traces\/prod\/run\.jsonl/);
      const added = EvalSetFile.forWorkspace(ws).all().find((q) => q.source === 'trace');
      assert.deepEqual(added && { text: added.text, traces: added.traces, judgments: added.judgments }, { text: 'A brand new question from production', traces: ['tr-new'], judgments: [] });
      const runText = fs.readFileSync(path.join(ws, '.retrieval-lens', 'traces', 'prod', 'run.jsonl'), 'utf8');
      assert.match(runText, /answer to How do api keys work/);

      // Re-import: nothing added, the run holds the same traces.
      const again = io();
      assert.equal(await runCli(['import-traces', ws, file, '--format', 'openinference'], again.io), 0);
      assert.match(again.out.join('\n'), /added 0 \(0 eval, 0 train\); 6 already in the eval set/);
      const stripTime = (t: string) => t.replace(/"(updatedAt|importedAt)":"[^"]+"/g, '');
      assert.equal(stripTime(fs.readFileSync(path.join(ws, '.retrieval-lens', 'traces', 'prod', 'run.jsonl'), 'utf8')), stripTime(runText));

      const metrics = path.join(ws, 'm.json');
      const ev = io();
      assert.equal(await runCli(['eval', ws, '--retriever', 'trace:prod', '--level', 'doc', '--metrics-out', metrics], ev.io), 0, ev.err.join('\n'));
      assert.match(ev.out[0], /^trace:prod \(recorded \.retrieval-lens\/traces\/prod\/run\.jsonl; doc level, 5 queries, 1 failed\)/);
      const err = ev.err.join('\n');
      assert.match(err, /error: retriever "trace:prod", query "How do audit log work\? \(5\)": \.retrieval-lens\/traces\/prod\/run\.jsonl: no recorded trace asked this query/);
      assert.match(err, /trace:prod: hits placed document 30, unplaced 5/);

      // Independent computation: the replayed rankings (q2: the later trace) as a TREC run, the labels as qrels, the reference script.
      const run = [...rankings].flatMap(([qid, ids]) => ids.map((d, i) => `${qid} Q0 ${d} ${i + 1} ${100 - i} prod`));
      fs.writeFileSync(path.join(ws, 'prod.trec'), `${run.join('\n')}\n`);
      const qrels = queries.slice(0, 5).flatMap((q) => q.judgments.map((j) => `${q.id} 0 ${j.target.docId} ${j.grade}`));
      fs.writeFileSync(path.join(ws, 'qrels.trec'), `${qrels.join('\n')}\n`);
      const ref = JSON.parse(execFileSync('python3', [path.join(__dirname, 'trec_eval_reference.py'), path.join(ws, 'qrels.trec'), path.join(ws, 'prod.trec')]).toString()) as Record<string, Record<string, number>>;
      const ours = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { all: Record<string, number>; per_query: Record<string, Record<string, number>>; manifest: Record<string, unknown>; failures: unknown[] };
      assert.deepEqual(Object.keys(ours.per_query).sort(), Object.keys(ref).sort());
      for (const [qid, m] of Object.entries(ref)) for (const [name, v] of Object.entries(m)) assert.ok(Math.abs(ours.per_query[qid][name] - v) < 1e-9, `${qid} ${name}: ${ours.per_query[qid][name]} vs ${v}`);
      assert.equal(ours.manifest.retriever, 'trace:prod');
      assert.equal(ours.manifest.kind, 'recorded');
      assert.equal(ours.failures.length, 1);
      // The replayed ranking of q2 is the later trace's, not the older one's (whose first document is docs/teams.md).
      assert.ok(Math.abs(ours.per_query.q2.recip_rank - ref.q2.recip_rank) < 1e-9);

      // trace-failures: q1, q2 (two traces) and the new question failed; the evidence names passages and ranks.
      const tf = io();
      const json = path.join(ws, 'failures.json');
      assert.equal(await runCli(['trace-failures', ws, '--json', json], tf.io), 0, tf.err.join('\n'));
      const report = JSON.parse(fs.readFileSync(json, 'utf8')) as { counts: Record<string, number>; failures: Array<{ traceId: string; queryId: string; outcome: string; evidence: Array<{ rank?: number; docId?: string; text: string }> }> };
      // Independently: a failed trace is generation when its ranking holds a grade ≥ 1 document, else retrieval.
      const expected = { unjudged: 1, retrieval: 0, generation: 0, 'missing-document': 0 };
      const relevantOf = (qid: string) => new Set(queries.find((q) => q.id === qid)?.judgments.filter((j) => j.grade > 0).map((j) => j.target.docId));
      for (const [qid, ids] of [['q1', rankings.get('q1')], ['q2', rankings.get('q2')], ['q2', [docs[11], docs[10]]]] as Array<[string, string[]]>) {
        if (ids.some((d) => relevantOf(qid).has(d))) expected.generation++;
        else expected.retrieval++;
      }
      assert.deepEqual(report.counts, expected);
      assert.equal(report.failures[0].traceId, 'tr-new');
      const stdout = tf.out.join('\n');
      assert.match(stdout, /^trace:prod — production failures\n7 traces, 7 with feedback, 4 failed \(feedback score ≤ 0 or a negative label\)\nunjudged 1, retrieval \d, generation \d, missing-document 0\nunjudged: trace tr-new/);
      for (const f of report.failures.filter((x) => x.outcome === 'generation')) {
        assert.ok(f.evidence.length && f.evidence.every((e) => e.rank !== undefined && relevantOf(f.queryId).has(e.docId as string)), JSON.stringify(f));
      }
      for (const f of report.failures.filter((x) => x.outcome === 'retrieval')) assert.match(f.evidence[0].text, /^labeled document docs\/.*\.md \(grade [12]\) was not served$/);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('trace-drift: each week scored as the reference computation scores its own ranking; a drop on every shared query is a regression, a week sharing 2 queries is not tested', async () => {
    const { ws, queries, docs } = workspace();
    try {
      const relevant = (q: EvalQuery) => q.judgments.filter((j) => j.grade > 0).map((j) => j.target.docId as string);
      const others = (q: EvalQuery) => docs.filter((d) => !q.judgments.some((j) => j.target.docId === d));
      const weeks: Array<{ ts: string; ranking: (q: EvalQuery) => string[]; qs: EvalQuery[] }> = [
        // ISO week 2026-W18 (Monday 27 April): the labeled documents first.
        { ts: '2026-04-28T09:00:00Z', ranking: (q) => [...relevant(q), ...others(q).slice(0, 3)], qs: queries },
        // 2026-W19: the labeled documents pushed below unlabeled ones (the first one dropped).
        { ts: '2026-05-05T09:00:00Z', ranking: (q) => [...others(q).slice(0, 4), relevant(q)[1]], qs: queries },
        // 2026-W20: two queries only.
        { ts: '2026-05-12T09:00:00Z', ranking: (q) => [relevant(q)[0]], qs: queries.slice(0, 2) },
      ];
      const rows: unknown[] = [];
      weeks.forEach((w, wi) => w.qs.forEach((q) => rows.push(...spans(`w${wi}-${q.id}`, q.text, w.ranking(q), w.ts, 1))));
      rows.push(...spans('undated', queries[0].text, [docs[0]], '', 1).map((r) => ({ ...(r as object), start_time: undefined })));
      const file = path.join(ws, 'spans.jsonl');
      fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
      const imp = io();
      assert.equal(await runCli(['import-traces', ws, file, '--format', 'openinference'], imp.io), 0, imp.err.join('\n'));

      const json = path.join(ws, 'drift.json');
      const d = io();
      assert.equal(await runCli(['trace-drift', ws, '--json', json], d.io), 0, d.err.join('\n'));
      const report = JSON.parse(fs.readFileSync(json, 'utf8')) as { points: Array<{ key: string; judgedQueries: number; means: Record<string, number>; perQuery: Record<string, Record<string, number>> }>; steps: Array<{ from: string; to: string; shared: number; verdict: string; comparison?: { pValue: number; ci95: [number, number] } }>; undated: number };
      assert.deepEqual(report.points.map((p) => [p.key, p.judgedQueries]), [['2026-W18', 6], ['2026-W19', 6], ['2026-W20', 2]]);
      assert.equal(report.undated, 1);
      // Independently: each week's rankings as a TREC run through the reference script.
      weeks.forEach((w, wi) => {
        const qrels = w.qs.flatMap((q) => q.judgments.map((j) => `${q.id} 0 ${j.target.docId} ${j.grade}`));
        fs.writeFileSync(path.join(ws, 'qrels.trec'), `${qrels.join('\n')}\n`);
        const trec = w.qs.flatMap((q) => w.ranking(q).map((doc, i) => `${q.id} Q0 ${doc} ${i + 1} ${100 - i} w`));
        fs.writeFileSync(path.join(ws, `w${wi}.trec`), `${trec.join('\n')}\n`);
        const ref = JSON.parse(execFileSync('python3', [path.join(__dirname, 'trec_eval_reference.py'), path.join(ws, 'qrels.trec'), path.join(ws, `w${wi}.trec`)]).toString()) as Record<string, Record<string, number>>;
        const point = report.points[wi];
        assert.deepEqual(Object.keys(point.perQuery).sort(), Object.keys(ref).sort());
        for (const [qid, m] of Object.entries(ref)) assert.ok(Math.abs(point.perQuery[qid].ndcg_cut_10 - m.ndcg_cut_10) < 1e-9, `week ${wi} ${qid}`);
        const mean = Object.values(ref).reduce((s, m) => s + m.ndcg_cut_10, 0) / Object.keys(ref).length;
        assert.ok(Math.abs(point.means.ndcg_cut_10 - mean) < 1e-9);
      });
      // W18 → W19: every one of the 6 shared queries lost; the exact sign-flip test gives p = 2/64.
      assert.equal(report.steps[0].shared, 6);
      assert.equal(report.steps[0].verdict, 'regression');
      assert.ok(Math.abs((report.steps[0].comparison?.pValue ?? 1) - 2 / 64) < 1e-12);
      assert.ok((report.steps[0].comparison?.ci95[1] ?? 0) < 0);
      assert.deepEqual([report.steps[1].shared, report.steps[1].verdict, report.steps[1].comparison], [2, 'too few shared queries', undefined]);
      const out = d.out.join('\n');
      assert.match(out, /^trace:prod: ndcg_cut_10 by week \(doc level, all judged queries\)\n {2}2026-W18 \(2026-04-28\): 1\.000 over 6 judged queries \(6 traces\)/);
      assert.match(out, /2026-W18 → 2026-W19: -0\.\d{3} on 6 shared queries .*p = 0\.031.*: regression/);
      assert.match(out, /2026-W19 → 2026-W20: not tested, 2 shared judged queries \(needs 5\)/);
      assert.match(out, /1 trace without a timestamp left out/);

      // By import: one import, one point, and it says a change needs a second period.
      const byImport = io();
      assert.equal(await runCli(['trace-drift', ws, '--by', 'import'], byImport.io), 0);
      assert.match(byImport.out.join('\n'), /^ {2}(?!\/)\S*spans\.jsonl \(2026-04-28 – 2026-05-12\): 0\.\d{3} over 6 judged queries \(15 traces\)\n {2}one period only/m);
      const bad = io();
      assert.equal(await runCli(['trace-drift', ws, '--by', 'month'], bad.io), 2);
      assert.match(bad.err.join('\n'), /--by must be week, day, import, got "month"/);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('--format jsonl --map with --drop-answers keeps no answer or feedback comment on disk; bad arguments and unknown runs exit 2 with one message', async () => {
    const { ws, queries, docs } = workspace();
    try {
      const file = path.join(ws, 'requests.jsonl');
      fs.writeFileSync(file, `${queries.map((q, i) => JSON.stringify({ id: `r${i}`, request: { text: q.text }, hits: [{ doc: docs[i] }, { doc: docs[(i * 2 + 5) % 12] }], reply: `SECRET-ANSWER-${i}`, fb: { stars: i % 2 ? 1 : 0, why: `SECRET-COMMENT-${i}` } })).join('\n')}\n`);
      const c = io();
      assert.equal(await runCli(['import-traces', ws, file, '--format', 'jsonl', '--map', 'query=request.text,documents=hits,id=doc,answer=reply,feedback=fb.stars,comment=fb.why,trace=id', '--name', 'private', '--drop-answers', '--failures'], c.io), 0, c.err.join('\n'));
      assert.match(c.out.join('\n'), /recorded 6 traces as trace:private .*\(answers and feedback comments dropped\)/);
      assert.match(c.out.join('\n'), /6 traces, 6 with feedback, 3 failed/);
      // Every failed query (q0, q2, q4) was served its first relevant document at rank 2: generation failures.
      assert.match(c.out.join('\n'), /unjudged 0, retrieval 0, generation 3, missing-document 0/);
      const stored = fs.readFileSync(path.join(ws, '.retrieval-lens', 'traces', 'private', 'run.jsonl'), 'utf8');
      assert.ok(!/SECRET/.test(stored), 'no answer or comment stored');
      assert.ok(!/SECRET/.test(fs.readFileSync(path.join(ws, '.retrieval-lens', 'evalset.jsonl'), 'utf8')));

      // Production ids that are not workspace paths: the run keeps a documentId rule, used by eval and trace-failures.
      const kb = path.join(ws, 'kb.jsonl');
      fs.writeFileSync(kb, `${queries.map((q, i) => JSON.stringify({ trace_id: `k${i}`, query: q.text, documents: [{ id: `kb:${docs[i]}#3` }, { id: `kb:${docs[(i * 2 + 5) % 12]}#1` }], feedback: i % 2 })).join('\n')}\n`);
      const m = io();
      assert.equal(await runCli(['import-traces', ws, kb, '--format', 'jsonl', '--name', 'mapped', '--document-id-pattern', '^kb:(.*)#\\d+$', '--document-id-replace', '$1'], m.io), 0, m.err.join('\n'));
      const mev = io();
      assert.equal(await runCli(['eval', ws, '--retriever', 'trace:mapped', '--level', 'doc'], mev.io), 0, mev.err.join('\n'));
      assert.match(mev.err.join('\n'), /trace:mapped: hits placed document 12\n/);
      const mtf = io();
      assert.equal(await runCli(['trace-failures', ws, '--name', 'mapped'], mtf.io), 0);
      assert.match(mtf.out.join('\n'), /unjudged 0, retrieval 0, generation 3, missing-document 0/);
      assert.match(mtf.out.join('\n'), /rank 2: kb:docs\/[a-z-]+\.md#1 → docs\/[a-z-]+\.md \[document\] is in the labeled document/);

      const cases: Array<[string[], RegExp]> = [
        [['import-traces', ws, kb, '--format', 'jsonl', '--document-id-pattern', '(['], /--document-id-\*: pattern is not a valid regular expression/],
        [['import-traces', ws, kb, '--format', 'jsonl', '--document-id-from', 'url'], /--document-id-\*: from must be "id" or "path", got "url"/],
        [['import-traces', ws, file], /--format is required: openinference, otlp, langfuse, langsmith, jsonl/],
        [['import-traces', ws, file, '--format', 'zipkin'], /--format must be openinference, otlp, langfuse, langsmith, jsonl, got "zipkin"/],
        [['import-traces', ws, file, '--format', 'jsonl', '--map', 'qq=x'], /--map "qq=x": expected KEY=PATH/],
        [['import-traces', ws, file, '--format', 'otlp', '--map', 'query=x'], /--map applies to --format jsonl only/],
        [['import-traces', ws, file, '--format', 'jsonl', '--name', '../x'], /--name: trace run name "\.\.\/x"/],
        [['import-traces', ws, path.join(ws, 'missing.jsonl'), '--format', 'jsonl'], /missing\.jsonl: cannot read/],
        [['eval', ws, '--retriever', 'trace:nope', '--level', 'doc'], /no recorded run "nope" in .* \(recorded: trace:mapped, trace:private\)/],
        [['trace-failures', ws, '--name', 'nope'], /no recorded run "nope" .*\(recorded: mapped, private\)/],
      ];
      for (const [argv, re] of cases) {
        const e = io();
        assert.equal(await runCli(argv, e.io), 2, argv.join(' '));
        assert.match(e.err.join('\n'), re);
      }
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('search and pool take trace:NAME like any external retriever: the served passages placed, pooled for judging beside bm25', async () => {
    const { ws, queries, docs } = workspace();
    try {
      const file = path.join(ws, 'g.jsonl');
      const text = fs.readFileSync(path.join(ws, docs[3]), 'utf8');
      const passage = text.slice(text.indexOf('Paragraph'), text.indexOf('Paragraph') + 30);
      fs.writeFileSync(file, `${JSON.stringify({ trace_id: 'p1', query: queries[0].text, documents: [{ path: docs[3], text: passage }, { id: 'kb-404' }] })}\n`);
      const c = io();
      assert.equal(await runCli(['import-traces', ws, file, '--format', 'jsonl'], c.io), 0, c.err.join('\n'));
      const s1 = io();
      assert.equal(await runCli(['search', ws, queries[0].text, '--retriever', 'trace:prod'], s1.io), 0, s1.err.join('\n'));
      const start = text.indexOf(passage);
      assert.match(s1.out.join('\n'), new RegExp(`  1  2\\.0000  ${docs[3]}  ${docs[3]}:${start}-${start + passage.length}  \\[exact\\]`));
      assert.match(s1.err.join('\n'), /trace:prod: 2 hits; placed exact 1, unplaced 1/);
      const p = io();
      assert.equal(await runCli(['pool', ws, '--retrievers', 'bm25', '--retriever', 'trace:prod', '--k', '5', '--split', 'all'], p.io), 0, p.err.join('\n'));
      assert.match(p.err.join('\n'), /trace:prod: 1 hits map to no workspace document/);
      assert.match([...p.out, ...p.err].join('\n'), /Hole@5: keyword \d+% \(\d+\/\d+\) · trace:prod \d+% \(\d+\/\d+\)/);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
