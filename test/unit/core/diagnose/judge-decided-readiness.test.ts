import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { ChunkerConfig } from '../../../../src/core/chunking/chunk';
import { chunkerKey } from '../../../../src/core/chunking/chunker-key';
import { buildReadinessReport, renderReadinessMarkdown, type ReadinessReport, type IndexOpener } from '../../../../src/core/diagnose/readiness-report';
import { loadEvalTarget, type EvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluate } from '../../../../src/core/eval/evaluate';
import type { EvalQuery, Grade } from '../../../../src/core/eval/evalset-types';
import { makeSpanTarget } from '../../../../src/core/eval/span-anchor';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import type { RetrieverName } from '../../../../src/core/retrieve/types';
import { quadraticKappa } from '../../../../src/core/judge/agreement';
import { JUDGE_LABELS_PATH, judgeLabelsFile, loadJudgeLabels, removeJudgeLabels, saveJudgeLabels, withJudgeGrades, type JudgeLabel } from '../../../../src/core/judge/judge-labels';
import { readinessView } from '../../../../src/extension/webviews/readiness/readiness-model';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';

/**
 * The readiness verdict on human + judge labels: once the judge is validated (κ ≥ 0.6 on ≥ 50 pairs graded by both)
 * the diagnosis, every fix's figures, the checklist (training pairs too) and the verdict are decided with the judge's
 * grades added where no human grade covers the passage; each such figure says so and the human-only figure stands
 * beside it. With an unvalidated judge the report is the human-only one, figure for figure.
 */
const DOCS: Record<string, string> = {
  'retention.md': '# Retention\n\nEvents are kept for thirty days, then deleted from every region.\n\n## Exceptions\n\nLegal holds keep events until the hold is lifted by counsel.\n',
  'paging.md': '# Paging\n\nFor a full outage page the on-call incident commander first.\n\n## Escalation\n\nAfter fifteen minutes without an answer, page the secondary.\n',
  'errors.md': '# Error codes\n\nQS-4091 means the partition was fenced by a newer leader.\n\n## Retries\n\nA fenced write is retried by the client after a backoff.\n',
  'backups.md': '# Backups\n\nBackups of events are taken nightly and kept for a year.\n\n## Restore\n\nRestores are run from the console by an administrator.\n',
};
const CHUNKER: ChunkerConfig = { kind: 'markdown', maxSize: 1500, minSize: 0 };
const RECHUNKER: ChunkerConfig = { kind: 'fixed-chars', size: 80, overlap: 0 };
const JUDGE = 'judge-model · umbrela-v1';
/** Found means first: on four short documents a deeper cut-off finds everything, and there would be no miss to diagnose. */
const K = 1;
const SOURCE = { judge: 'umbrela', endpoint: 'local', model: 'judge-model', promptVersion: 'umbrela-v1' };
const HUMAN_AT = '2026-01-01T00:00:00.000Z';
const JUDGE_AT = '2026-02-01T00:00:00.000Z';

function span(docId: string, from: string) {
  const text = DOCS[docId];
  const start = text.indexOf(from);
  return makeSpanTarget(docId, text, start, text.indexOf('\n', start));
}
const human = (docId: string, from: string, grade: Grade) => ({ grade, target: span(docId, from), createdAt: HUMAN_AT });
const judged = (queryId: string, docId: string, from: string, grade: Grade): JudgeLabel => ({ queryId, judgment: { grade, target: span(docId, from), createdAt: JUDGE_AT }, source: SOURCE, passageHash: 'h' });

// 60 one-character passages of backups.md graded by both, grades 0–3 in turn, the judge agreeing on each.
const TINY = Array.from({ length: 60 }, (_, i) => ({ grade: (i % 4) as Grade, target: makeSpanTarget('backups.md', DOCS['backups.md'], i, i + 1) }));

