import type { ChunkerConfig } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import type { CrossEncoder, Embedder, ModelInfo } from '../embed/embedder';
import type { EvalTarget } from '../eval/eval-target';
import { evaluate } from '../eval/evaluate';
import type { EvalQuery } from '../eval/evalset-types';
import { describeLevel, LEVEL_NAME, levelSupport, unscorableReason, type Level, type LevelSupport } from '../eval/label-level';
import type { MetricsResult } from '../eval/metrics';
import { compareRuns } from '../eval/significance';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { RetrieverName } from '../retrieve/types';
import { adapterChecklistItem, adapterVerdictReason, measureAdapterGain, renderAdapterGainMarkdown, type AdapterGain } from '../adapt/readiness-gain';
import { isRealQuery, realFailuresItem, semanticShareItem, trainingPairsItem } from './checklist-rules';
import { checklistItem, evidenceLine, factItem, STATE_MARK, DEFAULT_GAIN_RULE, type ChecklistItem } from '../eval/evidence-bar';
import { readRecordedRun, recordedRunFile, recordedRunNames } from '../eval/trace-store';
import { documentLookup } from '../eval/hit-placement';
import { classifyTraceFailures, productionFailures, productionFailuresItem, type ProductionFailures } from './trace-failures';
import { noteSyntheticPairs, type SyntheticShare } from '../judge/synthetic-readiness';
import { agreementReportLine, targetAgreement, type AgreementSummary } from '../judge/agreement-summary';
import { judgeLabelledBaseline, type JudgeLabelledFigure } from '../judge/judge-labelled-figures';
import { CATEGORY_FIX, defaultRechunkers, diagnoseMisses, FAILURE_CATEGORIES, missCounts, type FailureCategory, type Miss, type Variant } from './diagnose-misses';
import { baseCategoryOf, categoryText } from './miss-words';
import { GAIN_ITEM, readinessVerdict } from './readiness-verdict';

/** Opens (or builds) an index of the target's corpus for a chunker and an embedding model; the caller decides storage. */
export type IndexOpener = (chunker: ChunkerConfig, embedder: Embedder | null, crossEncoder: CrossEncoder | null) => Promise<RetrievalIndex>;

export interface ReadinessOptions {
  k: number;
  baseline: Exclude<RetrieverName, 'rerank'>;
  candidates: number;
  /** Training pairs recommended before fine-tuning an embedding model. */
  minTrainingPairs: number;
  /**
   * Eval queries a measured gain must rest on before the checklist ticks it (with p ≤ 0.05 and the CI above zero);
   * 30 by default, the reason in eval/evidence-bar.ts (DEFAULT_GAIN_RULE).
   */
  minGainQueries: number;
  rechunkers?: ChunkerConfig[];
  /** Train a query adapter to measure the expected gain from adapting the model (default true). */
  adapterTrial?: boolean;
  onProgress?: (message: string) => void;
}

export const DEFAULT_READINESS: ReadinessOptions = { k: 5, baseline: 'dense', candidates: 30, minTrainingPairs: 1000, minGainQueries: DEFAULT_GAIN_RULE.minQueries };

export interface ConfigResult {
  label: string;
  /** The level this row is scored at (a mixed eval set gets a row per level). */
  level: Level;
  what: 'baseline' | 'hybrid' | 'rerank' | 'chunker' | 'model' | 'no-filters';
  ndcg_cut_10: number;
  recall_k: number;
  /** Against the baseline: mean difference of nDCG@10 per query and its paired randomization p-value. */
  gain: number;
  pValue: number;
}

export type { ChecklistItem } from '../eval/evidence-bar';

