import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { loadBeirCorpus } from '../../../../src/core/corpus/load-beir';
import { diagnoseMisses, type Miss } from '../../../../src/core/diagnose/diagnose-misses';
import { buildReadinessReport, renderReadinessMarkdown } from '../../../../src/core/diagnose/readiness-report';
import type { Embedder } from '../../../../src/core/embed/embedder';
import { UseLiteEmbedder } from '../../../../src/core/embed/use-lite-embedder';
import { readBeirQrels, readBeirQueries } from '../../../../src/core/eval/beir-io';
import { evaluate } from '../../../../src/core/eval/evaluate';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { EvalSetFile } from '../../../../src/core/eval/evalset-file';
import type { EvalQuery } from '../../../../src/core/eval/evalset-types';
import { trialFineTune } from '../../../../src/core/adapt/trial-finetune';
import { renderTrialMarkdown } from '../../../../src/core/adapt/trial-report';
import { levelSupport } from '../../../../src/core/eval/label-level';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import type { RankPosition, RetrieverName } from '../../../../src/core/retrieve/types';
import { retrievalSettings } from '../../../../src/core/settings/workspace-settings';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';
import { demoDir, scifactDir, skipUnlessShared } from '../../../helpers/shared';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/**
 * Every rank a miss's evidence states about the baseline index must be its own recorded position, and no miss may
 * state a rank inside K for the retriever under diagnosis. Categories whose evidence speaks of other indexes (a
 * re-chunked or other-model variant) or of an unfiltered re-run are checked on what they say of the baseline only.
 */
function checkEvidence(m: Miss, k: number, baseline: RetrieverName): void {
  const at = (p: RankPosition | undefined) => p?.rank ?? null;
  const b = at(m.positions[baseline]);
  assert.ok(b === null || b > k, `${m.queryId}/${m.docId} (${m.category}): the ${baseline} baseline ranks it ${b}, inside K = ${k}, yet it is a miss`);
  const hybrid = at(m.positions.hybrid);
  if (baseline !== 'hybrid' && hybrid !== null && hybrid <= k) {
    assert.ok(['missing-document', 'stale', 'filtered-out', 'chunking', 'exact-match', 'lexical', 'fusion'].includes(m.category), `${m.queryId}/${m.docId}: hybrid recovers it at rank ${hybrid} but it is filed as ${m.category}: ${m.evidence}`);
  }
  if (m.category === 'ranking') {
    const rank = Number(/at rank (\d+)/.exec(m.evidence)?.[1]);
    assert.ok(rank > k, `${m.queryId}/${m.docId}: ranking evidence states rank ${rank} inside K = ${k}: ${m.evidence}`);
    for (const r of ['hybrid', baseline] as RetrieverName[]) assert.ok(at(m.positions[r]) === null || (at(m.positions[r]) as number) > k, `${m.queryId}: ${r} at ${at(m.positions[r])} inside K, filed as ranking`);
  }
  if (['exact-match', 'lexical', 'fusion', 'semantic'].includes(m.category)) {
    // "keyword search finds it at rank 1", "dense at rank 7", "hybrid recovers it at rank 4", "keyword not retrieved", "dense rank 3".
    const said = [...m.evidence.matchAll(/\b(keyword|dense|hybrid|rerank)\b(?: search finds it| fusion recovers it| recovers it)?(?: at)? (rank (\d+)|not retrieved)/g)];
    assert.ok(said.length >= 2, `${m.queryId}: evidence names the retrievers' positions: ${m.evidence}`);
    for (const s of said) {
      const stated = s[3] === undefined ? null : Number(s[3]);
      assert.equal(stated, at(m.positions[s[1] as RetrieverName]), `${m.queryId}/${m.docId}: evidence says ${s[0]} but the recorded ${s[1]} position is ${at(m.positions[s[1] as RetrieverName])}: ${m.evidence}`);
    }
  }
}