const QUERIES = [
  { id: 'q1', text: 'how long are events kept', split: 'eval', judgments: [human('retention.md', 'Events are kept', 3)] },
  // The human said the restore passage does not answer q3; the judge says it does: the human's grade stands.
  { id: 'q3', text: 'what does QS-4091 mean', split: 'eval', judgments: [human('errors.md', 'QS-4091 means', 3), human('backups.md', 'Restores are run', 0)] },
  { id: 'qb', text: 'backups', split: 'eval', judgments: TINY.map((j) => ({ ...j, createdAt: HUMAN_AT })) },
  // One human training pair; the human said the nightly-backup passage is not relevant, the judge that it is.
  { id: 't1', text: 'when are backups taken', split: 'train', judgments: [human('backups.md', 'Restores are run', 3), human('backups.md', 'Backups of events', 0)] },
];

/** Judge grades of passages no human graded: these, and only these, enter the figures on human + judge labels. */
const EXTRA: JudgeLabel[] = [
  judged('q1', 'retention.md', 'Legal holds', 2),
  judged('q3', 'errors.md', 'A fenced write', 3),
  judged('t1', 'retention.md', 'Events are kept', 2),
  judged('t1', 'paging.md', 'For a full outage', 1),
  judged('t1', 'retention.md', 'Legal holds', 0),
];
/** Judge grades of passages a human graded otherwise: counted in κ, never in a figure. */
const OVERRULED: JudgeLabel[] = [judged('q3', 'backups.md', 'Restores are run', 3), judged('t1', 'backups.md', 'Backups of events', 2)];

