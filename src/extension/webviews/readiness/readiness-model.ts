import type { AdapterGain } from '../../../core/adapt/readiness-gain';
import { evidenceLine } from '../../../core/eval/evidence-bar';
import { pairsSentence } from '../../../core/adapt/trial-report';
import { CATEGORY_FIX, FAILURE_CATEGORIES } from '../../../core/diagnose/diagnose-misses';
import { adapterVerdictReason, labelsNeededLines } from '../../../core/adapt/readiness-gain';
import { decisionLabels, foundSentence, HUMAN_ONLY, LABELS_NEEDED_HEADING, humanRowOf, missCategoryText, targetNoun, WHAT_IF_NOTE, WITHOUT_WHAT_IFS, type ReadinessReport } from '../../../core/diagnose/readiness-report';
import { STATE_NAME } from '../../../core/eval/evidence-bar';
import { LEVEL_NAME } from '../../../core/eval/label-level';
import type { ReadinessTable, ReadinessView } from '../../../protocol/readiness';

/**
 * The fine-tune readiness report as the app draws it: verdict, tables under their level headings, the expected gain
 * from adapting the model, the configured retrievers, the checklist and the missed spans, from the structured
 * report (the same one renderReadinessMarkdown writes for the CLI). Pure (no editor API); lit shows every string as
 * text, so nothing here is escaped.
 */

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

function table(id: string, heading: string, columns: Array<[string, boolean]>, rows: string[][], intro?: string, notes: string[] = []): ReadinessTable {
  return { id, heading, ...(intro ? { intro } : {}), columns: columns.map(([c]) => c), numeric: columns.map(([, n]) => n), rows, notes };
}

function adapterGainTable(g: AdapterGain): ReadinessTable {
  const rows = [
    ['dense', g.baseline.toFixed(3), '—', '', ''],
    ['dense + adapter', g.adapted.toFixed(3), signed(g.delta), `[${signed(g.ci95[0])}, ${signed(g.ci95[1])}]`, g.pValue.toFixed(3)],
  ];
  if (g.hybridDelta !== null) rows.push(['hybrid + adapter (vs hybrid)', '', signed(g.hybridDelta), '', (g.hybridPValue ?? 1).toFixed(3)]);
  if (g.otherLevel) {
    const o = g.otherLevel;
    rows.push([`dense at ${o.level} level (${o.evalQueries} queries)`, o.baseline.toFixed(3), '—', '', ''], [`dense + adapter at ${o.level} level`, o.adapted.toFixed(3), signed(o.delta), `[${signed(o.ci95[0])}, ${signed(o.ci95[1])}]`, o.pValue.toFixed(3)]);
  }
  return table(
    'adapter-gain',
    'Expected gain from adapting the model',
    [['', false], ['nDCG@10', true], ['Δ', true], ['95% CI', false], ['p', true]],
    rows,
    `A query adapter (a linear map of the query vector, trained with mined hard negatives; the corpus is not re-embedded; ${g.pairs ? pairsSentence(g.pairs) : `${g.trainPairs} labeled pairs of the train split`}), measured on ${g.evalQueries} eval queries at ${g.level} level:`,
    [
      `${g.improved} eval queries improved, ${g.worsened} got worse. Train-vs-eval gap ${signed(g.trainEvalGap)}. ${g.learningReading}`,
      `Cost: ${g.multiplyAdds.toLocaleString('en-US')} multiply-adds per query (${g.usPerQuery.toFixed(0)} µs measured); training took ${g.trainingSeconds.toFixed(1)} s.`,
    ],
  );
}