describe('figures at the level the labels support', () => {
  let embedder: Embedder;
  before(async () => {
    embedder = await UseLiteEmbedder.load();
  });

  it('a readiness report on document labels only is scored at document level and equals eval --level doc', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    // SciFact abstracts as files of a workspace, its judgments imported as whole-document labels (the usual shape of
    // qrels from TREC or BEIR): 40 queries, their relevant abstracts and 400 others.
    const dir = scifactDir() as string;
    const qrels = readBeirQrels(path.join(dir, 'qrels.tsv'));
    const queries = (await readBeirQueries(path.join(dir, 'queries.jsonl'))).filter((q) => qrels.has(q.id)).slice(0, 40);
    const corpus = await loadBeirCorpus(dir);
    const wanted = new Set(queries.flatMap((q) => [...(qrels.get(q.id) as Map<string, number>).keys()]));
    const docs = corpus.documents.filter((d, i) => wanted.has(d.id) || i < 200);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-doclabels-'));
    for (const d of docs) fs.writeFileSync(path.join(root, `${d.id}.md`), `# ${d.title}\n\n${d.text.slice(d.title.length).trim()}\n`);
    // The judgments come in as one command, as a team would bring qrels from TREC or BEIR: import-judgments maps
    // each corpus id to its file (the path without extension) and creates each query from queries.jsonl.
    const exchange = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-doclabels-qrels-'));
    const kept = new Set(docs.map((d) => d.id));
    const rows = queries.flatMap((q) => [...(qrels.get(q.id) as Map<string, number>)].filter(([id]) => kept.has(id)).map(([id, g]) => `${q.id}\t${id}\t${g}`));
    fs.writeFileSync(path.join(exchange, 'test.tsv'), `query-id\tcorpus-id\tscore\n${rows.join('\n')}\n`);
    fs.writeFileSync(path.join(exchange, 'queries.jsonl'), queries.map((q) => JSON.stringify({ _id: q.id, text: q.text })).join('\n') + '\n');
    const imported = io();
    assert.equal(await runCli(['import-judgments', root, path.join(exchange, 'test.tsv'), '--format', 'beir', '--queries', path.join(exchange, 'queries.jsonl')], imported.io), 0, imported.err.join('\n'));
    const target = await loadEvalTarget(root);
    assert.equal(levelSupport(target.queries).kind, 'documents');
    const retrieval = retrievalSettings({}, 'markdown');
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-doclabels-ix-'));
    const report = await buildReadinessReport(
      target,
      async (c, e) => (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: c, keyword: retrieval.keyword, embedder: e, storageDir: path.join(storage, c.kind) })).index,
      { baseline: new CharTrigramEmbedder(), alternatives: [], crossEncoder: null, chunker: retrieval.chunker },
      { rechunkers: [{ kind: 'recursive', size: 1000, overlap: 100 }] },
    );
    assert.deepEqual(report.levels.scored, ['doc']);
    assert.match(report.levels.unscored.chunk ?? '', /whole document/);
    assert.ok(report.configs.length >= 3 && report.configs.every((c) => c.level === 'doc'));
    const keyword = report.configs.find((c) => c.label === 'keyword (BM25)');
    assert.ok(keyword && keyword.ndcg_cut_10 > 0.3, `keyword nDCG@10 at document level is measured, got ${keyword?.ndcg_cut_10}`);
    for (const c of report.configs) assert.ok(c.ndcg_cut_10 > 0, `${c.label} is measured, not 0.000`);
    assert.match(report.checklist.find((c) => c.item === 'Baseline measured')?.detail ?? '', /^dense nDCG@10 0\.\d{3}, Recall@5 0\.\d{3} at document level$/);
    assert.ok(report.judgedSpans > 0 && report.found > 0, `documents are found: ${report.found} of ${report.judgedSpans}`);

    const md = renderReadinessMarkdown(report);
    assert.match(md, /## What each fix gains \(eval split, document level, 40 queries\)/);
    assert.match(md, /Chunk level is not measured: every eval-split judgment is a whole document/);
    assert.match(md, /## Why documents were missed/);
    assert.doesNotMatch(md, /at chunk level|\(eval split, chunk level/);
    assert.match(md, /a document counts as found when it is among the top 5 documents\./);

    const c = io();
    const metrics = path.join(storage, 'm.json');
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--level', 'doc', '--metrics-out', metrics], c.io), 0, c.err.join('\n'));
    const cli = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { all: Record<string, number> };
    assert.equal(cli.all.num_q, 40);
    assert.ok(Math.abs(cli.all.ndcg_cut_10 - keyword.ndcg_cut_10) < 1e-12, `report ${keyword.ndcg_cut_10} = eval --level doc ${cli.all.ndcg_cut_10}`);

    // Chunk level on these labels is refused with the reason, not printed as 0.000.
    const refused = io();
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--level', 'chunk'], refused.io), 2);
    assert.match(refused.err.join('\n'), /--level chunk: every eval-split judgment is a whole document/);

    // Document misses are ranked by document, and their evidence holds up.
    for (const m of report.misses) {
      assert.equal(m.rankedBy, 'document');
      checkEvidence(m, 5, 'dense');
    }
    // Document ranks agree with the document-level run: found = judged relevant documents among its top 5 documents.
    const ix = (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: retrieval.chunker, keyword: retrieval.keyword, embedder: new CharTrigramEmbedder(), storageDir: path.join(storage, retrieval.chunker.kind) })).index;
    const run = await evaluate(ix, target.queries, { retriever: 'dense', level: 'doc', split: 'eval' });
    let inTop5 = 0;
    for (const q of target.queries) {
      const top = run.ranking.get(q.id)?.slice(0, 5) ?? [];
      inTop5 += q.judgments.filter((j) => j.grade >= 1 && top.includes(j.target.docId)).length;
    }
    assert.equal(report.found, inTop5);
  });

  it('a mixed eval set (spans and whole documents) is scored at both levels, each stated', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-mixed-'));
    fs.cpSync(demoDir, root, { recursive: true });
    fs.rmSync(path.join(root, '.retrieval-lens', 'index'), { recursive: true, force: true });
    const evalSet = EvalSetFile.forWorkspace(root);
    evalSet.upsert({ id: 'doc-webhooks', text: 'how are webhook signatures verified', split: 'eval', judgments: [{ grade: 2, target: { type: 'document', docId: 'docs/guides/webhooks.md' } }] });
    evalSet.upsert({ id: 'doc-retries', text: 'what happens when delivery fails', split: 'eval', judgments: [{ grade: 2, target: { type: 'document', docId: 'docs/guides/delivery-semantics.md' } }] });
    evalSet.save();
    const target = await loadEvalTarget(root);
    const support = levelSupport(target.queries);
    assert.equal(support.kind, 'mixed');
    assert.equal(support.queriesAt.doc, support.queriesAt.chunk + 2);
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-mixed-ix-'));
    const chunker = { kind: 'markdown' as const, maxSize: 1500, minSize: 0 };
    const report = await buildReadinessReport(target, async (c, e) => (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: c, embedder: e, storageDir: path.join(storage, c.kind) })).index, { baseline: embedder, alternatives: [], crossEncoder: null, chunker }, { rechunkers: [] });
    assert.deepEqual(report.levels.scored, ['chunk', 'doc']);
    const at = (level: 'doc' | 'chunk') => report.configs.filter((c) => c.level === level);
    assert.deepEqual(at('chunk').map((c) => c.label), at('doc').map((c) => c.label));
    const md = renderReadinessMarkdown(report);
    assert.match(md, new RegExp(`## What each fix gains \\(eval split, chunk level, the ${support.queriesAt.chunk} of ${support.queriesAt.doc} queries with span labels\\)`));
    assert.match(md, new RegExp(`## What each fix gains \\(eval split, document level, all ${support.queriesAt.doc} queries \\(span labels count for their document\\)\\)`));
    assert.match(report.checklist.find((c) => c.item === 'Baseline measured')?.detail ?? '', /at chunk level; dense nDCG@10 .* at document level$/);
    assert.match(md, /## Why spans and documents were missed/);
    // The chunk-level figures are those of the span-labelled queries alone (the existing chunk-level behaviour).
    const spansOnly = { ...target, queries: target.queries.filter((q) => q.judgments.some((j) => j.target.type === 'span')) };
    const chunkOnly = await buildReadinessReport(spansOnly, async (c, e) => (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: c, embedder: e, storageDir: path.join(storage, c.kind) })).index, { baseline: embedder, alternatives: [], crossEncoder: null, chunker }, { rechunkers: [] });
    assert.deepEqual(chunkOnly.levels.scored, ['chunk']);
    assert.deepEqual(at('chunk').map((c) => c.ndcg_cut_10), chunkOnly.configs.map((c) => c.ndcg_cut_10));
    for (const m of report.misses) checkEvidence(m, 5, 'dense');

    // The adapter gain, like every other figure, at both levels: chunk level on the span-labelled queries, document
    // level on all of them — and the same figures a trial fine-tune asked for document level first reports.
    const g = report.adapterGain;
    assert.ok(g?.measured && g.otherLevel);
    assert.deepEqual([g.level, g.evalQueries, g.otherLevel.level, g.otherLevel.evalQueries], ['chunk', support.queriesAt.chunk, 'doc', support.queriesAt.doc]);
    const index = (await WorkspaceIndex.openOrBuild(target.corpus, { chunker, embedder, storageDir: path.join(storage, chunker.kind) })).index;
    const docFirst = (await trialFineTune(index, target.queries, { level: 'doc', curve: [1] })).result;
    assert.equal(docFirst.eval_queries, support.queriesAt.doc);
    assert.deepEqual([docFirst.delta, docFirst.ci95, docFirst.p_value], [g.otherLevel.delta, g.otherLevel.ci95, g.otherLevel.pValue]);
    assert.equal(docFirst.other_level?.level, 'chunk');
    assert.deepEqual([docFirst.other_level?.eval_queries, docFirst.other_level?.dense.delta, docFirst.other_level?.dense.p_value], [g.evalQueries, g.delta, g.pValue]);
    // Independently: the document-level baseline of the trial is the report's document-level dense baseline.
    assert.ok(Math.abs(docFirst.baseline.ndcg_cut_10 - (at('doc').find((c) => c.what === 'baseline')?.ndcg_cut_10 ?? NaN)) < 1e-12);
    assert.match(renderTrialMarkdown(docFirst), /At chunk level too \(a mixed eval set is scored at both levels; \d+ queries\)/);
    assert.match(md, /\| dense \+ adapter at doc level \| \d\.\d{3} \| [+-]\d\.\d{3} \|/);
    const gainItem = report.checklist.find((c) => c.item === 'Expected gain justifies cost and latency');
    assert.match(gainItem?.detail ?? '', /at chunk level; .* at document level/);
  });

  it('a miss that hybrid recovers is a hybrid fix (exact-match, lexical or fusion), never ranking: demo, every retriever as baseline', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-fusion-'));
    fs.cpSync(demoDir, root, { recursive: true });
    fs.rmSync(path.join(root, '.retrieval-lens', 'index'), { recursive: true, force: true });
    const target = await loadEvalTarget(root);
    const index = (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: { kind: 'markdown', maxSize: 1500, minSize: 0 }, embedder, storageDir: fs.mkdtempSync(path.join(os.tmpdir(), 'rl-fusion-ix-')) })).index;
    let checked = 0;
    const categories = new Set<string>();
    for (const baseline of ['dense', 'keyword', 'hybrid'] as const) {
      for (const k of [1, 3, 5]) {
        const { misses } = await diagnoseMisses({ index, root, corpusOptions: { exclude: target.settings.exclude }, queries: target.queries, variants: [] }, { k, baseline, candidates: 30, split: 'all' });
        for (const m of misses) {
          checkEvidence(m, k, baseline);
          categories.add(m.category);
          checked++;
        }
      }
    }
    assert.ok(checked > 50, `${checked} misses checked`);
    assert.ok(categories.has('fusion'), `the demo at small K has misses that only fusion recovers (seen: ${[...categories].join(', ')})`);
  });

  it('evidence of every miss matches its own positions on SciFact (document judgments)', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const target = await loadEvalTarget(scifactDir() as string);
    const queries: EvalQuery[] = target.queries.slice(0, 100);
    // The judged abstracts of these queries among 1,000 others: enough confusers for misses of every kind.
    const judged = new Set(queries.flatMap((q) => q.judgments.map((j) => j.target.docId)));
    const corpus = { ...target.corpus, documents: target.corpus.documents.filter((d, i) => judged.has(d.id) || i < 1000) };
    const index = (await WorkspaceIndex.openOrBuild(corpus, { chunker: { kind: 'whole-document' }, embedder: new CharTrigramEmbedder(), storageDir: fs.mkdtempSync(path.join(os.tmpdir(), 'rl-scifact-ix-')) })).index;
    let checked = 0;
    for (const baseline of ['dense', 'keyword'] as const) {
      const { misses, judged, found } = await diagnoseMisses({ index, queries, variants: [] }, { k: 5, baseline, candidates: 30, split: 'all' });
      assert.equal(found + misses.length, judged);
      for (const m of misses) {
        assert.equal(m.rankedBy, 'document');
        checkEvidence(m, 5, baseline);
        checked++;
      }
    }
    assert.ok(checked > 50, `${checked} misses checked`);
  });
});
