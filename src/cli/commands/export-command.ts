import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeBeir } from '../../core/eval/beir-io';
import { documentQrels } from '../../core/eval/chunk-relevance';
import { loadEvalTarget } from '../../core/eval/eval-target';
import { writeQuepidCsv } from '../../core/eval/judgment-exchange';
import { writeTrecQrels } from '../../core/eval/trec-io';
import { UsageError, type CliIO } from '../cli-context';
import { parseCommand } from '../parse-command';

export const exportUsage = 'retrieval-lens export <dir> --format trec-qrels|beir|quepid --out PATH [--split eval|train|all]';

/** Eval set → TREC qrels, Quepid CSV (query,docid,rating) or a BEIR folder (document-level judgments; corpus included for BEIR). */
export async function exportCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, { format: { type: 'string' }, out: { type: 'string' }, split: { type: 'string', default: 'all' } });
  if (positionals.length !== 1 || !values.out) throw new UsageError(`export takes a folder and --out\n${exportUsage}`);
  if (!['eval', 'train', 'all'].includes(values.split as string)) throw new UsageError(`--split must be eval, train or all`);
  const target = await loadEvalTarget(positionals[0], { requireQueries: true });
  const queries = target.queries.filter((q) => values.split === 'all' || q.split === values.split);
  const qrels = documentQrels(queries);
  if (values.format === 'trec-qrels') {
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeTrecQrels(values.out, qrels);
  } else if (values.format === 'beir') {
    writeBeir(values.out, {
      corpus: target.corpus.documents.map((d) => ({ _id: d.id, title: d.title, text: d.text.slice(d.bodyStart) })),
      queries: queries.map((q) => ({ id: q.id, text: q.text })),
      qrels,
    });
  } else if (values.format === 'quepid') {
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeQuepidCsv(values.out, queries);
  } else throw new UsageError(`--format must be trec-qrels, beir or quepid, got "${values.format}"`);
  io.out(`exported ${queries.length} queries, ${[...qrels.values()].reduce((s, m) => s + m.size, 0)} judgments to ${values.out}`);
  return 0;
}