export function readinessView(r: ReadinessReport): ReadinessView {
  const noun = targetNoun(r.levels.kind);
  const k = r.baseline.k;
  const found =
    r.levels.kind === 'documents' ? `a document counts as found when it is among the top ${k} documents`
    : r.levels.kind === 'mixed' ? `a span counts as found when one of its chunks is in the top ${k} chunks, a document when it is among the top ${k} documents`
    : `a span counts as found in the top ${k}`;
  // With a validated judge the figures rest on human + judge labels: each heading says so, the human-only figures beside.
  const labels = decisionLabels(r);
  const h = r.humanOnly;
  const onLabels = labels ? ` — ${labels}` : '';
  const tables: ReadinessTable[] = [
    table(
      'categories',
      `Why ${noun} were missed${onLabels}`,
      [['Category', false], ['Misses', true], ['Share', true], [WITHOUT_WHAT_IFS, true], ...(h ? [[HUMAN_ONLY, true] as [string, boolean]] : []), ['Fix', false]],
      FAILURE_CATEGORIES.map((c) => [c, String(r.counts[c]), `${r.misses.length ? Math.round((100 * r.counts[c]) / r.misses.length) : 0}%`, String((r.baseCounts ?? r.counts)[c]), ...(h ? [String(h.counts[c])] : []), CATEGORY_FIX[c]]),
      undefined,
      [WHAT_IF_NOTE],
    ),
  ];
  const notes: ReadinessView['notes'] = [];
  for (const level of r.levels.scored) {
    tables.push(
      table(
        `gains-${level}`,
        `What each fix gains (eval split, ${r.levels.headings[level] ?? LEVEL_NAME[level]})${onLabels}`,
        [['Configuration', false], ['nDCG@10', true], [`Recall@${k}`, true], ['Δ nDCG@10 vs baseline', true], ['p', true], ...(h ? ([[`${HUMAN_ONLY}: nDCG@10`, true], [`Recall@${k}`, true], ['Δ', true]] as Array<[string, boolean]>) : [])],
        r.configs.filter((x) => x.level === level).map((c) => {
          const base = c.what === 'baseline';
          const hr = h ? humanRowOf(r, c) : undefined;
          const beside = !h ? [] : hr ? [hr.ndcg_cut_10.toFixed(3), hr.recall_k.toFixed(3), base ? '—' : signed(hr.gain)] : ['not scored', '', ''];
          return [c.label, c.ndcg_cut_10.toFixed(3), c.recall_k.toFixed(3), base ? '—' : signed(c.gain), base ? '—' : c.pValue.toFixed(3), ...beside];
        }),
      ),
    );
  }
  if (!r.levels.scored.length) notes.push({ id: 'gains-unscored', heading: 'What each fix gains (eval split)', lines: [`Not measured: ${r.levels.unscored.doc ?? r.levels.unscored.chunk}.`] });
  else if (r.levels.unscored.chunk) notes.push({ id: 'chunk-unscored', lines: [`Chunk level is not measured: ${r.levels.unscored.chunk}.`] });
  if (r.adapterGain) {
    // On a judge's labels too: said under the table, with the human-only gain beside.
    const beside = labels ? [`Measured on ${labels}. ${HUMAN_ONLY}: ${h?.adapterGain ? adapterVerdictReason(h.adapterGain) : 'not measured'}.`] : [];
    if (r.adapterGain.measured) {
      const t = adapterGainTable(r.adapterGain);
      t.notes.push(...beside);
      tables.push(t);
    }
    else notes.push({ id: 'adapter-gain', heading: 'Expected gain from adapting the model', lines: [`Not measured: ${r.adapterGain.reason}.`, ...beside] });
  }
  // How many labels are enough: eval queries for +0.02 and the measured gain, training pairs from the curve, or why not.
  if (r.labelsNeeded) notes.push({ id: 'labels-needed', heading: `${LABELS_NEEDED_HEADING}${onLabels}`, lines: labelsNeededLines(r.labelsNeeded) });
  if (r.external?.length) {
    tables.push(
      table(
        'configured-retrievers',
        `Configured retrievers (eval split, ${r.external[0].level === 'chunk' ? 'labeled spans' : LEVEL_NAME[r.external[0].level]})`,
        [['Retriever', false], ['Sends to', false], ['nDCG@10', true], [`Recall@${k}`, true], [`Δ nDCG@10 vs ${r.baseline.retriever}`, true], ['p', true], ['Misses', false]],
        r.external.map((e) => {
          const misses = Object.entries(e.misses).filter(([, n]) => n).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
          return [e.name, e.destination, e.ndcg_cut_10.toFixed(3), e.recall_k.toFixed(3), signed(e.gain), e.pValue.toFixed(3), `${misses}${e.failedQueries ? `; ${e.failedQueries} queries failed` : ''}`];
        }),
      ),
    );
  }
  const uncomputed = (r.external ?? []).flatMap((e) => (e.uncomputed ?? []).map((u) => `${e.name}: ${u}`));
  if (uncomputed.length) notes.push({ id: 'configured-uncomputed', heading: 'Configured retrievers: miss categories not computable', lines: uncomputed });
  if (r.externalNotScored?.length) {
    notes.push({ id: 'configured-not-scored', heading: r.external?.length ? 'Configured retrievers: not scored' : 'Configured retrievers (not scored)', lines: r.externalNotScored.map((n) => `${n.name}: ${n.reason}`) });
  }
  return {
    title: `Fine-tune readiness: ${r.verdict.headline}`,
    justified: r.verdict.justified,
    reasons: r.verdict.reasons,
    baselineLine: `Baseline: ${r.baseline.retriever} retriever, chunker ${r.baseline.chunker}, model ${r.baseline.model?.id ?? 'none'}, ${found}.`,
    foundLine: foundSentence(r),
    ...(labels ? { labels } : {}),
    tables,
    notes,
    // Each tick with its evidence (figure, n, p, CI, bar) beside it, and what would settle it.
    checklist: r.checklist.map((c) => ({
      item: c.item,
      state: c.state,
      detail: c.detail,
      evidence: evidenceLine(c.evidence),
      ...(c.settle ? { settle: c.settle } : {}),
      ...(c.labels ? { labels: `${c.labels} labels` } : {}),
      ...(c.humanOnly ? { humanOnly: `${STATE_NAME[c.humanOnly.state]}: ${c.humanOnly.detail}` } : {}),
    })),
    missed: table('missed', `Missed ${noun}${onLabels}`, [['Query', false], ['Document', false], ['Category', false], ['Evidence', false]], r.misses.map((m) => [m.queryText, m.docId, missCategoryText(m), m.evidence])),
    generated: `Generated ${r.createdAt} by Retrieval Lens.`,
  };
}
