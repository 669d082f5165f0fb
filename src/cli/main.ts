import { InputError } from '../core/io/input-error';
import { endModelProcesses } from '../core/embed/worker-models';
import { UsageError, type CliIO } from './cli-context';
import { nearestFlag, UnknownFlagError } from './parse-command';
import { FLAG_GROUPS } from './commands/retrieval-args';
import { compareCommand, compareUsage } from './commands/compare-command';
import { evalCommand, evalUsage } from './commands/eval-command';
import { exportCommand, exportUsage } from './commands/export-command';
import { labelCommand, labelUsage } from './commands/label-command';
import { importJudgmentsCommand, importJudgmentsUsage } from './commands/import-judgments-command';
import { importQueriesCommand, importQueriesUsage } from './commands/import-queries-command';
import { importTracesCommand, importTracesUsage, traceDriftCommand, traceDriftUsage, traceFailuresCommand, traceFailuresUsage } from './commands/import-traces-command';
import { poolCommand, poolUsage } from './commands/pool-command';
import { judgeCommand, judgeUsage } from './commands/judge-command';
import { generateQueriesCommand, generateQueriesUsage } from './commands/generate-queries-command';
import { searchCommand, searchUsage } from './commands/search-command';
import { sweepFusionCommand, sweepFusionUsage } from './commands/sweep-fusion-command';
import { trialFinetuneCommand, trialFinetuneUsage } from './commands/trial-finetune-command';
import { commandTable as diagnoseCommands } from './commands/diagnose-commands';

type Command = { run: (argv: string[], io: CliIO) => Promise<number>; usage: string; summary: string };

/** Adding a subcommand is one entry here. */
const COMMANDS: Record<string, Command> = {
  eval: { run: evalCommand, usage: evalUsage, summary: 'score one retriever on the eval set, exactly as trec_eval does (metrics, run, manifest)' },
  search: { run: searchCommand, usage: searchUsage, summary: 'run one query and print the ranked chunks' },
  'sweep-fusion': { run: sweepFusionCommand, usage: sweepFusionUsage, summary: 'keyword, dense, hybrid along the dense weight, RRF and the configured hybrid, paired' },
  compare: { run: compareCommand, usage: compareUsage, summary: 'two saved runs compared: paired randomization test and bootstrap CI' },
  export: { run: exportCommand, usage: exportUsage, summary: 'the eval set as TREC qrels, a BEIR folder or Quepid ratings' },
  label: { run: labelCommand, usage: labelUsage, summary: 'label a span of a file for a query (as the editor does)' },
  'import-queries': { run: importQueriesCommand, usage: importQueriesUsage, summary: 'a query log into eval queries: normalised, merged, sampled, split' },
  'import-traces': { run: importTracesCommand, usage: importTracesUsage, summary: 'production RAG traces into real queries and a recorded run trace:NAME' },
  'trace-failures': { run: traceFailuresCommand, usage: traceFailuresUsage, summary: 'failed traces told apart: retrieval, generation, missing document, unjudged' },
  'trace-drift': { run: traceDriftCommand, usage: traceDriftUsage, summary: 'the production run per week, day or import, each change tested on the queries both answered' },
  'import-judgments': { run: importJudgmentsCommand, usage: importJudgmentsUsage, summary: 'Quepid, TREC or BEIR judgments into the eval set' },
  pool: { run: poolCommand, usage: poolUsage, summary: 'a judging queue from the pooled top K of each retriever, with Hole@K' },
  judge: { run: judgeCommand, usage: judgeUsage, summary: 'an LLM judge grades the pooled queue (chatEndpoints); its agreement with the human labels' },
  'generate-queries': { run: generateQueriesCommand, usage: generateQueriesUsage, summary: 'synthetic training queries: a chat model writes what a user would type for sampled chunks (train split)' },
  'trial-finetune': { run: trialFinetuneCommand, usage: trialFinetuneUsage, summary: 'what adapting the model would gain: a query adapter trained and measured' },
  ...diagnoseCommands,
};

/** `retrieval-lens --help`: each command with one line. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: retrieval-lens <command> [arguments] [flags]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "retrieval-lens <command> --help shows a command's own flags.",
  ].join('\n');
}

/** `retrieval-lens <command> --help`: its usage, then each shared flag group its usage names, spelled out once. */
export function commandHelp(name: string): string {
  const c = COMMANDS[name];
  const groups = FLAG_GROUPS.filter((g) => c.usage.includes(`[${g.name}]`));
  return [`${c.summary}`, '', `usage: ${c.usage}`, ...groups.flatMap((g) => ['', `${g.name}:`, ...g.lines.map((l) => `  ${l}`)])].join('\n');
}

/** Exit codes: 0 ok, 1 a --fail-under bound was missed, 2 bad arguments or input files. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = nearestFlag(name, Object.keys(COMMANDS));
    io.err(`unknown command "${name}"${near ? `; did you mean ${near}?` : ''}\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(name));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UnknownFlagError) {
      io.err(`error: ${e.message}\n  ${command.usage}\n(retrieval-lens ${name} --help lists every flag)`);
      return 2;
    }
    if (e instanceof UsageError || e instanceof InputError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`error: ${e.message}\n  ${command.usage}`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  // Interrupted or told to stop: end the model processes first (they would also end by themselves within a second,
  // see parent-watchdog.ts), then exit with the shell's code for the signal.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      endModelProcesses();
      process.exit(code);
    });
  }
  const tty = process.stderr.isTTY ? { write: (raw: string) => void process.stderr.write(raw), get columns() { return process.stderr.columns; } } : undefined;
  runCli(process.argv.slice(2), { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`), tty }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`retrieval-lens: ${e instanceof Error ? e.stack : e}\n`);
      process.exit(3);
    },
  );
}
