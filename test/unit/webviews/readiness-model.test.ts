import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILURE_CATEGORIES, type FailureCategory, type Miss } from '../../../src/core/diagnose/diagnose-misses';
import { renderReadinessMarkdown, type ReadinessReport } from '../../../src/core/diagnose/readiness-report';
import { checklistItem } from '../../../src/core/eval/evidence-bar';
import { readinessView } from '../../../src/extension/webviews/readiness/readiness-model';
import { labelsNeededLines, readinessLabelsNeeded } from '../../../src/core/adapt/readiness-gain';

const counts = (c: Partial<Record<FailureCategory, number>>) => Object.fromEntries(FAILURE_CATEGORIES.map((x) => [x, c[x] ?? 0])) as Record<FailureCategory, number>;
const miss = (queryText: string, category: FailureCategory, evidence: string, verified = true) => ({ queryId: 'q', queryText, judgmentIndex: 0, docId: 'docs/a.md', start: 0, end: 9, quote: 'x', grade: 2, category, evidence, positions: {}, verified }) as unknown as Miss;

function report(over: Partial<ReadinessReport> = {}): ReadinessReport {
  return {
    createdAt: '2026-12-02T20:00:00.000Z',
    workspace: '/w',
    baseline: { retriever: 'dense', chunker: 'markdown-heading', model: { id: 'bge-small' } as ReadinessReport['baseline']['model'], k: 5 },
    judgedSpans: 10,
    found: 6,
    misses: [miss('a | b\nnext <script>alert(1)</script>', 'semantic', 'closest chunk at rank 40'), miss('q2', 'chunking', 'split over two chunks', false), miss('q3', 'semantic', 'e'), miss('q4', 'semantic', 'e')],
    counts: counts({ semantic: 3, chunking: 1 }),
    configs: [
      { label: 'dense (baseline)', level: 'chunk', what: 'baseline', ndcg_cut_10: 0.5, recall_k: 0.6, gain: 0, pValue: 1 },
      { label: 'hybrid', level: 'chunk', what: 'hybrid', ndcg_cut_10: 0.55, recall_k: 0.65, gain: 0.05, pValue: 0.04 },
      { label: 'dense (baseline)', level: 'doc', what: 'baseline', ndcg_cut_10: 0.7, recall_k: 0.8, gain: 0, pValue: 1 },
    ],
    levels: { kind: 'mixed', scored: ['chunk', 'doc'], queriesAt: { chunk: 8, doc: 10 }, headings: { chunk: 'chunk level: 8 queries', doc: 'document level: 10 queries' }, unscored: {} },
    checklist: [
      checklistItem('Enough training pairs', 'not-met', '40 labeled pairs in the train split (threshold 1000)', { figure: '40 usable labeled pairs', n: 40, nOf: 'labeled pairs', bar: '1000 usable pairs' }, 'label about 960 more train pairs'),
      checklistItem('Separate eval split', 'met', '10 eval queries', { figure: '10 eval, 4 train, 0 repeated', bar: 'both splits non-empty' }),
      checklistItem('Expected gain justifies cost and latency', 'not-settled', 'query adapter +0.036 nDCG@10', { figure: '+0.036 nDCG@10', n: 21, nOf: 'eval queries', p: 0.103, ci95: [0.001, 0.076], bar: 'p ≤ 0.05 and CI lower bound > 0 on at least 30 eval queries' }, 'label about 40 more eval queries'),
    ],
    verdict: { justified: false, headline: 'Fine-tuning not justified yet', reasons: ['Most misses are fixable without training.'] },
    ...over,
  };
}

/** The cells of every Markdown table row (an escaped pipe is text). */
const cellsOf = (md: string) => md.split('\n').filter((l) => l.startsWith('|') && !l.startsWith('| ---')).map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim().replace(/\\\|/g, '|')));