function workspace(name: string, labels: JudgeLabel[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rl-judge-verdict-${name}-`));
  for (const [p, t] of Object.entries(DOCS)) fs.writeFileSync(path.join(dir, p), t);
  fs.mkdirSync(path.join(dir, '.retrieval-lens'));
  fs.writeFileSync(path.join(dir, '.retrieval-lens', 'evalset.jsonl'), QUERIES.map((q) => JSON.stringify(q)).join('\n') + '\n');
  if (labels.length) saveJudgeLabels(path.join(dir, JUDGE_LABELS_PATH), labels);
  return dir;
}

/** Opens each index from its own folder, counting how many times each is asked for. */
function opener(dir: string, target: EvalTarget, opened: string[]): IndexOpener {
  return async (c, e) => {
    opened.push(chunkerKey(c));
    return (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: c, embedder: e, storageDir: path.join(dir, 'r', chunkerKey(c)) })).index;
  };
}

async function report(dir: string, opened: string[] = []): Promise<{ target: EvalTarget; report: ReadinessReport; open: IndexOpener }> {
  const target = await loadEvalTarget(dir);
  const open = opener(dir, target, opened);
  const r = await buildReadinessReport(target, open, { baseline: new CharTrigramEmbedder(), alternatives: [], crossEncoder: null, chunker: CHUNKER }, { k: K, rechunkers: [RECHUNKER], adapterTrial: false });
  return { target, report: r, open };
}

/** The index and retriever a configuration row was scored with, as the report scores it. */
function rowScoring(what: string, label: string): { chunker: ChunkerConfig; retriever: RetrieverName } {
  if (what === 'chunker') return { chunker: RECHUNKER, retriever: 'dense' };
  if (what === 'baseline') return { chunker: CHUNKER, retriever: 'dense' };
  return { chunker: CHUNKER, retriever: label.startsWith('keyword') ? 'keyword' : 'hybrid' };
}

describe('the readiness verdict on human + judge labels', () => {
  let validated: { target: EvalTarget; report: ReadinessReport; open: IndexOpener };
  const opened: string[] = [];
  before(async () => {
    validated = await report(workspace('validated', [...TINY.map((j) => ({ queryId: 'qb', judgment: { ...j, createdAt: JUDGE_AT }, source: SOURCE, passageHash: 'h' })), ...EXTRA, ...OVERRULED]), opened);
  });

  it('decides on human + judge labels once the judge is validated, and says what human labels alone would give', () => {
    const r = validated.report;
    const kappa = quadraticKappa([...TINY.map((j) => [j.grade, j.grade] as const), [0, 3] as const, [0, 2] as const]);
    assert.ok(kappa >= 0.6);
    assert.deepEqual(r.judgeDecided, { judge: JUDGE, kappa: r.judgeAgreement?.[0].kappa, pairs: 62 });
    assert.ok(Math.abs((r.judgeDecided?.kappa ?? 0) - kappa) < 1e-12);
    assert.match(r.judgeAgreement?.[0].labelsUsed ?? '', /decided on human \+ judge labels/);
    const h = r.humanOnly;
    assert.ok(h, 'the human-only figures stand beside');
    // On human labels the baseline finds every span; the judge's labels find misses, and the verdict changes with them.
    assert.notEqual(h.verdict.headline, r.verdict.headline);
    assert.equal(r.verdict.reasons[0], `Verdict on human + ${JUDGE} labels (judge validated: κ ${kappa.toFixed(2)} on 62 pairs); on human labels only it would read: ${h.verdict.headline}`);
    // Each index opened once, though the report is decided twice.
    assert.deepEqual(opened, [chunkerKey(CHUNKER), chunkerKey(RECHUNKER)]);
  });

  it('counts judge-labelled train pairs, says how many are the judge\'s, and keeps the human-only count beside', () => {
    const r = validated.report;
    const item = r.checklist.find((c) => c.item === 'Enough training pairs');
    // t1: one human pair (the restore passage); the judge adds two on passages no human graded (the grade-0 one is
    // no pair) and its grade 2 on the passage the human graded 0 counts for nothing.
    assert.match(item?.detail ?? '', /^3 labeled pairs in the train split \(threshold 1000\); 2 of the 3 labeled train pairs are judge labels \(judge-model · umbrela-v1, on passages no human graded\)$/);
    assert.equal(item?.labels, `human + ${JUDGE}`);
    assert.deepEqual(item?.humanOnly, { state: 'not-met', detail: '1 labeled pairs in the train split (threshold 1000)', figure: '1 usable labeled pairs' });
    assert.equal(item?.evidence.figure, `3 usable labeled pairs (human + ${JUDGE} labels)`);
    assert.equal(item?.evidence.n, 3);
    // An item whose figure did not change is not marked.
    assert.equal(r.checklist.find((c) => c.item === 'Separate eval split')?.labels, undefined);
    const md = renderReadinessMarkdown(r);
    assert.ok(md.includes(`**Enough training pairs** (human + ${JUDGE} labels) — 3 labeled pairs`), md);
    assert.ok(md.includes('  - human labels only: [ ] 1 labeled pairs in the train split (threshold 1000)'));
    const view = readinessView(r);
    const row = view.checklist.find((c) => c.item === 'Enough training pairs');
    assert.equal(row?.labels, `human + ${JUDGE} labels`);
    assert.equal(row?.humanOnly, 'not met: 1 labeled pairs in the train split (threshold 1000)');
    assert.equal(view.labels, `human + ${JUDGE} labels`);
  });

  it('never lets a judge grade override a human one: only passages no human graded are added', () => {
    const r = validated.report;
    const h = r.humanOnly as NonNullable<ReadinessReport['humanOnly']>;
    // The two eval extras are relevant; the judge's grade 3 on q3's restore passage (human: 0) adds nothing.
    assert.equal(r.judgedSpans, h.judgedSpans + 2);
    const extra = new Set(EXTRA.map((l) => `${l.queryId} ${l.judgment.target.docId} ${(l.judgment.target as { start: number }).start}`));
    for (const m of r.misses.filter((x) => x.judge)) assert.ok(extra.has(`${m.queryId} ${m.docId} ${m.start}`), `${m.queryId} ${m.docId}: a judge miss is one of the extra labels`);
    assert.ok(r.misses.some((m) => m.judge), 'the fixture has misses of judge labels');
    for (const m of h.misses) assert.equal(m.judge, undefined);
    // The misses of judge labels say so, in the tables and the found line, with the human-only figures beside.
    const md = renderReadinessMarkdown(r);
    assert.ok(md.includes(`(judge label: ${JUDGE})`));
    const judgeMisses = r.misses.filter((m) => m.judge).length;
    assert.ok(md.includes(`${r.found} of ${r.judgedSpans} labeled relevant spans found; ${r.misses.length} missed (human + ${JUDGE} labels; ${judgeMisses} of the misses are judge labels) — human labels only: ${h.found} of ${h.judgedSpans} found; ${h.misses.length} missed.`), md);
    // Human misses keep their place: each human-only miss is a miss on human + judge labels too.
    for (const m of h.misses) assert.ok(r.misses.some((x) => x.queryId === m.queryId && x.judgmentIndex === m.judgmentIndex && !x.judge));
  });

  it('scores every fix on human + judge labels, equal to an independent evaluation, beside the human-only figure', async () => {
    const r = validated.report;
    const h = r.humanOnly as NonNullable<ReadinessReport['humanOnly']>;
    const figures = r.judgeLabelled ?? [];
    assert.deepEqual(figures.map((f) => f.label), r.configs.map((c) => c.label));
    assert.deepEqual([...new Set(figures.map((f) => f.what))].sort(), ['baseline', 'chunker', 'hybrid']);
    assert.equal(figures.filter((f) => f.what === 'hybrid').length, 2, 'hybrid and keyword');
    // Independently: the judge's extra grades written as if a human had given them (no judge code involved).
    const { target } = validated;
    const byHand: EvalQuery[] = target.queries.map((q) => ({ ...q, judgments: [...q.judgments, ...EXTRA.filter((l) => l.queryId === q.id).map((l) => l.judgment)] }));
    // withJudgeGrades gives the same label set: the overruled grades are left out.
    const labels = loadJudgeLabels(judgeLabelsFile(target.root));
    assert.deepEqual(withJudgeGrades(target.queries, labels, JUDGE).map((q) => q.judgments.map((j) => [j.target.docId, j.grade])), byHand.map((q) => q.judgments.map((j) => [j.target.docId, j.grade])));
    for (const f of figures) {
      const { chunker, retriever } = rowScoring(f.what, f.label);
      const index = await validated.open(chunker, new CharTrigramEmbedder(), null);
      const expected = await evaluate(index, byHand, { retriever, level: f.level, cutoffs: [K, 10], split: 'eval' });
      const humanOnly = await evaluate(index, target.queries, { retriever, level: f.level, cutoffs: [K, 10], split: 'eval' });
      assert.equal(f.ndcg_cut_10, expected.metrics.all.ndcg_cut_10, f.label);
      assert.equal(f.recall_k, expected.metrics.all[`recall_${K}`], f.label);
      assert.equal(f.queries, Object.keys(expected.metrics.perQuery).length);
      assert.equal(f.human?.ndcg_cut_10, humanOnly.metrics.all.ndcg_cut_10, f.label);
      assert.equal(f.human?.recall_k, humanOnly.metrics.all[`recall_${K}`], f.label);
      // The report's rows are the same figures: top level on human + judge labels, humanOnly on human labels.
      assert.equal(r.configs.find((c) => c.label === f.label && c.level === f.level)?.ndcg_cut_10, f.ndcg_cut_10);
      assert.equal(h.configs.find((c) => c.label === f.label && c.level === f.level)?.ndcg_cut_10, f.human?.ndcg_cut_10);
      assert.ok(f.line.startsWith(`Judge-labelled (human + ${JUDGE} labels, validated): `), f.line);
    }
    assert.ok(figures.some((f) => f.ndcg_cut_10 !== f.human?.ndcg_cut_10), "the judge's extra grades move a figure");
    // The baseline's line is in the verdict; every row is in the tables, with the human-only figures beside.
    const base = figures.find((f) => f.what === 'baseline');
    assert.ok(base && r.verdict.reasons.includes(base.line));
    const md = renderReadinessMarkdown(r);
    assert.ok(md.includes(`## What each fix gains (eval split, ${r.levels.headings.chunk}) — human + ${JUDGE} labels`), md);
    assert.ok(md.includes('| Configuration | nDCG@10 | Recall@1 | Δ nDCG@10 vs baseline | p | Human labels only: nDCG@10 | Recall@1 | Δ |'));
    const view = readinessView(r);
    const gains = view.tables.find((t) => t.id === 'gains-chunk');
    for (const f of figures.filter((x) => x.level === 'chunk')) {
      const row = gains?.rows.find((x) => x[0] === f.label);
      assert.deepEqual([row?.[1], row?.[5]], [f.ndcg_cut_10.toFixed(3), f.human?.ndcg_cut_10.toFixed(3)]);
    }
  });

  it('trains and measures the query adapter on human + judge labels, the human-only gain beside', async () => {
    const dir = workspace('adapter', [...TINY.map((j) => ({ queryId: 'qb', judgment: { ...j, createdAt: JUDGE_AT }, source: SOURCE, passageHash: 'h' })), ...EXTRA, ...OVERRULED]);
    const target = await loadEvalTarget(dir);
    const r = await buildReadinessReport(target, opener(dir, target, []), { baseline: new CharTrigramEmbedder(), alternatives: [], crossEncoder: null, chunker: CHUNKER }, { k: K, rechunkers: [] });
    const h = r.humanOnly as NonNullable<ReadinessReport['humanOnly']>;
    assert.equal(r.adapterGain?.pairs?.labeled, 3);
    assert.equal(h.adapterGain?.pairs?.labeled, 1);
    // The adapter's dense baseline is the baseline row on the same labels.
    assert.ok(Math.abs((r.adapterGain?.baseline ?? -1) - (r.configs.find((c) => c.what === 'baseline')?.ndcg_cut_10 ?? -2)) < 1e-12);
    assert.ok(Math.abs((h.adapterGain?.baseline ?? -1) - (h.configs.find((c) => c.what === 'baseline')?.ndcg_cut_10 ?? -2)) < 1e-12);
    const item = r.checklist.find((c) => c.item === 'Enough training pairs');
    assert.match(item?.detail ?? '', /^3 labeled pairs in the train split, 3 used to fit the adapter \(threshold 1000\); 2 of the 3 labeled train pairs are judge labels/);
    assert.equal(item?.humanOnly?.detail, '1 labeled pairs in the train split, 1 used to fit the adapter (threshold 1000)');
    const md = renderReadinessMarkdown(r);
    assert.ok(md.includes(`Measured on human + ${JUDGE} labels. Human labels only: A query adapter (1 labeled pairs in the train split, 1 used to fit the adapter)`), md);
    const table = readinessView(r).tables.find((t) => t.id === 'adapter-gain');
    assert.ok(table?.notes.some((n) => n.startsWith(`Measured on human + ${JUDGE} labels. Human labels only: A query adapter (1 labeled pairs`)));
  });

  it('with an unvalidated judge, is the human-only report figure for figure', async () => {
    // The same judge grades the passages no human graded, but 2 overlapping pairs cannot validate it.
    const dir = workspace('unvalidated', [...EXTRA, ...OVERRULED]);
    const withLabels = (await report(dir)).report;
    assert.equal(withLabels.judgeAgreement?.[0].validated, false);
    assert.equal(withLabels.judgeAgreement?.[0].pairs, 2);
    assert.equal(withLabels.judgeDecided, undefined);
    assert.equal(withLabels.humanOnly, undefined);
    assert.equal(withLabels.judgeLabelled, undefined);
    const line = withLabels.verdict.reasons.find((x) => x.startsWith('Judge labels ('));
    assert.match(line ?? '', /not validated: 2 of the 50 overlapping pairs the rule needs \(κ ≥ 0\.6 on at least 50 pairs\); exactly 48 more human labels on passages this judge graded would validate it \(κ, now -?\d\.\d{3}, must then reach 0\.6\); the verdict uses human labels only until the judge is validated$/);
    removeJudgeLabels(judgeLabelsFile(dir));
    const without = (await report(dir)).report;
    // Timing (chunks per second) is measured afresh each run: the one figure left out.
    const comparable = (r: ReadinessReport) => {
      const { createdAt: _c, judgeAgreement: _a, ...rest } = r;
      return { ...rest, checklist: r.checklist.filter((c) => c.item !== 'Re-embedding cost known'), verdict: { ...r.verdict, reasons: r.verdict.reasons.filter((x) => x !== line) } };
    };
    assert.deepEqual(comparable(withLabels), comparable(without));
    // …and that comparison could fail: the judge's grades, had they been used, move the baseline's figure.
    const target = await loadEvalTarget(dir);
    const index = await opener(dir, target, [])(CHUNKER, new CharTrigramEmbedder(), null);
    const judgedRun = await evaluate(index, withJudgeGrades(target.queries, [...EXTRA, ...OVERRULED], JUDGE), { retriever: 'dense', level: 'chunk', cutoffs: [K, 10], split: 'eval' });
    assert.notEqual(judgedRun.metrics.all.ndcg_cut_10, without.configs.find((c) => c.what === 'baseline')?.ndcg_cut_10);
  });
});
