import * as path from 'node:path';
import { ADAPTERS_DIR, saveAdapter } from '../../core/adapt/adapter-store';
import { assignTrainSplit, TrialInputError, trialFineTune } from '../../core/adapt/trial-finetune';
import { pairsNeeded } from '../../core/adapt/pairs-needed';
import { labelsNeededFrom } from '../../core/judge/labels-needed';
import { renderTrialMarkdown, trialCurveLines, trialHeadline, trialPairs } from '../../core/adapt/trial-report';
import { writeTrecRun } from '../../core/eval/trec-io';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { openIndex, UsageError, withModels, type CliIO, loadTarget, settingsRecord } from '../cli-context';
import { checkLevel, EVALUATION_OPTIONS, evaluationFromArgs, RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs, LOCAL_INDEX_OPTIONS } from './retrieval-args';
import { parseCommand } from '../parse-command';

export const trialFinetuneUsage = `retrieval-lens trial-finetune <dir> [--level doc|chunk] [--k N] [--json FILE] [--markdown FILE] [--run-out FILE]
    [--model ID|PATH|use-lite] [--split eval] [--train-share F] [--seed N] [--adapter-out DIR] [--index-dir DIR] ${RETRIEVAL_USAGE}`;

/**
 * Trains a query adapter on the train split and measures it on the eval split: what adapting the model would gain.
 * --train-share F: for a folder without a train split, F of the judged queries become train by a hash of their id.
 */
export async function trialFinetuneCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    json: { type: 'string' },
    markdown: { type: 'string' },
    'run-out': { type: 'string' },
    'train-share': { type: 'string' },
    'adapter-out': { type: 'string' },
    seed: { type: 'string', default: '42' },
    ...LOCAL_INDEX_OPTIONS,
    ...EVALUATION_OPTIONS,
    ...RETRIEVAL_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError(`trial-finetune takes one folder\n${trialFinetuneUsage}`);
  const { level, depth, split } = evaluationFromArgs(values);
  if (split !== 'eval') throw new UsageError(`--split must be eval for trial-finetune: the adapter trains on the train split and is measured on the eval split, got "${split}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got "${values.seed}"`);
  const share = values['train-share'] === undefined ? undefined : Number(values['train-share']);
  if (share !== undefined && !(share > 0 && share < 1)) throw new UsageError(`--train-share must be strictly between 0 and 1, got "${values['train-share']}"`);

  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  const judged = target.queries.filter((q) => q.judgments.some((j) => j.grade >= 1));
  if (!judged.length) throw new UsageError(`${target.root}: no judged queries`);
  let queries = target.queries;
  let splitSource = target.kind === 'beir' ? 'qrels/train.tsv and qrels/test.tsv' : 'the eval set\'s train/eval split';
  if (share !== undefined) {
    if (judged.some((q) => q.split === 'train')) throw new UsageError(`${target.root} already has a train split; --train-share is for folders without one`);
    queries = assignTrainSplit(judged, share, seed);
    splitSource = `no train split in the folder: ${Math.round(share * 100)}% of the ${judged.length} judged queries assigned to train by a seeded hash of the query id (seed ${seed}), the rest eval`;
  } else if (!judged.some((q) => q.split === 'train')) {
    throw new UsageError(`${target.root}: no train split (${target.kind === 'beir' ? 'no qrels/train.tsv' : 'no query in the eval set has "split": "train"'}); add one, or pass --train-share F to split the judged queries deterministically`);
  }
  checkLevel(queries, level, 'eval', io);
  const retrieval = retrievalFromArgs(values, target);
  return withModels(target, values, io, async (models) => {
    const embedder = await models.embedder();
    const index = await openIndex(target, { retrieval, embedder, crossEncoder: null, indexDir: values['index-dir'] }, io);
    const out = await trialFineTune(index, queries, { level, depth, seed, fusion: retrieval.fusion, onProgress: (m) => io.err(`trial: ${m}`) }, splitSource).catch((e: unknown) => {
      if (e instanceof TrialInputError) throw new UsageError(`${target.root}: ${e.message}`);
      throw e;
    });
    const r = out.result;
    io.out(trialHeadline(r));
    if (r.other_level) {
      const x = r.other_level.dense;
      io.out(`at ${r.other_level.level} level too (mixed labels, ${r.other_level.eval_queries} queries): dense nDCG@10 ${x.baseline.ndcg_cut_10.toFixed(3)} → ${x.adapted.ndcg_cut_10.toFixed(3)} (${x.delta >= 0 ? '+' : ''}${x.delta.toFixed(3)}, 95% CI [${x.ci95.map((v) => v.toFixed(3)).join(', ')}], p = ${x.p_value.toFixed(3)})`);
    }
    if (r.hybrid) io.out(`hybrid nDCG@10 ${r.hybrid.baseline.ndcg_cut_10.toFixed(3)} → ${r.hybrid.adapted.ndcg_cut_10.toFixed(3)} (${r.hybrid.delta >= 0 ? '+' : ''}${r.hybrid.delta.toFixed(3)}, p = ${r.hybrid.p_value.toFixed(3)})`);
    io.out(`Recall@100 ${r.baseline.recall_100.toFixed(3)} → ${r.adapted.recall_100.toFixed(3)} (${r.by_measure.recall_100.delta >= 0 ? '+' : ''}${r.by_measure.recall_100.delta.toFixed(3)}, 95% CI [${r.by_measure.recall_100.ci95.map((x) => x.toFixed(3)).join(', ')}], p = ${r.by_measure.recall_100.p_value.toFixed(3)})`);
    io.out(`wins ${r.wins}, losses ${r.losses}, ties ${r.ties}; train-vs-eval gap ${r.train_vs_eval.gap >= 0 ? '+' : ''}${r.train_vs_eval.gap.toFixed(3)}`);
    // One learning curve, or two (with synthetic queries / real queries only) and the reading that compares them.
    for (const line of trialCurveLines(r)) io.out(line);
    io.out(`pairs: ${trialPairs(r)}`);
    // How many labels are enough: eval queries from the paired per-query differences, training pairs from the curve.
    const needed = { eval_queries: labelsNeededFrom({ n: r.eval_queries, mean: r.delta, sd: r.sd_diff }), training_pairs: pairsNeeded(r.learning_curve) };
    for (const need of needed.eval_queries) io.out(`eval queries ${need.line}`);
    io.out(needed.training_pairs.line);
    io.out(`adapter cost: ${r.adapter_cost.multiply_adds} multiply-adds, ${r.adapter_cost.us_per_query.toFixed(0)} µs per query; training ${(r.training.ms / 1000).toFixed(1)} s`);
    if (values.json) writeFileAtomic(values.json, JSON.stringify({ ...r, labels_needed: needed, adapter_id: out.adapter.id, per_query: { baseline: out.baselineRun.metrics.perQuery, adapted: out.adaptedRun.metrics.perQuery }, run_manifest: { ...out.adaptedRun.manifest, settings: settingsRecord(target) } }, null, 1));
    if (values.markdown) writeFileAtomic(values.markdown, renderTrialMarkdown(r));
    // Workspaces keep the adapter (.retrieval-lens/adapters/<id>) so eval --adapter and the editor can apply it.
    const adaptersDir = values['adapter-out'] ?? (target.kind === 'workspace' ? path.join(target.root, ADAPTERS_DIR) : undefined);
    if (adaptersDir) io.err(`adapter saved to ${saveAdapter(adaptersDir, out.adapter, r)}`);
    if (values['run-out']) writeTrecRun(values['run-out'], out.adaptedRun.ranking, 'retrieval-lens-dense-adapter');
    return 0;
  });
}

