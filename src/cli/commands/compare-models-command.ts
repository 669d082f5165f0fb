import { compareModels, shadowDiff } from '../../core/diagnose/model-comparison';
import { writeFileAtomic } from '../../core/io/atomic-write';
import type { WorkspaceIndex } from '../../core/index/workspace-index';
import { openIndex, UsageError, withModels, type CliIO, loadTarget } from '../cli-context';
import { RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs } from './retrieval-args';
import { parseCommand } from '../parse-command';

export const compareModelsUsage = `retrieval-lens compare-models <workspace> --models use-lite,ID|PATH[,...] [--k N] [--json FILE]
    ${RETRIEVAL_USAGE}`;

/** Two or more base models on the same eval set: metrics with significance, plus a shadow diff of each vs the first. */
export async function compareModelsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, { models: { type: 'string' }, k: { type: 'string', default: '10' }, json: { type: 'string' }, ...RETRIEVAL_OPTIONS });
  const models = (values.models ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (positionals.length !== 1 || models.length < 2) throw new UsageError(`compare-models takes a workspace and at least two --models\n${compareModelsUsage}`);
  const k = Number(values.k);
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a positive integer, got "${values.k}"`);
  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  const retrieval = retrievalFromArgs(values, target);
  return withModels(target, values, io, async (started) => {
    const indexes: Array<{ label: string; index: WorkspaceIndex }> = [];
    for (const m of models) {
      const e = await started.embedder(m);
      indexes.push({ label: m, index: await openIndex(target, { retrieval, embedder: e, crossEncoder: null, quiet: true }, io) });
    }
    const results = await compareModels(indexes, target.queries, k);
    const evalQueries = target.queries.filter((q) => q.split === 'eval');
    const diffs = [];
    for (const other of indexes.slice(1)) diffs.push({ a: indexes[0].label, b: other.label, queries: await shadowDiff(indexes[0].index, other.index, evalQueries, { k }) });
    if (results[0]) io.out(`dense retriever at ${results[0].level === 'doc' ? 'document' : 'chunk'} level (the level the eval labels support)`);
    for (const r of results) {
      const c = r.versusFirst;
      io.out(`${r.label.padEnd(40)} nDCG@10 ${r.ndcg_cut_10.toFixed(4)}  Recall@${k} ${r.recall_k.toFixed(4)}  MRR ${r.recip_rank.toFixed(4)}${c ? `  Δ ${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(4)} (p = ${c.pValue.toFixed(3)}, better on ${c.wins.length}, worse on ${c.losses.length})` : '  (reference)'}`);
    }
    for (const d of diffs) {
      const changed = d.queries.filter((q) => q.changed);
      io.out(`shadow diff ${d.a} → ${d.b}: top ${k} changed for ${changed.length} of ${d.queries.length} eval queries`);
      for (const q of changed.slice(0, 10)) io.out(`  ${q.queryId}: ${q.entered.length} entered, ${q.left.length} left, ${q.moved.length} moved`);
    }
    if (values.json) writeFileAtomic(values.json, JSON.stringify({ results, diffs }, null, 1));
    return 0;
  });
}
