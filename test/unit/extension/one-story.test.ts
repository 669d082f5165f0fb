import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { ChunkerConfig } from '../../../src/core/chunking/chunk';
import { missCounts, type Miss } from '../../../src/core/diagnose/diagnose-misses';
import { baseCategoryOf, categoryText } from '../../../src/core/diagnose/miss-words';
import { buildReadinessReport, renderReadinessMarkdown, type ReadinessReport } from '../../../src/core/diagnose/readiness-report';
import type { Embedder } from '../../../src/core/embed/embedder';
import { UseLiteEmbedder } from '../../../src/core/embed/use-lite-embedder';
import { loadEvalTarget, type EvalTarget } from '../../../src/core/eval/eval-target';
import type { EvalQuery } from '../../../src/core/eval/evalset-types';
import { WorkspaceIndex } from '../../../src/core/index/workspace-index';
import { RETRIEVERS } from '../../../src/core/retrieve/types';
import { diagnosisSettings, MissDiagnoses, type DiagnosisSettings } from '../../../src/extension/diagnosis/miss-diagnoses';
import { runBaseline } from '../../../src/extension/webviews/baseline/baseline-host';
import { baselineView } from '../../../src/extension/webviews/baseline/baseline-model';
import { missBaseline, missedSpans } from '../../../src/extension/webviews/inspector/inspector-model';
import { readinessView } from '../../../src/extension/webviews/readiness/readiness-model';
import { missLine, missMessage } from '../../../src/protocol/miss-line';
import { demoDir } from '../../helpers/shared';

/**
 * One story across views on the demo: the inspector (its miss line and cards), the Problems entry and hover, the
 * baseline and the readiness report give the same miss the same category, read from one diagnosis; where the report's
 * what-if indexes refine a category, the refinement is named beside the base category.
 */