export interface ReadinessReport {
  createdAt: string;
  workspace: string;
  baseline: { retriever: string; chunker: string; model: ModelInfo | null; k: number };
  judgedSpans: number;
  found: number;
  misses: Miss[];
  counts: Record<FailureCategory, number>;
  /**
   * The same misses counted as the index alone decides them, without the what-if indexes (other chunkers, models):
   * what the inspector, the Problems entries and the baseline view show. Differs from `counts` only where a what-if
   * recovered a miss (each such miss names it: Miss.whatIf).
   */
  baseCounts?: Record<FailureCategory, number>;
  configs: ConfigResult[];
  /**
   * The levels the labels support and the figures above are computed at: chunk for span labels, doc for document
   * labels, both for a mixed set; `unscored` says why a level is absent (never a 0.000 no label could produce).
   */
  levels: { kind: LevelSupport['kind']; scored: Level[]; queriesAt: Record<Level, number>; headings: Partial<Record<Level, string>>; unscored: Partial<Record<Level, string>> };
  checklist: ChecklistItem[];
  verdict: { justified: boolean; headline: string; reasons: string[] };
  /** Expected gain from adapting the model (a query adapter trained on the train split); absent when switched off. */
  adapterGain?: AdapterGain;
  /** Failed production traces of each recorded run (trace:<name>), told apart: the report leads with them. */
  production?: ProductionFailures[];
  /** Configured external retrievers scored beside the baseline by labeled spans (see ExternalReadinessLine). */
  external?: ExternalReadinessLine[];
  /** Configured retrievers that could not be scored: not contacted (untrusted, not confirmed) or failed, with why. */
  externalNotScored?: Array<{ name: string; reason: string }>;
  /** Train pairs on synthetic queries (generate-queries), and synthetic queries moved to the eval split; absent when none. */
  synthetic?: SyntheticShare;
  /** Judge agreement with the human labels (judge/agreement-summary.ts), when judge labels exist. */
  judgeAgreement?: AgreementSummary[];
  /** The baseline scored with human + judge labels, beside the human-only figure; only for a validated judge. */
  judgeLabelled?: JudgeLabelledFigure[];
}

/** One external retriever in the report: scored on the eval split by labeled spans against the baseline scored alike. */
export interface ExternalReadinessLine {
  name: string;
  level: Level;
  destination: string;
  ndcg_cut_10: number;
  recall_k: number;
  /** The local baseline on the same queries, scored the same way. */
  baselineNdcg: number;
  gain: number;
  pValue: number;
  queries: number;
  failedQueries: number;
  /** Missed labeled targets per category (the one diagnosis, diagnose-misses.ts). */
  misses: Record<string, number>;
  /** Categories that cannot be told for this retriever, each `category: why`. */
  uncomputed?: string[];
}

/**
 * The fine-tune readiness report: diagnoses every miss of the baseline on the eval split, measures what each fix
 * (hybrid, reranking, other chunkers, other models, no filters) gains, answers the checklist from data and gives
 * a verdict. Fine-tuning is justified only when the remaining failures are mostly semantic and the data for it
 * (training pairs, a separate eval split, a measured baseline) exists.
 */
