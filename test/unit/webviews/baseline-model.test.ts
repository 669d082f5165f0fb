import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILURE_CATEGORIES, type FailureCategory } from '../../../src/core/diagnose/diagnose-misses';
import type { EvaluationResult } from '../../../src/core/eval/evaluate';
import { baselineView, CATEGORY_WIDTH } from '../../../src/extension/webviews/baseline/baseline-model';
import type { BaselineResult, BaselineRun } from '../../../src/extension/webviews/baseline/baseline-host';

/** An evaluation result with the given per-query nDCG@10 (the mean is its average, as trec_eval reports it). */
function evaluation(perQuery: Record<string, number>, extra: Record<string, number> = {}): EvaluationResult {
  const values = Object.values(perQuery);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    metrics: { all: { ndcg_cut_10: mean, recall_10: mean, P_10: mean / 2, recip_rank: mean, map: mean, num_q: values.length, ...extra }, perQuery: Object.fromEntries(Object.entries(perQuery).map(([q, v]) => [q, { ndcg_cut_10: v }])) },
    ranking: new Map(),
    hits: new Map(),
    qrels: {} as EvaluationResult['qrels'],
    manifest: {} as EvaluationResult['manifest'],
  };
}

const categories = (counts: Partial<Record<FailureCategory, number>>) => Object.fromEntries(FAILURE_CATEGORIES.map((c) => [c, counts[c] ?? 0])) as Record<FailureCategory, number>;

function result(runs: BaselineRun[], over: Partial<BaselineResult> = {}): BaselineResult {
  return { k: 10, queries: 3, level: 'chunk', heading: 'chunk level: 3 queries with spans', runs, categories: categories({ semantic: 3, chunking: 1 }), baselineRetriever: 'dense', ...over };
}