describe('readiness view model', () => {
  it('states the verdict, the baseline and what was found', () => {
    const v = readinessView(report());
    assert.equal(v.title, 'Fine-tune readiness: Fine-tuning not justified yet');
    assert.equal(v.justified, false);
    assert.deepEqual(v.reasons, ['Most misses are fixable without training.']);
    assert.equal(v.baselineLine, 'Baseline: dense retriever, chunker markdown-heading, model bge-small, a span counts as found when one of its chunks is in the top 5 chunks, a document when it is among the top 5 documents.');
    assert.equal(v.foundLine, '6 of 10 labeled relevant spans and documents found; 4 missed.');
  });

  it('has a gains table under each scored level\'s heading, the categories with their share, and the misses as written', () => {
    const v = readinessView(report());
    assert.deepEqual(v.tables.map((t) => [t.id, t.heading]), [
      ['categories', 'Why spans and documents were missed'],
      ['gains-chunk', 'What each fix gains (eval split, chunk level: 8 queries)'],
      ['gains-doc', 'What each fix gains (eval split, document level: 10 queries)'],
    ]);
    assert.deepEqual(v.tables[0].rows.find((r) => r[0] === 'semantic')?.slice(0, 3), ['semantic', '3', '75%']);
    assert.deepEqual(v.tables[1].rows, [['dense (baseline)', '0.500', '0.600', '—', '—'], ['hybrid', '0.550', '0.650', '+0.050', '0.040']]);
    assert.deepEqual(v.tables[1].numeric, [false, true, true, true, true]);
    // Text from the workspace is kept as it is (the app binds it as text): no HTML or Markdown escaping.
    assert.deepEqual(v.missed.rows[0], ['a | b\nnext <script>alert(1)</script>', 'docs/a.md', 'semantic', 'closest chunk at rank 40']);
    assert.equal(v.missed.rows[1][2], 'chunking (unverified)');
  });

  it('shows the same figures as the Markdown the CLI writes', () => {
    const r = report();
    const md = cellsOf(renderReadinessMarkdown(r));
    const v = readinessView(r);
    for (const t of [...v.tables, v.missed]) {
      for (const row of t.rows) assert.ok(md.some((m) => JSON.stringify(m) === JSON.stringify(row.map((c) => c.replace(/\n/g, ' ')))), `${t.id}: ${row.join(' | ')} is in the Markdown`);
    }
  });

  it('says why a level, the adapter gain or a configured retriever was not measured', () => {
    const v = readinessView(report({
      levels: { kind: 'spans', scored: [], queriesAt: { chunk: 0, doc: 0 }, headings: {}, unscored: { chunk: 'no eval query has span labels' } },
      adapterGain: { measured: false, reason: 'no train split', level: 'chunk' } as ReadinessReport['adapterGain'],
      externalNotScored: [{ name: 'team-rag', reason: 'not contacted: this workspace is not trusted' }],
    }));
    assert.deepEqual(v.tables.map((t) => t.id), ['categories']);
    assert.deepEqual(v.notes, [
      { id: 'gains-unscored', heading: 'What each fix gains (eval split)', lines: ['Not measured: no eval query has span labels.'] },
      { id: 'adapter-gain', heading: 'Expected gain from adapting the model', lines: ['Not measured: no train split.'] },
      { id: 'configured-not-scored', heading: 'Configured retrievers (not scored)', lines: ['team-rag: not contacted: this workspace is not trusted'] },
    ]);
  });

  it('says how many labels are enough, in the view and in the Markdown alike, or why there is no figure', () => {
    const adapterGain = { measured: true, level: 'chunk', trainPairs: 120, evalQueries: 20, baseline: 0.5, adapted: 0.531, delta: 0.031, ci95: [-0.01, 0.07], pValue: 0.12, sdDiff: 0.1, hybridDelta: null, hybridPValue: null, worsened: 1, improved: 5, trainEvalGap: 0.02, learningReading: '', usPerQuery: 12, multiplyAdds: 147456, trainingSeconds: 3 } as NonNullable<ReadinessReport['adapterGain']>;
    const labelsNeeded = readinessLabelsNeeded(adapterGain);
    const note = readinessView(report({ adapterGain, labelsNeeded })).notes.find((n) => n.id === 'labels-needed');
    assert.deepEqual(note, { id: 'labels-needed', heading: 'How many labels are enough', lines: labelsNeededLines(labelsNeeded) });
    assert.equal(note.lines[0], "Label about 62 more eval queries to tell whether the adapter's +0.031 is real (about 82 in all, 20 now).");
    const md = renderReadinessMarkdown(report({ adapterGain, labelsNeeded }));
    assert.ok(md.includes(`## How many labels are enough\n\n${note.lines.map((l) => `- ${l}`).join('\n')}\n`), md);
    const off = readinessLabelsNeeded(undefined, 'the adapter trial did not run: no embedding model');
    assert.deepEqual(readinessView(report({ labelsNeeded: off })).notes.find((n) => n.id === 'labels-needed')?.lines, ['Not estimated: the adapter trial did not run: no embedding model.']);
  });

  it('tables the measured adapter gain and the configured retrievers against the baseline', () => {
    const adapterGain = { measured: true, level: 'chunk', trainPairs: 120, evalQueries: 10, baseline: 0.5, adapted: 0.56, delta: 0.06, ci95: [0.01, 0.11], pValue: 0.02, hybridDelta: -0.01, hybridPValue: 0.6, worsened: 1, improved: 5, trainEvalGap: 0.02, learningReading: 'It generalises.', usPerQuery: 12.4, multiplyAdds: 147456, trainingSeconds: 3.25 } as ReadinessReport['adapterGain'];
    const external = [{ name: 'team-rag', level: 'chunk' as const, destination: 'https://rag.example', ndcg_cut_10: 0.4, recall_k: 0.5, baselineNdcg: 0.5, gain: -0.1, pValue: 0.3, queries: 10, failedQueries: 2, misses: { 'below-k': 3, 'not-returned': 0 } }];
    const v = readinessView(report({ adapterGain, external }));
    const gain = v.tables.find((t) => t.id === 'adapter-gain');
    assert.ok(gain);
    assert.deepEqual(gain.rows, [['dense', '0.500', '—', '', ''], ['dense + adapter', '0.560', '+0.060', '[+0.010, +0.110]', '0.020'], ['hybrid + adapter (vs hybrid)', '', '-0.010', '', '0.600']]);
    assert.equal(gain.notes[1], 'Cost: 147,456 multiply-adds per query (12 µs measured); training took 3.3 s.');
    const ext = v.tables.find((t) => t.id === 'configured-retrievers');
    assert.equal(ext?.heading, 'Configured retrievers (eval split, labeled spans)');
    assert.deepEqual(ext?.rows, [['team-rag', 'https://rag.example', '0.400', '0.500', '-0.100', '0.300', 'below-k 3; 2 queries failed']]);
    const md = cellsOf(renderReadinessMarkdown(report({ adapterGain, external })));
    for (const row of [...gain.rows, ...(ext?.rows ?? [])]) assert.ok(md.some((m) => JSON.stringify(m) === JSON.stringify(row)), `${row.join(' | ')} is in the Markdown`);
  });

  it('keeps the checklist with its three-state answers, the evidence beside each and what would settle it', () => {
    assert.deepEqual(readinessView(report()).checklist, [
      { item: 'Enough training pairs', state: 'not-met', detail: '40 labeled pairs in the train split (threshold 1000)', evidence: '40 usable labeled pairs, n = 40 labeled pairs — bar: 1000 usable pairs', settle: 'label about 960 more train pairs' },
      { item: 'Separate eval split', state: 'met', detail: '10 eval queries', evidence: '10 eval, 4 train, 0 repeated — bar: both splits non-empty' },
      { item: 'Expected gain justifies cost and latency', state: 'not-settled', detail: 'query adapter +0.036 nDCG@10', evidence: '+0.036 nDCG@10, n = 21 eval queries, p = 0.103, 95% CI [+0.001, +0.076] — bar: p ≤ 0.05 and CI lower bound > 0 on at least 30 eval queries', settle: 'label about 40 more eval queries' },
    ]);
    // The Markdown shows the same three states and evidence: a not-settled item is never ticked.
    const md = renderReadinessMarkdown(report());
    assert.ok(md.includes('- [ ] **Enough training pairs** — 40 labeled pairs in the train split (threshold 1000)\n  - evidence: 40 usable labeled pairs, n = 40 labeled pairs — bar: 1000 usable pairs\n  - to settle: label about 960 more train pairs'));
    assert.ok(md.includes('- [x] **Separate eval split** — 10 eval queries\n  - evidence: '));
    assert.ok(md.includes('- [?] **Expected gain justifies cost and latency** — query adapter +0.036 nDCG@10\n  - evidence: +0.036 nDCG@10, n = 21 eval queries, p = 0.103, 95% CI [+0.001, +0.076]'));
  });
});
