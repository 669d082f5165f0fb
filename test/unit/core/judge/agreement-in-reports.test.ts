import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { buildReadinessReport, renderReadinessMarkdown } from '../../../../src/core/diagnose/readiness-report';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import type { Grade } from '../../../../src/core/eval/evalset-types';
import { makeSpanTarget } from '../../../../src/core/eval/span-anchor';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { quadraticKappa } from '../../../../src/core/judge/agreement';
import { agreementReportLine, summarizeAgreement } from '../../../../src/core/judge/agreement-summary';
import { JUDGE_LABELS_PATH, saveJudgeLabels, type JudgeLabel } from '../../../../src/core/judge/judge-labels';
import { CharTrigramEmbedder } from '../../../helpers/char-ngram-embedder';

/**
 * The judge's agreement where decisions are made: `eval` JSON and the readiness report (diagnose's JSON and
 * Markdown) carry κ, the overlapping pairs, validated or not and how many more human labels would validate it —
 * only when judge labels exist — and say that their figures use human labels only. The readiness report also says
 * how many train pairs are synthetic.
 */
const DOCS: Record<string, string> = {
  'retention.md': '# Retention\n\nEvents are kept for thirty days, then deleted from every region.\n\n## Exceptions\n\nLegal holds keep events until the hold is lifted by counsel.\n',
  'paging.md': '# Paging\n\nFor a full outage page the on-call incident commander first.\n\n## Escalation\n\nAfter fifteen minutes without an answer, page the secondary.\n',
  'errors.md': '# Error codes\n\nQS-4091 means the partition was fenced by a newer leader.\n\n## Retries\n\nA fenced write is retried by the client after a backoff.\n',
  'backups.md': '# Backups\n\nBackups of events are taken nightly and kept for a year.\n\n## Restore\n\nRestores are run from the console by an administrator.\n',
};

function span(docId: string, from: string) {
  const text = DOCS[docId];
  const start = text.indexOf(from);
  return makeSpanTarget(docId, text, start, text.indexOf('\n', start));
}

// (query, passage, human grade, judge grade): 6 pairs graded by both.
const PAIRS: Array<[string, string, string, Grade, Grade]> = [
  ['q1', 'retention.md', 'Events are kept', 3, 3],
  ['q1', 'backups.md', 'Backups of events', 1, 2],
  ['q2', 'paging.md', 'For a full outage', 3, 3],
  ['q2', 'paging.md', 'After fifteen', 2, 1],
  ['q3', 'errors.md', 'QS-4091 means', 3, 3],
  ['q3', 'retention.md', 'Legal holds', 0, 0],
];

/** The judge's grades turned upside down (0 ↔ 3, 1 ↔ 2): agreement far below chance. */
const contraryOf = (labels: JudgeLabel[]) => labels.map((l) => ({ ...l, judgment: { ...l.judgment, grade: (3 - l.judgment.grade) as Grade } }));