export async function buildReadinessReport(
  target: EvalTarget,
  open: IndexOpener,
  models: { baseline: Embedder; alternatives: Embedder[]; crossEncoder: CrossEncoder | null; chunker: ChunkerConfig },
  options: Partial<ReadinessOptions> = {},
): Promise<ReadinessReport> {
  const o = { ...DEFAULT_READINESS, ...options };
  const say = o.onProgress ?? (() => undefined);
  say('building the baseline index');
  const index = await open(models.chunker, models.baseline, models.crossEncoder);
  const variants: Variant[] = [];
  for (const c of o.rechunkers ?? defaultRechunkers(models.chunker)) {
    say(`building a what-if index with ${chunkerKey(c)}`);
    variants.push({ label: `chunker ${chunkerKey(c)}`, kind: 'chunker', index: await open(c, models.baseline, null) });
  }
  for (const m of models.alternatives) {
    say(`building a what-if index with model ${m.info.id}`);
    variants.push({ label: `model ${m.info.id}`, kind: 'model', index: await open(models.chunker, m, null) });
  }
  say('diagnosing misses');
  const evalQueries = target.queries.filter((q) => q.split === 'eval');
  const trainQueries = target.queries.filter((q) => q.split === 'train');
  const { misses, found, judged } = await diagnoseMisses(
    { index, root: target.kind === 'workspace' ? target.root : undefined, corpusOptions: { include: target.settings.include, exclude: target.settings.exclude }, queries: target.queries, variants },
    { k: o.k, baseline: o.baseline, candidates: o.candidates, split: 'eval' },
  );
  const counts = missCounts(misses);
  const baseCounts = missCounts(misses.map((m) => ({ ...m, category: baseCategoryOf(m) })));

  say('measuring what each fix gains');
  // Each figure at a level the labels support: document judgments say nothing about which chunk answers, so a
  // chunk-level score of them would be a 0.000 that was never measured.
  const support = levelSupport(target.queries, 'eval');
  const cutoffs = [o.k, 10];
  const configs: ConfigResult[] = [];
  const baselines: Partial<Record<Level, MetricsResult>> = {};
  for (const level of support.levels) {
    const run = (ix: RetrievalIndex, retriever: RetrieverName, queries: EvalQuery[] = target.queries) => evaluate(ix, queries, { retriever, level, cutoffs, split: 'eval' });
    // Chunk-level scores of other chunkers are comparable because relevance comes from the same spans.
    const baseRun = await run(index, o.baseline);
    baselines[level] = baseRun.metrics;
    const add = async (label: string, what: ConfigResult['what'], r: Awaited<ReturnType<typeof run>>) => {
      const c = compareRuns(baseRun.metrics.perQuery, r.metrics.perQuery, 'ndcg_cut_10');
      configs.push({ label, level, what, ndcg_cut_10: r.metrics.all.ndcg_cut_10, recall_k: r.metrics.all[`recall_${o.k}`], gain: c.meanDiff, pValue: c.pValue });
    };
    await add(`baseline: ${o.baseline} (${index.manifest.chunkerKey}, ${index.manifest.model?.id ?? 'no model'})`, 'baseline', baseRun);
    if (o.baseline !== 'hybrid' && index.embedder) await add('hybrid (keyword + dense)', 'hybrid', await run(index, 'hybrid'));
    if (o.baseline !== 'keyword') await add('keyword (BM25)', 'hybrid', await run(index, 'keyword'));
    if (index.crossEncoder) await add(`rerank with ${index.crossEncoder.info.id}`, 'rerank', await run(index, 'rerank'));
    for (const v of variants) await add(v.label, v.kind, await run(v.index, v.kind === 'model' ? 'dense' : o.baseline));
    if (evalQueries.some((q) => q.filter)) await add('without metadata filters', 'no-filters', await run(index, o.baseline, target.queries.map(({ filter: _f, ...q }) => q)));
  }
  const unscored: ReadinessReport['levels']['unscored'] = {};
  for (const level of ['chunk', 'doc'] as Level[]) {
    const why = support.levels.includes(level) ? undefined : unscorableReason(level, support);
    if (why) unscored[level] = why;
  }
  const headings = Object.fromEntries(support.levels.map((l) => [l, describeLevel(l, support)])) as Partial<Record<Level, string>>;
  const measured = support.levels.map((l) => {
    const m = baselines[l] as MetricsResult;
    return `${o.baseline} nDCG@10 ${m.all.ndcg_cut_10.toFixed(3)}, Recall@${o.k} ${m.all[`recall_${o.k}`].toFixed(3)} at ${LEVEL_NAME[l]}`;
  });

  // Checklist, answered from the data above: each item with the figure it rests on and the bar (checklist-rules.ts).
  const labeledPairs = trainQueries.reduce((s, q) => s + q.judgments.filter((j) => j.grade >= 1).length, 0);
  const evalTexts = new Set(evalQueries.map((q) => q.text.trim().toLowerCase()));
  const leaked = trainQueries.filter((q) => evalTexts.has(q.text.trim().toLowerCase())).length;
  const throughput = await measureThroughput(models.baseline, [...index.allChunks()].slice(0, 32).map((c) => c.text));
  const chunks = index.chunkMap.size;
  const real = evalQueries.filter(isRealQuery);
  const missedIds = new Set(misses.map((m) => m.queryId));
  const chunkers = variants.filter((v) => v.kind === 'chunker').length;
  const byHybrid = counts['exact-match'] + counts.lexical + counts.fusion;
  const checklist: ChecklistItem[] = [
    realFailuresItem({ evalQueries: evalQueries.length, realQueries: real.length, realMissedQueries: real.filter((q) => missedIds.has(q.id)).length, misses: misses.length, noun: targetNoun(support.kind) }),
    factItem('Baseline measured', measured.length > 0, measured.length ? measured.join('; ') : `not measured: ${unscorableReason('doc', support)}`, { figure: measured.length ? `${o.baseline} scored at ${support.levels.map((l) => LEVEL_NAME[l]).join(' and ')}` : 'not scored', n: support.judgedQueries, nOf: 'judged eval queries', bar: 'scored at every level the labels support' }, 'label eval queries'),
    factItem('Chunking tested', chunkers > 0, `${chunkers} other chunkers tried; ${counts.chunking} misses recovered by re-chunking`, { figure: `${chunkers} other chunkers`, bar: 'at least one other chunker tried' }, 'try another chunker'),
    factItem('Metadata filters tested', true, evalQueries.some((q) => q.filter) ? `${evalQueries.filter((q) => q.filter).length} queries use filters; ${counts['filtered-out']} misses caused by a filter` : 'no eval query uses a filter', { figure: `${counts['filtered-out']} misses caused by a filter`, bar: 'every filtered query also run without its filter' }),
    factItem('Hybrid search tested', !!index.embedder, `${byHybrid} misses recovered by hybrid (${counts['exact-match']} exact-match, ${counts.lexical} lexical, ${counts.fusion} fusion)`, { figure: `${byHybrid} misses recovered by hybrid`, bar: 'hybrid run beside the baseline (needs an embedding model)' }, 'index with an embedding model'),
    factItem('Reranking tested', !!index.crossEncoder, index.crossEncoder ? `${counts.ranking} misses recovered by ${index.crossEncoder.info.id}` : `no reranker configured; ${counts.ranking} misses sit in the top ${o.candidates} candidates (unverified)`, { figure: index.crossEncoder ? `${counts.ranking} misses recovered by reranking` : 'no reranker', bar: 'a reranker run over the top candidates' }, 'configure a reranker (--reranker)'),
    semanticShareItem({ semantic: counts.semantic, misses: misses.length, evalQueries: evalQueries.length }),
    // Filled in below once the adapter trial has said how many of the labeled pairs it could use.
    trainingPairsItem({ labeled: labeledPairs }, o.minTrainingPairs),
    factItem('Separate eval split', evalQueries.length > 0 && trainQueries.length > 0 && leaked === 0, `${evalQueries.length} eval and ${trainQueries.length} train queries${leaked ? `; ${leaked} train queries repeat an eval query` : ', no overlap'}`, { figure: `${evalQueries.length} eval, ${trainQueries.length} train, ${leaked} repeated`, bar: 'both splits non-empty, no train query repeating an eval query' }, leaked ? 'remove or re-word the train queries that repeat an eval query' : 'mark some labeled queries "split": "train"'),
    factItem('Re-embedding cost known', true, `${chunks} chunks at ${throughput.toFixed(1)} chunks/s ≈ ${formatSeconds(chunks / throughput)}; index on disk ${formatBytes(index.diskBytes())}`, { figure: `${chunks} chunks ≈ ${formatSeconds(chunks / throughput)}`, n: Math.min(32, chunks), nOf: 'chunks timed', bar: 'throughput measured on this machine' }),
    factItem('Rollback path', index.diskBytes() > 0, index.diskBytes() > 0 ? `the current index stays saved under its own folder; a fine-tuned model builds a new one beside it` : 'the index is not saved to disk', { figure: formatBytes(index.diskBytes()), bar: 'the current index saved to disk' }, 'save the index to disk'),
  ];

  // Production traces: failures where the right context was served are the generator's, not the retriever's.
  const production = target.kind === 'workspace' ? productionRuns(target) : [];
  const productionItem = productionFailuresItem(production);
  if (productionItem) checklist.splice(1, 0, productionItem);

  // Expected gain from adapting the model: a query adapter trained on the train split, measured on the eval split.
  let adapterGain: AdapterGain | undefined;
  if (o.adapterTrial !== false && index.embedder && support.levels.length) {
    say('training a query adapter to measure the gain from adapting the model');
    // At the level the labels support; a mixed set is measured at both levels, as every other figure of the report.
    adapterGain = await measureAdapterGain(index, target.queries, { level: support.levels[0] });
    if (adapterGain.pairs) checklist[checklist.findIndex((c) => c.item === 'Enough training pairs')] = trainingPairsItem(adapterGain.pairs, o.minTrainingPairs);
    checklist.push(adapterChecklistItem(adapterGain, `${chunks} chunks ≈ ${formatSeconds(chunks / throughput)}`, { ...DEFAULT_GAIN_RULE, minQueries: o.minGainQueries }));
  } else {
    // Not measured is not settled: without the item a verdict could say "justified" with no gain measured at all.
    const why = o.adapterTrial === false ? 'the adapter trial was switched off' : !index.embedder ? 'no embedding model' : 'no level the labels support';
    checklist.push(checklistItem(GAIN_ITEM, 'not-settled', `not measured: ${why}`, { figure: 'not measured', bar: 'a measured gain (p ≤ 0.05 and 95% CI lower bound > 0)' }, 'run the report with the adapter trial on'));
  }

  // How many train pairs are synthetic (generate-queries), said beside the pairs; eval figures are the eval split's.
  const synthetic = noteSyntheticPairs(checklist, target.queries);
  // The verdict from the same figures as the checklist (readiness-verdict.ts): the two never disagree.
  const { justified, headline, reasons } = readinessVerdict({ misses, checklist });
  if (adapterGain) reasons.push(adapterVerdictReason(adapterGain, { ...DEFAULT_GAIN_RULE, minQueries: o.minGainQueries }));
  // The judge's agreement with the humans, when judge labels exist; every figure here uses human labels only.
  const judgeAgreement = targetAgreement(target);
  if (judgeAgreement) reasons.push(...judgeAgreement.map(agreementReportLine));
  const judgeLabelled = await judgeLabelledBaseline(index, target, judgeAgreement, { retriever: o.baseline, levels: support.levels, k: o.k, human: baselines });
  reasons.push(...judgeLabelled.map((f) => f.line));
  // Production's own failures lead: "of 120 thumbs-down traces, 41 had the right context in what was served".
  reasons.unshift(...production.filter((p) => p.failed || p.unreadable).map((p) => p.headline));
  return {
    createdAt: new Date().toISOString(),
    workspace: target.root,
    baseline: { retriever: o.baseline, chunker: index.manifest.chunkerKey, model: index.manifest.model, k: o.k },
    judgedSpans: judged,
    found,
    misses,
    counts,
    baseCounts,
    configs,
    levels: { kind: support.kind, scored: support.levels, queriesAt: support.queriesAt, headings, unscored },
    checklist,
    verdict: { justified, headline, reasons },
    ...(adapterGain ? { adapterGain } : {}),
    ...(production.length ? { production } : {}),
    ...(synthetic.syntheticTrainPairs || synthetic.syntheticEvalQueries ? { synthetic } : {}),
    ...(judgeAgreement ? { judgeAgreement } : {}),
    ...(judgeLabelled.length ? { judgeLabelled } : {}),
  };
}