describe('baseline view model', () => {
  const keyword = { retriever: 'keyword' as const, result: evaluation({ q1: 0.2, q2: 0.9, q3: 0.5 }) };
  const dense = { retriever: 'dense' as const, result: evaluation({ q1: 0.8, q2: 0.4, q3: 0.5 }) };
  const adapted = { retriever: 'dense' as const, adapter: 'adapter-x', result: evaluation({ q1: 0.9, q2: 0.6, q3: 0.5 }) };

  it('names the runs, a "+ adapter" run apart, in one bar per run for each measure', () => {
    const v = baselineView(result([keyword, dense, adapted]));
    assert.equal(v.title, 'Baseline: 3 eval queries, chunk level, K = 10');
    assert.deepEqual(v.metrics.map((m) => m.measure), ['ndcg_cut_10', 'recall_10', 'P_10', 'recip_rank', 'map']);
    assert.deepEqual(v.metrics[0].bars.map((b) => [b.run, b.adapted]), [['keyword', false], ['dense', false], ['dense + adapter', true]]);
    assert.equal(v.metrics[2].bars[1].value, dense.result.metrics.all.P_10);
  });

  it('compares every run with the baseline retriever per query: wins and losses with the query text', () => {
    const v = baselineView(result([keyword, dense, adapted], { queryTexts: { q1: '<img src=x onerror=alert(1)>', q2: 'second' } }));
    assert.deepEqual(v.comparisons.map((c) => `${c.run} vs ${c.base}`), ['keyword vs dense', 'dense + adapter vs dense']);
    const kw = v.comparisons[0];
    assert.deepEqual(kw.items.map((i) => [i.kind, i.queryId, i.from, i.to]), [['win', 'q2', '0.40', '0.90'], ['loss', 'q1', '0.80', '0.20']]);
    // The text as it is: the app binds it as text, so the model does not escape it.
    assert.equal(kw.items.find((i) => i.queryId === 'q1')?.queryText, '<img src=x onerror=alert(1)>');
    assert.equal(kw.items.find((i) => i.queryId === 'q3'), undefined, 'a tie is neither');
    assert.match(kw.summary, /^Δ nDCG@10 -0\.033 \(95% CI -?\d\.\d{3} to \d\.\d{3}, randomization p = \d\.\d{3}\): better on 1, worse on 1, tied on 1\.$/);
  });

  it('has nothing to compare with one run, and says why nothing was measured', () => {
    const v = baselineView(result([dense], { unscored: 'no eval query has labels' }));
    assert.deepEqual(v.comparisons, []);
    assert.equal(v.intro, 'Not measured: no eval query has labels.');
    const docs = baselineView(result([dense], { level: 'doc', heading: 'document level: 3 queries' }));
    assert.match(docs.intro, /^Your judgments are whole documents, so each document scores its best chunk \(document level: 3 queries\)/);
  });

  it('sizes the failure categories by their share of the misses, a non-zero one at least 2 wide', () => {
    const v = baselineView(result([dense], { categories: categories({ semantic: 199, chunking: 1 }) }));
    assert.equal(v.missesTitle, 'Why the dense baseline misses (200 missed spans)');
    assert.deepEqual(v.categories.map((c) => c.name), [...FAILURE_CATEGORIES]);
    assert.equal(v.categories.find((c) => c.name === 'semantic')?.width, (199 / 200) * CATEGORY_WIDTH);
    assert.equal(v.categories.find((c) => c.name === 'chunking')?.width, 2);
    assert.equal(v.categories.find((c) => c.name === 'stale')?.width, 0);
    assert.ok(baselineView(result([dense], { categories: categories({}) })).categories.every((c) => c.width === 0));
  });

  it('gives exact-match and lexical misses each their own row and fix', () => {
    const v = baselineView(result([dense], { categories: categories({ 'exact-match': 1, lexical: 9 }) }));
    const exact = v.categories.find((c) => c.name === 'exact-match');
    const lexical = v.categories.find((c) => c.name === 'lexical');
    assert.deepEqual([exact?.count, lexical?.count], [1, 9]);
    assert.match(exact?.fix ?? '', /exact token/);
    assert.match(lexical?.fix ?? '', /hybrid .* or a stronger base embedding model: keyword search finds it by shared words/);
  });

  it('states the adapter the "+ adapter" runs used, or why there is none', () => {
    assert.equal(baselineView(result([dense])).adapter.before, 'No query adapter is on (retrievalLens.queryAdapter). ');
    const on = baselineView(result([dense, adapted], { adapter: { id: 'adapter-x', note: '', trained: '+0.050 nDCG@10' } })).adapter;
    assert.equal(on.before, 'The “+ adapter” runs map each query vector with adapter-x (retrievalLens.queryAdapter); its trial measured +0.050 nDCG@10. ');
    assert.equal(baselineView(result([dense], { adapter: { note: 'another model', } })).adapter.before, 'another model ');
  });

  it('draws the applied adapter\'s learning curve: both series labelled with their pairs, one when the trial had no synthetic queries', () => {
    const pt = (share: number, delta: number, pairs: number, synthetic: number) => ({ share, pairs, synthetic_pairs: synthetic, delta, ci95: [delta - 0.1, delta + 0.1] as [number, number], p_value: 0.3 });
    const mixed = { kind: 'mixed' as const, basis: 'shares of the real fit pairs', curve: [pt(0.5, 0.02, 15, 10), pt(1, 0.06, 20, 10)], realCurve: [pt(0.5, 0.01, 5, 0), pt(1, 0.03, 10, 0)], reading: 'inside the noise' };
    const v = baselineView(result([dense, adapted], { adapter: { id: 'adapter-x', note: '', learningCurve: mixed } }));
    assert.ok(v.adapterCurve);
    assert.deepEqual(v.adapterCurve.series.map((s) => [s.name, s.label, s.dashed]), [['with synthetic queries', 'with synthetic queries (20 pairs: 10 real + 10 synthetic)', false], ['real queries only', 'real queries only (10 pairs)', true]]);
    const [w, r] = v.adapterCurve.series;
    assert.ok(w.points[1].y < r.points[1].y, 'the larger gain is drawn higher');
    assert.ok(r.points[0].y < v.adapterCurve.zeroY, 'a positive gain lies above the dense line');
    assert.match(w.points[0].title, /^with synthetic queries, 50% \(15 pairs: 5 real \+ 10 synthetic\): Δ \+0\.020/);
    assert.equal(v.adapterCurve.reading, 'inside the noise');
    // Each gain with its 95% CI bar, inside the plot (the range holds the bars), the two series' bars set apart.
    const top = v.adapterCurve.grid[0].y;
    const bottom = v.adapterCurve.grid[v.adapterCurve.grid.length - 1].y;
    for (const p of [...w.points, ...r.points]) {
      assert.ok(p.ciHigh < p.y && p.y < p.ciLow, 'the bar spans the point');
      assert.ok(p.ciHigh >= top - 1e-9 && p.ciLow <= bottom + 1e-9, 'the bar stays in the plot');
    }
    assert.ok(r.points[0].ciLow > v.adapterCurve.zeroY, "a CI reaching below 0 is drawn below the dense line (here −0.09)");
    assert.notEqual(w.points[1].ciX, r.points[1].ciX);
    const one = baselineView(result([dense, adapted], { adapter: { id: 'adapter-x', note: '', learningCurve: { ...mixed, kind: 'none', curve: [pt(1, 0.04, 12, 0)], realCurve: [] } } })).adapterCurve;
    assert.deepEqual(one?.series.map((s) => s.label), ['all pairs (12 pairs)']);
    assert.equal(baselineView(result([dense], { adapter: { note: 'off', learningCurve: mixed } })).adapterCurve, undefined, 'no adapter on, no curve');
  });

  it('lays the fusion sweep out along the dense weight, with RRF and the configured point', () => {
    const point = (label: string, w: number | null, v: number) => ({ label, retriever: 'hybrid' as const, denseWeight: w, fusion: undefined, result: evaluation({ q1: v }) });
    const curve = [point('keyword', 0, 0.5), point('w 0.5', 0.5, 0.75), point('dense', 1, 0.25)];
    const configured = { ...point('configured', 0.5, 0.75), fusion: { method: 'weighted' as const, normalization: 'z-score' as const, denseWeight: 0.5, rrfK: 60, depth: 100 } };
    const comparison = { measure: 'ndcg_cut_10', queries: 1, meanA: 0.5, meanB: 0.75, meanDiff: 0.25, ci95: [0.25, 0.25] as [number, number], pValue: 1, wins: [], losses: [], ties: 0 };
    const sweep = { measure: 'ndcg_cut_10', curve, rrf: point('RRF', null, 0.5), configured, bestSingle: curve[0], configuredVsBestSingle: comparison };
    const s = baselineView(result([keyword, dense], { sweep: sweep as unknown as BaselineResult['sweep'] })).sweep;
    assert.ok(s);
    // x: 40 + weight × 520; y: 10 + (1 − value) × 180.
    assert.deepEqual(s.points.map((p) => [p.x, p.y, p.title]), [[40, 100, 'keyword: 0.500'], [300, 55, 'w 0.5: 0.750'], [560, 145, 'dense: 0.250']]);
    assert.deepEqual(s.rrf, { y: 100, label: 'RRF 0.500' });
    assert.deepEqual(s.configured, { x: 300, y: 55, label: 'configured 0.750' });
    assert.equal(s.normalization, 'z-score');
    assert.match(s.verdict, /^The configured hybrid \(weighted z-score, dense weight 0\.5\) scores 0\.750 ndcg_cut_10, at least keyword \(0\.500\)/);
  });

  it('gives each configured retriever its row against the local reference, or why it was not contacted', () => {
    const scored = { name: 'team-rag', destination: 'https://rag.example/search', status: 'scored', result: { metrics: evaluation({ q1: 0.6 }, { recall_10: 0.7 }).metrics, placement: { offsets: 3, document: 1, unplaced: 0 }, failures: [{ qid: 'q2' }] }, vsLocal: { meanDiff: -0.1, pValue: 0.25 } };
    const refused = { name: 'other', destination: 'db:5432', status: 'not contacted', reason: 'this workspace is not trusted' };
    const configured = { local: { name: 'hybrid', result: { metrics: evaluation({ q1: 0.7 }, { recall_10: 0.8 }).metrics } }, lines: [scored, refused] } as unknown as NonNullable<BaselineResult['configured']>;
    const c = baselineView(result([dense], { configured })).configured;
    assert.ok(c);
    assert.match(c.intro, /beside the local hybrid scored the same way: nDCG@10 0\.700, recall@10 0\.800\./);
    assert.equal(c.columns[5], 'Δ nDCG@10 vs hybrid');
    assert.deepEqual(c.rows[0], { name: 'team-rag', destination: 'https://rag.example/search', status: 'scored', ndcg: '0.600', recall: '0.700', vsLocal: '-0.100 (p = 0.250)', note: '1 queries failed (left out); hits placed offsets 3, document 1' });
    assert.deepEqual(c.rows[1], { name: 'other', destination: 'db:5432', status: 'not contacted', ndcg: '—', recall: '—', vsLocal: '—', note: 'this workspace is not trusted' });
  });
});
