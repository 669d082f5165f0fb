import { compareRuns } from '../../core/eval/significance';
import { labelsNeededFrom } from '../../core/judge/labels-needed';
import { UsageError, type CliIO } from '../cli-context';
import { readJsonFile } from './eval-command';
import { parseCommand } from '../parse-command';

export const compareUsage = 'retrieval-lens compare <metrics-a.json> <metrics-b.json> [--measure ndcg_cut_10] [--json]';

type MetricsFile = { all: Record<string, number>; per_query: Record<string, Record<string, number>>; manifest?: Record<string, unknown> };

function readMetrics(file: string): MetricsFile {
  const v = readJsonFile(file) as Partial<MetricsFile>;
  if (!v || typeof v !== 'object' || typeof v.per_query !== 'object' || v.per_query === null || typeof v.all !== 'object') {
    throw new UsageError(`${file}: not a metrics file (expected "all" and "per_query" from eval --metrics-out)`);
  }
  return v as MetricsFile;
}

export async function compareCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, { measure: { type: 'string', default: 'ndcg_cut_10' }, json: { type: 'boolean', default: false } });
  if (positionals.length !== 2) throw new UsageError(`compare takes two metrics files\n${compareUsage}`);
  const [a, b] = positionals.map(readMetrics);
  const measure = values.measure as string;
  if (!(measure in a.all) || !(measure in b.all)) throw new UsageError(`measure "${measure}" is not in both files`);
  const c = compareRuns(a.per_query, b.per_query, measure);
  if (values.json) {
    io.out(JSON.stringify(c, null, 1));
    return 0;
  }
  const label = (m: MetricsFile, f: string) => `${f}${m.manifest ? ` (${m.manifest.retriever}, ${m.manifest.chunkerKey})` : ''}`;
  io.out(`${measure} over ${c.queries} queries`);
  io.out(`A ${c.meanA.toFixed(4)}  ${label(a, positionals[0])}`);
  io.out(`B ${c.meanB.toFixed(4)}  ${label(b, positionals[1])}`);
  io.out(`B − A = ${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(4)}  95% CI [${c.ci95[0].toFixed(4)}, ${c.ci95[1].toFixed(4)}]  randomization p = ${c.pValue.toFixed(4)}${c.pValue < 0.05 ? ' (significant at 0.05)' : ''}`);
  io.out(`B better on ${c.wins.length}, worse on ${c.losses.length}, tied on ${c.ties}`);
  for (const w of c.wins.slice(0, 10)) io.out(`  + ${w.qid}: ${w.a.toFixed(3)} → ${w.b.toFixed(3)}`);
  for (const l of c.losses.slice(0, 10)) io.out(`  − ${l.qid}: ${l.a.toFixed(3)} → ${l.b.toFixed(3)}`);
  for (const need of labelsNeededFrom({ n: c.queries, mean: c.meanDiff, sd: c.sdDiff })) io.out(need.line);
  return 0;
}