/** Every recorded run of the workspace, its failed traces classified by the eval set's labels. */
function productionRuns(target: EvalTarget): ProductionFailures[] {
  const docs = documentLookup(target.corpus.documents);
  return recordedRunNames(target.root).map((name) => {
    try {
      const run = readRecordedRun(recordedRunFile(target.root, name));
      return productionFailures(`trace:${name}`, classifyTraceFailures(run.traces, target.queries, docs, { documentId: run.header.documentId }));
    } catch (e) {
      // A damaged run file costs its own section, not the report: the message names the file and line.
      return { run: `trace:${name}`, traces: 0, failed: 0, counts: { unjudged: 0, retrieval: 0, generation: 0, 'missing-document': 0 }, headline: `trace:${name}: not read: ${e instanceof Error ? e.message : e}`, unreadable: true };
    }
  });
}

async function measureThroughput(embedder: Embedder, texts: string[]): Promise<number> {
  if (!texts.length) return 0;
  const t0 = performance.now();
  await embedder.embed(texts);
  return texts.length / ((performance.now() - t0) / 1000);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'unknown';
  return s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`;
}

function formatBytes(b: number): string {
  return b < 1024 * 1024 ? `${(b / 1024).toFixed(0)} KiB` : `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

/** The report as Markdown (README, CLI --markdown, the editor's report view). */
export function renderReadinessMarkdown(r: ReadinessReport): string {
  const lines: string[] = [];
  const noun = targetNoun(r.levels.kind);
  lines.push(`# Fine-tune readiness: ${r.verdict.headline}`, '');
  for (const reason of r.verdict.reasons) lines.push(`- ${reason}`);
  lines.push('', `Baseline: **${r.baseline.retriever}** retriever, chunker \`${r.baseline.chunker}\`, model \`${r.baseline.model?.id ?? 'none'}\`, ${r.levels.kind === 'documents' ? 'a document counts as found when it is among the top' : r.levels.kind === 'mixed' ? 'a span counts as found when one of its chunks is in the top' : 'a span counts as found in the top'} ${r.baseline.k}${r.levels.kind === 'documents' ? ' documents' : r.levels.kind === 'mixed' ? ' chunks, a document when it is among the top ' + r.baseline.k + ' documents' : ''}.`);
  lines.push(`${r.found} of ${r.judgedSpans} labeled relevant ${noun} found; ${r.misses.length} missed.`, '');
  lines.push(`## Why ${noun} were missed`, '', `| Category | Misses | Share | ${WITHOUT_WHAT_IFS} | Fix |`, '| --- | ---: | ---: | ---: | --- |');
  for (const c of FAILURE_CATEGORIES) {
    lines.push(`| ${c} | ${r.counts[c]} | ${r.misses.length ? Math.round((100 * r.counts[c]) / r.misses.length) : 0}% | ${(r.baseCounts ?? r.counts)[c]} | ${CATEGORY_FIX[c]} |`);
  }
  lines.push('', WHAT_IF_NOTE);
  for (const level of r.levels.scored) {
    lines.push('', `## What each fix gains (eval split, ${r.levels.headings[level] ?? LEVEL_NAME[level]})`, '', `| Configuration | nDCG@10 | Recall@${r.baseline.k} | Δ nDCG@10 vs baseline | p |`, '| --- | ---: | ---: | ---: | ---: |');
    for (const c of r.configs.filter((x) => x.level === level)) {
      lines.push(`| ${c.label} | ${c.ndcg_cut_10.toFixed(3)} | ${c.recall_k.toFixed(3)} | ${c.what === 'baseline' ? '—' : `${c.gain >= 0 ? '+' : ''}${c.gain.toFixed(3)}`} | ${c.what === 'baseline' ? '—' : c.pValue.toFixed(3)} |`);
    }
  }
  if (!r.levels.scored.length) lines.push('', '## What each fix gains (eval split)', '', `Not measured: ${r.levels.unscored.doc ?? r.levels.unscored.chunk}.`);
  else if (r.levels.unscored.chunk) lines.push('', `Chunk level is not measured: ${r.levels.unscored.chunk}.`);
  if (r.production?.length) {
    lines.push('', '## Production failures (recorded traces)', '', '| Run | Traces | Failed | Unjudged | Retrieval | Generation | Missing document |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const p of r.production) lines.push(`| ${mdCell(p.run)} | ${p.traces} | ${p.failed} | ${p.counts.unjudged} | ${p.counts.retrieval} | ${p.counts.generation} | ${p.counts['missing-document']} |`);
    lines.push('', 'Generation: the served passages held labeled relevant text and the answer still failed — fix the prompt or the generator, not the retriever.');
  }
  if (r.adapterGain) lines.push(...renderAdapterGainMarkdown(r.adapterGain));
  if (r.external?.length) {
    lines.push('', `## Configured retrievers (eval split, ${r.external[0].level === 'chunk' ? 'labeled spans' : LEVEL_NAME[r.external[0].level]})`, '', `| Retriever | Sends to | nDCG@10 | Recall@${r.baseline.k} | Δ nDCG@10 vs ${r.baseline.retriever} | p | Misses |`, '| --- | --- | ---: | ---: | ---: | ---: | --- |');
    for (const e of r.external) {
      const misses = Object.entries(e.misses).filter(([, n]) => n).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
      lines.push(`| ${mdCell(e.name)} | ${mdCell(e.destination)} | ${e.ndcg_cut_10.toFixed(3)} | ${e.recall_k.toFixed(3)} | ${e.gain >= 0 ? '+' : ''}${e.gain.toFixed(3)} | ${e.pValue.toFixed(3)} | ${mdCell(misses)}${e.failedQueries ? `; ${e.failedQueries} queries failed` : ''} |`);
    }
    const uncomputed = r.external.filter((e) => e.uncomputed?.length);
    if (uncomputed.length) lines.push('', ...uncomputed.flatMap((e) => (e.uncomputed ?? []).map((u) => `- ${mdCell(e.name)}: not computable: ${mdCell(u)}`)));
  }
  if (r.externalNotScored?.length) {
    lines.push('', r.external?.length ? 'Not scored:' : '## Configured retrievers (not scored)', '');
    for (const n of r.externalNotScored) lines.push(`- **${mdCell(n.name)}**: ${mdCell(n.reason)}`);
  }
  lines.push('', '## Checklist', '');
  lines.push('[x] met, [ ] not met, [?] not settled (too little evidence to say); each item with the figure it rests on and its bar.', '');
  for (const c of r.checklist) {
    lines.push(`- ${STATE_MARK[c.state]} **${c.item}** — ${c.detail}`, `  - evidence: ${evidenceLine(c.evidence)}`);
    if (c.settle) lines.push(`  - to settle: ${c.settle}`);
  }
  lines.push('', `## Missed ${noun}`, '', '| Query | Document | Category | Evidence |', '| --- | --- | --- | --- |');
  for (const m of r.misses) lines.push(`| ${mdCell(m.queryText)} | ${m.docId} | ${mdCell(categoryText(m))} | ${mdCell(m.evidence)} |`);
  lines.push('', `_Generated ${r.createdAt} by Retrieval Lens._`, '');
  return lines.join('\n');
}

/** The heading of the column that counts misses as the other views do (the index alone, no what-if indexes). */
export const WITHOUT_WHAT_IFS = 'Without what-ifs';

/** Why the report's counts can differ from the inspector's and the baseline's, said under the table. */
export const WHAT_IF_NOTE =
  'The report also builds what-if indexes (other chunkers, other embedding models) that the inspector, the Problems entries and the baseline view do not: a miss one of them recovers is counted here under chunking or model-choice, names the what-if beside its category, and is counted under "Without what-ifs" as those views count it.';

/** What the labels point at: spans, whole documents, or both. */
export function targetNoun(kind: LevelSupport['kind']): string {
  return kind === 'documents' ? 'documents' : kind === 'mixed' ? 'spans and documents' : 'spans';
}

/** Text in a Markdown table cell or list item: a pipe would end the cell, a newline the row. No HTML escaping (the
 * editor shows the report in its own app, where text is text). */
function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
