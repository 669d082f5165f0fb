import { mineTrainingPairs, writeTrainingExport } from '../../core/adapt/training-export';
import { openIndex, UsageError, withModels, type CliIO, loadTarget } from '../cli-context';
import { RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs, LOCAL_INDEX_OPTIONS } from './retrieval-args';
import { parseCommand } from '../parse-command';

export const exportTrainingUsage = `retrieval-lens export-training <workspace> --out DIR [--format st|beir|all] [--model use-lite] [--rank-window 3-30] [--margin 0.05]
    ${RETRIEVAL_USAGE}`;

/** Train-split pairs and hard-negative triplets for fine-tuning (eval-split queries never leave the eval set). */
export async function exportTrainingCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, { out: { type: 'string' }, format: { type: 'string', default: 'all' }, 'rank-window': { type: 'string', default: '3-30' }, margin: { type: 'string', default: '0.05' }, ...LOCAL_INDEX_OPTIONS, ...RETRIEVAL_OPTIONS });
  if (positionals.length !== 1 || !values.out) throw new UsageError(`export-training takes a workspace and --out\n${exportTrainingUsage}`);
  const win = /^(\d+)-(\d+)$/.exec(values['rank-window'] as string);
  if (!win || Number(win[1]) < 1 || Number(win[1]) > Number(win[2])) throw new UsageError(`--rank-window takes FROM-TO, e.g. 3-30, got "${values['rank-window']}"`);
  const margin = Number(values.margin);
  if (!(margin >= 0 && margin < 1)) throw new UsageError(`--margin must be within [0, 1), got "${values.margin}"`);
  const formats = values.format === 'all' ? (['st', 'beir'] as const) : values.format === 'st' || values.format === 'beir' ? ([values.format] as const) : undefined;
  if (!formats) throw new UsageError(`--format must be st, beir or all, got "${values.format}"`);
  const out = values.out;
  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  return withModels(target, values, io, async (models) => {
    const embedder = await models.embedder();
    const index = await openIndex(target, { retrieval: retrievalFromArgs(values, target), embedder, crossEncoder: null, indexDir: values['index-dir'] }, io);
    const options = { rankWindow: [Number(win[1]), Number(win[2])] as [number, number], margin };
    const pairs = await mineTrainingPairs(index, target.queries, options);
    const counts = writeTrainingExport(out, pairs, index, options, [...formats]);
    io.out(`exported ${counts.pairs} pairs and ${counts.triplets} triplets from the train split to ${out}${counts.synthetic_pairs ? ` (${counts.synthetic_pairs} pairs on synthetic queries, marked "source": "synthetic" in pairs.meta.jsonl; pairs.real.jsonl and triplets.real.jsonl leave them out)` : ''}`);
    return 0;
  });
}