describe('one diagnosis across views (demo workspace)', () => {
  const chunker: ChunkerConfig = { kind: 'markdown', maxSize: 1500, minSize: 0 };
  let root: string;
  let target: EvalTarget;
  let index: WorkspaceIndex;
  let embedder: Embedder;
  let settings: DiagnosisSettings;
  let evalQueries: EvalQuery[];
  let report: ReadinessReport;
  const service = new MissDiagnoses();
  const key = (m: Pick<Miss, 'queryId' | 'judgmentIndex'>) => `${m.queryId}#${m.judgmentIndex}`;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-story-'));
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-story-store-'));
    fs.cpSync(demoDir, root, { recursive: true });
    fs.rmSync(path.join(root, '.retrieval-lens', 'index'), { recursive: true, force: true });
    embedder = await UseLiteEmbedder.load();
    target = await loadEvalTarget(root);
    evalQueries = target.queries.filter((q) => q.split === 'eval');
    let n = 0;
    const open = async (c: ChunkerConfig, e: Embedder | null) => (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: c, embedder: e, storageDir: path.join(storage, String(n++)) })).index;
    index = await open(chunker, embedder);
    // The editor's settings for the demo: topK 10, the demo's exclude globs (what readConfig gives for an unset include).
    settings = diagnosisSettings({ topK: 10, include: ['**/*'], exclude: target.settings.exclude }, root, true);
    // The report as the editor builds it: the live index for its own chunker, what-if indexes for the default re-chunkers.
    report = await buildReadinessReport(
      target,
      async (c, e) => (JSON.stringify(c) === JSON.stringify(chunker) && e === embedder ? index : open(c, e)),
      { baseline: embedder, alternatives: [], crossEncoder: null, chunker },
      { k: settings.k, baseline: settings.baseline, candidates: settings.candidates, adapterTrial: false },
    );
  });

  it('the report diagnoses with the same question the other views ask, and its base categories are theirs, miss by miss', async () => {
    const shared = await service.diagnose(index, evalQueries, settings);
    assert.ok(shared.misses.length > 0, 'the demo has misses');
    assert.deepEqual(report.misses.map(key).sort(), shared.misses.map(key).sort(), 'the same misses');
    const base = new Map(shared.misses.map((m) => [key(m), m.category]));
    for (const m of report.misses) assert.equal(baseCategoryOf(m), base.get(key(m)), `${key(m)}: the report's category without what-ifs is the shared one`);
    assert.deepEqual(report.baseCounts, missCounts(shared.misses), 'the report counts "without what-ifs" as the baseline counts');
    assert.equal(report.found, shared.found);
    assert.equal(report.judgedSpans, shared.judged);
  });

  it('names each what-if refinement beside the base category, in the Markdown and in the report view', () => {
    const refined = report.misses.filter((m) => m.whatIf);
    console.log(`what-if refinements: ${refined.map((m) => `${m.queryId}: ${categoryText(m)}`).join(' | ') || 'none'}`);
    assert.ok(refined.length >= 1, 'on the demo a what-if chunker recovers at least one miss');
    const md = renderReadinessMarkdown(report);
    const rows = readinessView(report).missed.rows;
    for (const m of refined) {
      const text = categoryText(m);
      assert.equal(text, `${m.category} — found by the what-if ${m.whatIf?.variant}; without what-ifs: ${m.whatIf?.baseCategory}${m.whatIf?.baseVerified ? '' : ' (unverified)'}`);
      assert.notEqual(m.category, m.whatIf?.baseCategory);
      assert.ok(md.includes(text), `the Markdown names the what-if of ${m.queryId}`);
      assert.ok(rows.some((r) => r[2] === text), `the report view names the what-if of ${m.queryId}`);
    }
    // The static-membership miss of the issue: chunking in the report only because a what-if chunker keeps its span
    // whole; without what-ifs (every other view) it is what the index alone says, and the report says so.
    const sm = report.misses.find((m) => m.queryId === 'static-membership');
    assert.ok(sm?.whatIf, 'static-membership is refined by a what-if chunker on the demo');
    assert.match(categoryText(sm), /^chunking — found by the what-if chunker sentence-window:[^;]+; without what-ifs: [a-z-]+$/);
    assert.match(md, /\| Category \| Misses \| Share \| Without what-ifs \| Fix \|/);
    assert.doesNotMatch(md, /\(e?s\)/, 'no "miss(es)" or "chunk(s)" in the report');
  });

  it('the inspector, the Problems entry, the baseline and the report give each miss the same category', async () => {
    const before = service.computed;
    const retrievers = [...RETRIEVERS].filter((r) => r !== 'rerank');
    const inspectorSettings = diagnosisSettings({ topK: 10, include: ['**/*'], exclude: target.settings.exclude }, root, true, missBaseline(retrievers, true));
    const baseline = await runBaseline(index, target.queries, ['dense'], 10, root, { exclude: target.settings.exclude }, undefined, service);
    const view = baselineView(baseline);
    let checked = 0;
    for (const q of evalQueries) {
      // The inspector searches one eval query (typed or picked): its misses from the same diagnosis.
      const d = await service.diagnose(index, [q], inspectorSettings);
      const spans = missedSpans(q, d.misses, retrievers);
      for (const [i, m] of d.misses.entries()) {
        const span = spans[i];
        const inReport = report.misses.find((r) => key(r) === key(m));
        assert.ok(inReport, `${key(m)} is in the report`);
        const category = m.category;
        assert.match(missLine(span, 10, spans.length > 1).text, new RegExp(`: ${category}( |$)`), `${key(m)}: the miss line says ${category}`);
        assert.ok(missMessage(q.text, span).startsWith(`missed for "${q.text}": ${category} — `), `${key(m)}: the Problems entry says ${category}`);
        assert.ok(view.categories.find((c) => c.name === category)?.queries?.some((x) => x.id === q.id), `${key(m)}: the baseline lists ${q.id} under ${category}`);
        const reportText = categoryText(inReport);
        assert.ok(inReport.category === category || reportText.endsWith(`without what-ifs: ${category}`) || reportText.includes(`without what-ifs: ${category} `), `${key(m)}: the report says ${reportText}`);
        checked++;
      }
    }
    assert.equal(checked, report.misses.length, 'every miss checked');
    assert.equal(service.computed, before, 'the baseline and the inspector read the diagnosis already made: none computed again');
  });

  it('after the report ran, the inspector and the Problems entry name its what-if beside the same category', async () => {
    service.record(index, evalQueries, settings, report.misses);
    const refined = report.misses.filter((m) => m.whatIf);
    const before = service.computed;
    for (const r of refined) {
      // The editor's copy of the query as the eval set file holds it (no `stale: false`, the note kept), not the report's.
      const loaded = evalQueries.find((x) => x.id === r.queryId) as EvalQuery;
      const q: EvalQuery = { ...loaded, judgments: loaded.judgments.map(({ stale: _stale, ...j }) => j) };
      const d = await service.diagnose(index, [q], settings);
      const spans = missedSpans(q, d.misses, ['keyword', 'dense', 'hybrid']);
      const span = spans[d.misses.findIndex((m) => m.judgmentIndex === r.judgmentIndex)];
      assert.equal(span.category, r.whatIf?.baseCategory);
      assert.equal(span.whatIf, `the readiness report's what-if ${r.whatIf?.variant} recovers it: ${r.category}`);
      assert.ok(missLine(span, 10, false).text.includes(`: ${r.whatIf?.baseCategory} (the readiness report's what-if ${r.whatIf?.variant} recovers it: ${r.category})`));
      assert.ok(missMessage(q.text, span).includes(`${r.whatIf?.baseCategory} (the readiness report's what-if`));
    }
    assert.equal(service.computed, before, 'read from the recorded report, nothing recomputed');
  });

  it('a changed label or setting is another question: diagnosed again, not read from the cache', async () => {
    const q = evalQueries.find((x) => x.judgments.length) as EvalQuery;
    const before = service.computed;
    await service.diagnose(index, [q], { ...settings, k: 3 });
    await service.diagnose(index, [{ ...q, judgments: q.judgments.map((j) => ({ ...j, grade: 1 as const })) }], settings);
    assert.equal(service.computed, before + 2);
  });
});
