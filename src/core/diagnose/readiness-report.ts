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
import { adapterChecklistItem, adapterVerdictReason, labelsNeededLines, measureAdapterGain, readinessLabelsNeeded, renderAdapterGainMarkdown, type AdapterGain, type ReadinessLabelsNeeded } from '../adapt/readiness-gain';
import { isRealQuery, judgePairsNote, labeledTrainPairs, realFailuresItem, semanticShareItem, trainingPairsItem } from './checklist-rules';
import { checklistItem, evidenceLine, factItem, STATE_MARK, DEFAULT_GAIN_RULE, type ChecklistItem } from '../eval/evidence-bar';
import { readRecordedRun, recordedRunFile, recordedRunNames } from '../eval/trace-store';
import { documentLookup } from '../eval/hit-placement';
import { classifyTraceFailures, productionFailures, productionFailuresItem, type ProductionFailures } from './trace-failures';
import { noteSyntheticPairs, type SyntheticShare } from '../judge/synthetic-readiness';
import { agreementReportLine, decidingJudge, JUDGE_DECIDES_NOTE, kappaOnPairs, summarizeAgreement, targetJudgeLabels, type AgreementSummary } from '../judge/agreement-summary';
import { judgeLabelledFigures, type JudgeLabelledFigure } from '../judge/judge-labelled-figures';
import { withJudgeGrades } from '../judge/judge-labels';
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
  /** Eval queries the row is scored on. */
  queries?: number;
}

export type { ChecklistItem } from '../eval/evidence-bar';

/**
 * A checklist item as the report carries it. When the verdict is decided on human + judge labels (a validated
 * judge) and the item's figure or state differs from the human-only one, `labels` names the labels it rests on
 * ("human + <judge>") and `humanOnly` is the same item decided on human labels only.
 */
export type ReadinessChecklistItem = ChecklistItem & { labels?: string; humanOnly?: { state: ChecklistItem['state']; detail: string; figure: string } };

/** A miss as the report carries it: `judge` names the judge when the missed label is the judge's (no human graded that passage). */
export type ReadinessMiss = Miss & { judge?: string };

/**
 * Everything the report decides from labels: the diagnosis, each fix's figures, the checklist and the verdict. The
 * report's top-level fields are these on the labels the verdict is decided on; `humanOnly` is these again on human
 * labels only, present when a validated judge's labels entered the decision.
 */
export interface ReadinessFigures {
  judgedSpans: number;
  found: number;
  misses: ReadinessMiss[];
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
  checklist: ReadinessChecklistItem[];
  verdict: { justified: boolean; headline: string; reasons: string[] };
  /** Expected gain from adapting the model (a query adapter trained on the train split); absent when switched off. */
  adapterGain?: AdapterGain;
  /**
   * How many labels are enough: eval queries to detect +0.02 nDCG@10 and the adapter's measured gain (from its paired
   * per-query differences, normal approximation), and training pairs read from its learning curve; without a measured
   * adapter, why there is no figure.
   */
  labelsNeeded?: ReadinessLabelsNeeded;
  /** Train pairs on synthetic queries (generate-queries), and synthetic queries moved to the eval split; absent when none. */
  synthetic?: SyntheticShare;
}

/**
 * The report. Which labels its decision rests on: human labels only, unless a judge is validated (VALIDATION_RULE:
 * κ ≥ 0.6 on ≥ 50 pairs graded by both), and then human + that judge's labels (withJudgeGrades: a human grade always
 * wins; the judge's fill passages no human graded) — `judgeDecided` names the judge. So with no validated judge every
 * field means what it always meant (human labels); with one, the ReadinessFigures fields (judgedSpans … synthetic)
 * rest on human + judge labels, and `humanOnly` holds the same figures on human labels only. Production traces and
 * the configured retrievers (`external`) are always classified and scored by human labels.
 */