describe('judge agreement in eval JSON and the readiness report', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-agree-reports-'));
    for (const [p, t] of Object.entries(DOCS)) fs.writeFileSync(path.join(root, p), t);
    fs.mkdirSync(path.join(root, '.retrieval-lens'));
    const queries = [
      { id: 'q1', text: 'how long are events kept', split: 'eval' },
      { id: 'q2', text: 'who is paged in an outage', split: 'eval' },
      { id: 'q3', text: 'what does QS-4091 mean', split: 'eval' },
      { id: 't1', text: 'when are backups taken', split: 'train', judgments: [{ grade: 3, target: span('backups.md', 'Backups of events') }] },
      { id: 'syn-1', text: 'restore from console', split: 'train', source: 'synthetic', judgments: [{ grade: 2, target: span('backups.md', 'Restores are run') }] },
    ].map((q) => ({ judgments: PAIRS.filter((p) => p[0] === q.id).map(([, d, from, h]) => ({ grade: h, target: span(d, from), createdAt: '2026-01-01T00:00:00.000Z' })), ...q }));
    fs.writeFileSync(path.join(root, '.retrieval-lens', 'evalset.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
  });

  it('leaves eval JSON without agreement while there are no judge labels', async () => {
    const out = path.join(root, 'm-none.json');
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--level', 'chunk', '--metrics-out', out, '--index-dir', path.join(root, 'ix')], { out: () => undefined, err: () => undefined }), 0);
    assert.equal('judgeAgreement' in JSON.parse(fs.readFileSync(out, 'utf8')), false);
  });

  it('puts κ, the pairs, the verdict and the labels still needed in eval JSON and the readiness report', async () => {
    const source = { judge: 'umbrela', endpoint: 'local', model: 'judge-model', promptVersion: 'umbrela-v1' };
    const labels: JudgeLabel[] = PAIRS.map(([q, d, from, , j]) => ({ queryId: q, judgment: { grade: j, target: span(d, from), createdAt: '2026-02-01T00:00:00.000Z' }, source, passageHash: 'h' }));
    saveJudgeLabels(path.join(root, JUDGE_LABELS_PATH), labels);
    const kappa = quadraticKappa(PAIRS.map((p) => [p[3], p[4]] as const));

    const out = path.join(root, 'm.json');
    assert.equal(await runCli(['eval', root, '--retriever', 'bm25', '--level', 'chunk', '--metrics-out', out, '--index-dir', path.join(root, 'ix')], { out: () => undefined, err: () => undefined }), 0);
    const [a] = JSON.parse(fs.readFileSync(out, 'utf8')).judgeAgreement;
    assert.equal(a.judge, 'judge-model · umbrela-v1');
    assert.equal(a.pairs, 6);
    assert.ok(Math.abs(a.kappa - kappa) < 1e-12);
    assert.equal(a.validated, false);
    assert.equal(a.moreHumanLabels, 44);
    assert.match(a.labelsUsed, /human labels only/);

    const target = await loadEvalTarget(root);
    const report = await buildReadinessReport(
      target,
      async (c, e) => (await WorkspaceIndex.openOrBuild(target.corpus, { chunker: c, embedder: e, storageDir: path.join(root, 'r') })).index,
      { baseline: new CharTrigramEmbedder(), alternatives: [], crossEncoder: null, chunker: { kind: 'markdown', maxSize: 1500, minSize: 0 } },
      { rechunkers: [], adapterTrial: false },
    );
    // The report object is diagnose's JSON.
    assert.deepEqual(report.judgeAgreement, [a]);
    assert.ok(kappa >= 0.6, 'the fixture agrees well enough: only the pairs are missing');
    // The exact number: 50 − 6 human labels on passages the judge graded.
    const line = `Judge labels (judge-model · umbrela-v1): κ = ${kappa.toFixed(3)} on 6 pairs — not validated: 6 of the 50 overlapping pairs the rule needs (κ ≥ 0.6 on at least 50 pairs); exactly 44 more human labels on passages this judge graded would validate it (if κ stays ≥ 0.6); the verdict uses human labels only until the judge is validated`;
    assert.ok(report.verdict.reasons.includes(line), report.verdict.reasons.join('\n'));
    assert.ok(renderReadinessMarkdown(report).includes(`- ${line}`));
    // Train pairs: 2, one of them synthetic.
    assert.deepEqual(report.synthetic, { trainPairs: 2, syntheticTrainPairs: 1, syntheticEvalQueries: 0 });
    assert.match(report.checklist.find((c) => c.item === 'Enough training pairs')?.detail ?? '', /1 of the 2 labeled train pairs are synthetic \(generate-queries\)/);
  });

  it('says validated, and that the verdict is decided on human + judge labels, once κ holds on enough pairs; the exact number of human labels still needed; and why when κ is too low', () => {
    const q = { id: 'q', text: 'q', split: 'eval' as const, judgments: [] as Array<{ grade: Grade; target: ReturnType<typeof span>; createdAt: string }> };
    const labels: JudgeLabel[] = [];
    const source = { judge: 'umbrela', endpoint: 'e', model: 'm', promptVersion: 'umbrela-v1' };
    // 60 distinct passages (one per character offset), grades 0–3 in turn, judge agreeing on all but six near misses.
    const text = DOCS['retention.md'];
    for (let i = 0; i < 60; i++) {
      const target = makeSpanTarget('retention.md', text, i, i + 1);
      const h = (i % 4) as Grade;
      q.judgments.push({ grade: h, target, createdAt: '2026-01-01T00:00:00.000Z' });
      labels.push({ queryId: 'q', judgment: { grade: (i < 6 ? (h === 3 ? 2 : h + 1) : h) as Grade, target, createdAt: '2026-02-01T00:00:00.000Z' }, source, passageHash: 'h' });
    }
    const [ok] = summarizeAgreement([q], labels);
    assert.equal(ok.pairs, 60);
    assert.equal(ok.validated, true);
    assert.match(agreementReportLine(ok), /^Judge labels \(m · umbrela-v1\): κ = 0\.9\d\d on 60 pairs — validated \(κ ≥ 0\.6 on at least 50 pairs\); the verdict, the checklist and every fix are decided on human \+ judge labels, each such figure marked and the human-only figure beside it$/);
    // Too few pairs and κ too low: the exact number still, and that κ must then reach the bar.
    const [few] = summarizeAgreement([{ ...q, judgments: q.judgments.slice(0, 20) }], contraryOf(labels));
    assert.equal(few.pairs, 20);
    assert.match(agreementReportLine(few), /not validated: 20 of the 50 overlapping pairs the rule needs \(κ ≥ 0\.6 on at least 50 pairs\); exactly 30 more human labels on passages this judge graded would validate it \(κ, now -?\d\.\d{3}, must then reach 0\.6\); the verdict uses human labels only until the judge is validated$/);
    const contrary = contraryOf(labels);
    const [bad] = summarizeAgreement([q], contrary);
    assert.equal(bad.validated, false);
    assert.match(agreementReportLine(bad), /not validated \(κ below 0\.6: more labels would not validate it; try another model or prompt\)/);
  });
});