export interface ReadinessReport extends ReadinessFigures {
  createdAt: string;
  workspace: string;
  baseline: { retriever: string; chunker: string; model: ModelInfo | null; k: number };
  /** Failed production traces of each recorded run (trace:<name>), told apart: the report leads with them. */
  production?: ProductionFailures[];
  /** Configured external retrievers scored beside the baseline by labeled spans (see ExternalReadinessLine). */
  external?: ExternalReadinessLine[];
  /** Configured retrievers that could not be scored: not contacted (untrusted, not confirmed) or failed, with why. */
  externalNotScored?: Array<{ name: string; reason: string }>;
  /** Judge agreement with the human labels (judge/agreement-summary.ts), when judge labels exist. */
  judgeAgreement?: AgreementSummary[];
  /** The validated judge whose labels the decision rests on (with the human ones); absent: human labels only. */
  judgeDecided?: { judge: string; kappa: number | null; pairs: number };
  /** The report's figures on human labels only, beside the decision's; present only with `judgeDecided`. */
  humanOnly?: ReadinessFigures;
  /** Every configuration row scored with human + judge labels, beside its human-only figure; only for a validated judge. */
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

/** What every assessment of a label set shares: the indexes (opened once), the throughput, the production traces. */
interface Shared {
  target: EvalTarget;
  index: RetrievalIndex;
  variants: Variant[];
  o: ReadinessOptions;
  say: (message: string) => void;
  throughput: number;
  production: ProductionFailures[];
}

/**
 * The fine-tune readiness report: diagnoses every miss of the baseline on the eval split, measures what each fix
 * (hybrid, reranking, other chunkers, other models, no filters) gains, answers the checklist from data and gives
 * a verdict. Fine-tuning is justified only when the remaining failures are mostly semantic and the data for it
 * (training pairs, a separate eval split, a measured baseline) exists. With a validated judge the same is decided
 * again on human + judge labels over the same indexes, and that decides; the human-only figures stand beside.
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
  const throughput = await measureThroughput(models.baseline, [...index.allChunks()].slice(0, 32).map((c) => c.text));
  // Production traces: failures where the right context was served are the generator's, not the retriever's.
  const production = target.kind === 'workspace' ? productionRuns(target) : [];
  const shared: Shared = { target, index, variants, o, say, throughput, production };

  // The judge's agreement with the humans, when judge labels exist; a validated judge's labels enter the decision.
  const anchored = targetJudgeLabels(target);
  const agreement = anchored.labels.length ? summarizeAgreement(target.queries, anchored.labels, anchored.stale) : undefined;
  const judge = decidingJudge(agreement);
  const judgeAgreement = judge ? agreement?.map((a) => ({ ...a, labelsUsed: JUDGE_DECIDES_NOTE })) : agreement;

  const human = await assess(target.queries, shared);
  let decided = human;
  let judgeLabelled: JudgeLabelledFigure[] = [];
  if (judge) {
    say(`deciding again on human + ${judge.judge} labels (the judge is validated)`);
    decided = await assess(withJudgeGrades(target.queries, anchored.labels, judge.judge), shared, { judge: judge.judge, humanQueries: target.queries });
    markBeside(decided.checklist, human.checklist, judge.judge);
    judgeLabelled = judgeLabelledFigures(judge.judge, decided.configs.map((c) => ({ ...c, queries: c.queries ?? 0 })), human.configs.map((c) => ({ ...c, queries: c.queries ?? 0 })), { retriever: o.baseline, k: o.k });
  }

  const reasons = [...decided.verdict.reasons];
  if (judge) {
    const same = human.verdict.headline === decided.verdict.headline;
    reasons.unshift(`Verdict on human + ${judge.judge} labels (judge validated: ${kappaOnPairs(judge)}); on human labels only it would read${same ? ' the same' : ''}: ${human.verdict.headline}`);
  }
  if (agreement) reasons.push(...agreement.map((a) => agreementReportLine(a, judge?.judge)));
  reasons.push(...judgeLabelled.filter((f) => f.what === 'baseline').map((f) => f.line));
  // Production's own failures lead: "of 120 thumbs-down traces, 41 had the right context in what was served".
  reasons.unshift(...production.filter((p) => p.failed || p.unreadable).map((p) => p.headline));
  return {
    createdAt: new Date().toISOString(),
    workspace: target.root,
    baseline: { retriever: o.baseline, chunker: index.manifest.chunkerKey, model: index.manifest.model, k: o.k },
    ...figuresJson(decided),
    verdict: { ...decided.verdict, reasons },
    ...(production.length ? { production } : {}),
    ...(judgeAgreement ? { judgeAgreement } : {}),
    ...(judge ? { judgeDecided: { judge: judge.judge, kappa: judge.kappa, pairs: judge.pairs }, humanOnly: figuresJson(human) } : {}),
    ...(judgeLabelled.length ? { judgeLabelled } : {}),
  };
}

function figuresJson(f: ReadinessFigures & { synthetic?: SyntheticShare }): ReadinessFigures {
  const { synthetic, adapterGain, ...rest } = f;
  return { ...rest, ...(adapterGain ? { adapterGain } : {}), ...(synthetic && (synthetic.syntheticTrainPairs || synthetic.syntheticEvalQueries) ? { synthetic } : {}) };
}

/**
 * Marks, in place, each item of a checklist decided on human + judge labels whose figure or state differs from the
 * same item on human labels only: the labels it rests on, and the human-only item beside it.
 */
function markBeside(checklist: ReadinessChecklistItem[], human: readonly ReadinessChecklistItem[], judge: string): void {
  for (const item of checklist) {
    const h = human.find((x) => x.item === item.item);
    if (!h || (h.state === item.state && h.detail === item.detail && h.evidence.figure === item.evidence.figure)) continue;
    item.labels = `human + ${judge}`;
    item.humanOnly = { state: h.state, detail: h.detail, figure: h.evidence.figure };
    item.evidence = { ...item.evidence, figure: `${item.evidence.figure} (human + ${judge} labels)` };
  }
}

/**
 * The diagnosis, each fix's figures, the checklist and the verdict on one set of labels (the target's queries, or
 * the same with a validated judge's grades added), over the indexes already opened.
 */
async function assess(queries: EvalQuery[], s: Shared, judged?: { judge: string; humanQueries: EvalQuery[] }): Promise<ReadinessFigures & { synthetic: SyntheticShare }> {
  const { target, index, variants, o, say } = s;
  const on = judged ? ` (human + ${judged.judge} labels)` : '';
  say(`diagnosing misses${on}`);
  const evalQueries = queries.filter((q) => q.split === 'eval');
  const trainQueries = queries.filter((q) => q.split === 'train');
  const diagnosis = await diagnoseMisses(
    { index, root: target.kind === 'workspace' ? target.root : undefined, corpusOptions: { include: target.settings.include, exclude: target.settings.exclude }, queries, variants },
    { k: o.k, baseline: o.baseline, candidates: o.candidates, split: 'eval' },
  );
  const { found, judged: judgedSpans } = diagnosis;
  // A miss of a label the judge gave (withJudgeGrades appends the judge's grades after the human ones) says so.
  const humanJudgments = new Map((judged?.humanQueries ?? []).map((q) => [q.id, q.judgments.length]));
  const misses: ReadinessMiss[] = diagnosis.misses.map((m) => (judged && m.judgmentIndex >= (humanJudgments.get(m.queryId) ?? 0) ? { ...m, judge: judged.judge } : m));
  const counts = missCounts(misses);
  const baseCounts = missCounts(misses.map((m) => ({ ...m, category: baseCategoryOf(m) })));

  say(`measuring what each fix gains${on}`);
  // Each figure at a level the labels support: document judgments say nothing about which chunk answers, so a
  // chunk-level score of them would be a 0.000 that was never measured.
  const support = levelSupport(queries, 'eval');
  const cutoffs = [o.k, 10];
  const configs: ConfigResult[] = [];
  const baselines: Partial<Record<Level, MetricsResult>> = {};
  for (const level of support.levels) {
    const run = (ix: RetrievalIndex, retriever: RetrieverName, qs: EvalQuery[] = queries) => evaluate(ix, qs, { retriever, level, cutoffs, split: 'eval' });
    // Chunk-level scores of other chunkers are comparable because relevance comes from the same spans.
    const baseRun = await run(index, o.baseline);
    baselines[level] = baseRun.metrics;
    const add = async (label: string, what: ConfigResult['what'], r: Awaited<ReturnType<typeof run>>) => {
      const c = compareRuns(baseRun.metrics.perQuery, r.metrics.perQuery, 'ndcg_cut_10');
      configs.push({ label, level, what, ndcg_cut_10: r.metrics.all.ndcg_cut_10, recall_k: r.metrics.all[`recall_${o.k}`], gain: c.meanDiff, pValue: c.pValue, queries: Object.keys(r.metrics.perQuery).length });
    };
    await add(`baseline: ${o.baseline} (${index.manifest.chunkerKey}, ${index.manifest.model?.id ?? 'no model'})`, 'baseline', baseRun);
    if (o.baseline !== 'hybrid' && index.embedder) await add('hybrid (keyword + dense)', 'hybrid', await run(index, 'hybrid'));
    if (o.baseline !== 'keyword') await add('keyword (BM25)', 'hybrid', await run(index, 'keyword'));
    if (index.crossEncoder) await add(`rerank with ${index.crossEncoder.info.id}`, 'rerank', await run(index, 'rerank'));
    for (const v of variants) await add(v.label, v.kind, await run(v.index, v.kind === 'model' ? 'dense' : o.baseline));
    if (evalQueries.some((q) => q.filter)) await add('without metadata filters', 'no-filters', await run(index, o.baseline, queries.map(({ filter: _f, ...q }) => q)));
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
  const labeledPairs = labeledTrainPairs(queries);
  const evalTexts = new Set(evalQueries.map((q) => q.text.trim().toLowerCase()));
  const leaked = trainQueries.filter((q) => evalTexts.has(q.text.trim().toLowerCase())).length;
  const throughput = s.throughput;
  const chunks = index.chunkMap.size;
  const real = evalQueries.filter(isRealQuery);
  const missedIds = new Set(misses.map((m) => m.queryId));
  const chunkers = variants.filter((v) => v.kind === 'chunker').length;
  const byHybrid = counts['exact-match'] + counts.lexical + counts.fusion;
  const checklist: ReadinessChecklistItem[] = [
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

  const productionItem = productionFailuresItem(s.production);
  if (productionItem) checklist.splice(1, 0, { ...productionItem, evidence: { ...productionItem.evidence } });

  // Expected gain from adapting the model: a query adapter trained on the train split, measured on the eval split.
  let adapterGain: AdapterGain | undefined;
  let notRun: string | undefined;
  if (o.adapterTrial !== false && index.embedder && support.levels.length) {
    say(`training a query adapter to measure the gain from adapting the model${on}`);
    // At the level the labels support; a mixed set is measured at both levels, as every other figure of the report.
    adapterGain = await measureAdapterGain(index, queries, { level: support.levels[0] });
    if (adapterGain.pairs) checklist[checklist.findIndex((c) => c.item === 'Enough training pairs')] = trainingPairsItem(adapterGain.pairs, o.minTrainingPairs);
    checklist.push(adapterChecklistItem(adapterGain, `${chunks} chunks ≈ ${formatSeconds(chunks / throughput)}`, { ...DEFAULT_GAIN_RULE, minQueries: o.minGainQueries }));
  } else {
    // Not measured is not settled: without the item a verdict could say "justified" with no gain measured at all.
    const why = o.adapterTrial === false ? 'the adapter trial was switched off' : !index.embedder ? 'no embedding model' : 'no level the labels support';
    notRun = `the adapter trial did not run: ${why}`;
    checklist.push(checklistItem(GAIN_ITEM, 'not-settled', `not measured: ${why}`, { figure: 'not measured', bar: 'a measured gain (p ≤ 0.05 and 95% CI lower bound > 0)' }, 'run the report with the adapter trial on'));
  }

  // How many train pairs are synthetic (generate-queries), said beside the pairs; eval figures are the eval split's.
  const synthetic = noteSyntheticPairs(checklist, queries);
  if (judged) {
    // How many of the pairs are the judge's, said beside them.
    const note = judgePairsNote({ judgePairs: labeledPairs - labeledTrainPairs(judged.humanQueries), labeled: labeledPairs, judge: judged.judge });
    const item = checklist.find((c) => c.item === 'Enough training pairs');
    if (note && item) item.detail = `${item.detail}; ${note}`;
  }
  // The verdict from the same figures as the checklist (readiness-verdict.ts): the two never disagree.
  const verdict = readinessVerdict({ misses, checklist });
  if (adapterGain) verdict.reasons.push(adapterVerdictReason(adapterGain, { ...DEFAULT_GAIN_RULE, minQueries: o.minGainQueries }));
  return {
    judgedSpans,
    found,
    misses,
    counts,
    baseCounts,
    configs,
    levels: { kind: support.kind, scored: support.levels, queriesAt: support.queriesAt, headings, unscored },
    checklist,
    verdict,
    ...(adapterGain ? { adapterGain } : {}),
    labelsNeeded: readinessLabelsNeeded(adapterGain, notRun),
    synthetic,
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

/**
 * "human + <judge> labels" when the report's decision rests on a validated judge's labels too, else undefined: the
 * tag every such figure carries in the Markdown and the view.
 */
export function decisionLabels(r: Pick<ReadinessReport, 'judgeDecided'>): string | undefined {
  return r.judgeDecided ? `human + ${r.judgeDecided.judge} labels` : undefined;
}

/** "6 of 10 labeled relevant spans found; 4 missed." with, for a judge-decided report, the human-only figures beside. */
export function foundSentence(r: ReadinessReport): string {
  const noun = targetNoun(r.levels.kind);
  const base = `${r.found} of ${r.judgedSpans} labeled relevant ${noun} found; ${r.misses.length} missed`;
  const labels = decisionLabels(r);
  if (!labels || !r.humanOnly) return `${base}.`;
  const h = r.humanOnly;
  const byJudge = r.misses.filter((m) => m.judge).length;
  return `${base} (${labels}; ${byJudge} of the misses are judge labels) — human labels only: ${h.found} of ${h.judgedSpans} found; ${h.misses.length} missed.`;
}

/** The human-only row of a configuration row (same label and level), when the report has human-only figures. */
export function humanRowOf(r: ReadinessReport, c: ConfigResult): ConfigResult | undefined {
  return r.humanOnly?.configs.find((x) => x.level === c.level && x.label === c.label);
}

const signed3 = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The report as Markdown (README, CLI --markdown, the editor's report view). */
export function renderReadinessMarkdown(r: ReadinessReport): string {
  const lines: string[] = [];
  const noun = targetNoun(r.levels.kind);
  const labels = decisionLabels(r);
  const h = r.humanOnly;
  lines.push(`# Fine-tune readiness: ${r.verdict.headline}`, '');
  for (const reason of r.verdict.reasons) lines.push(`- ${reason}`);
  lines.push('', `Baseline: **${r.baseline.retriever}** retriever, chunker \`${r.baseline.chunker}\`, model \`${r.baseline.model?.id ?? 'none'}\`, ${r.levels.kind === 'documents' ? 'a document counts as found when it is among the top' : r.levels.kind === 'mixed' ? 'a span counts as found when one of its chunks is in the top' : 'a span counts as found in the top'} ${r.baseline.k}${r.levels.kind === 'documents' ? ' documents' : r.levels.kind === 'mixed' ? ' chunks, a document when it is among the top ' + r.baseline.k + ' documents' : ''}.`);
  lines.push(foundSentence(r), '');
  const onLabels = labels ? ` — ${labels}` : '';
  lines.push(`## Why ${noun} were missed${onLabels}`, '', `| Category | Misses | Share | ${WITHOUT_WHAT_IFS} |${h ? ` ${HUMAN_ONLY} |` : ''} Fix |`, `| --- | ---: | ---: | ---: |${h ? ' ---: |' : ''} --- |`);
  for (const c of FAILURE_CATEGORIES) {
    lines.push(`| ${c} | ${r.counts[c]} | ${r.misses.length ? Math.round((100 * r.counts[c]) / r.misses.length) : 0}% | ${(r.baseCounts ?? r.counts)[c]} |${h ? ` ${h.counts[c]} |` : ''} ${CATEGORY_FIX[c]} |`);
  }
  lines.push('', WHAT_IF_NOTE);
  for (const level of r.levels.scored) {
    lines.push('', `## What each fix gains (eval split, ${r.levels.headings[level] ?? LEVEL_NAME[level]})${onLabels}`, '', `| Configuration | nDCG@10 | Recall@${r.baseline.k} | Δ nDCG@10 vs baseline | p |${h ? ` ${HUMAN_ONLY}: nDCG@10 | Recall@${r.baseline.k} | Δ |` : ''}`, `| --- | ---: | ---: | ---: | ---: |${h ? ' ---: | ---: | ---: |' : ''}`);
    for (const c of r.configs.filter((x) => x.level === level)) {
      const base = c.what === 'baseline';
      const hr = h ? humanRowOf(r, c) : undefined;
      const beside = !h ? '' : hr ? ` ${hr.ndcg_cut_10.toFixed(3)} | ${hr.recall_k.toFixed(3)} | ${base ? '—' : signed3(hr.gain)} |` : ' not scored | | |';
      lines.push(`| ${c.label} | ${c.ndcg_cut_10.toFixed(3)} | ${c.recall_k.toFixed(3)} | ${base ? '—' : signed3(c.gain)} | ${base ? '—' : c.pValue.toFixed(3)} |${beside}`);
    }
  }
  if (!r.levels.scored.length) lines.push('', '## What each fix gains (eval split)', '', `Not measured: ${r.levels.unscored.doc ?? r.levels.unscored.chunk}.`);
  else if (r.levels.unscored.chunk) lines.push('', `Chunk level is not measured: ${r.levels.unscored.chunk}.`);
  if (h) for (const level of h.levels.scored.filter((l) => !r.levels.scored.includes(l))) lines.push('', `On human labels only, ${LEVEL_NAME[level]} is scored too: ${h.configs.filter((c) => c.level === level).map((c) => `${c.label} nDCG@10 ${c.ndcg_cut_10.toFixed(3)}`).join('; ')}.`);
  if (r.production?.length) {
    lines.push('', '## Production failures (recorded traces)', '', '| Run | Traces | Failed | Unjudged | Retrieval | Generation | Missing document |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const p of r.production) lines.push(`| ${mdCell(p.run)} | ${p.traces} | ${p.failed} | ${p.counts.unjudged} | ${p.counts.retrieval} | ${p.counts.generation} | ${p.counts['missing-document']} |`);
    lines.push('', 'Generation: the served passages held labeled relevant text and the answer still failed — fix the prompt or the generator, not the retriever.');
  }
  if (r.adapterGain) lines.push(...renderAdapterGainMarkdown(r.adapterGain));
  if (r.adapterGain && labels) lines.push('', `Measured on ${labels}. ${HUMAN_ONLY}: ${h?.adapterGain ? adapterVerdictReason(h.adapterGain) : 'not measured'}.`);
  if (r.labelsNeeded) lines.push('', `## ${LABELS_NEEDED_HEADING}${onLabels}`, '', ...labelsNeededLines(r.labelsNeeded).map((l) => `- ${l}`));
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
  lines.push(`[x] met, [ ] not met, [?] not settled (too little evidence to say); each item with the figure it rests on and its bar.${labels ? ` Items marked (${labels}) rest on judge labels too, the human-only answer beside.` : ''}`, '');
  for (const c of r.checklist) {
    lines.push(`- ${STATE_MARK[c.state]} **${c.item}**${c.labels ? ` (${c.labels} labels)` : ''} — ${c.detail}`, `  - evidence: ${evidenceLine(c.evidence)}`);
    if (c.settle) lines.push(`  - to settle: ${c.settle}`);
    if (c.humanOnly) lines.push(`  - ${HUMAN_ONLY.toLowerCase()}: ${STATE_MARK[c.humanOnly.state]} ${c.humanOnly.detail}`);
  }
  lines.push('', `## Missed ${noun}${onLabels}`, '', '| Query | Document | Category | Evidence |', '| --- | --- | --- | --- |');
  for (const m of r.misses) lines.push(`| ${mdCell(m.queryText)} | ${m.docId} | ${mdCell(missCategoryText(m))} | ${mdCell(m.evidence)} |`);
  lines.push('', `_Generated ${r.createdAt} by Retrieval Lens._`, '');
  return lines.join('\n');
}

/** The heading of the report's "how many labels are enough" section (Markdown and the view). */
export const LABELS_NEEDED_HEADING = 'How many labels are enough';

/** The label of figures on human labels only, beside those on human + judge labels. */
export const HUMAN_ONLY = 'Human labels only';

/** A miss's category as the tables show it, naming the judge when the missed label is the judge's. */
export function missCategoryText(m: ReadinessMiss): string {
  return `${categoryText(m)}${m.judge ? ` (judge label: ${m.judge})` : ''}`;
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
