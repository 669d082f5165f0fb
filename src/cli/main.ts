import { InputError } from '../core/corpus/input-error';
import { endModelProcesses } from '../core/embed/worker-models';
import { UsageError, type CliIO } from './cli-context';
import { compareCommand, compareUsage } from './commands/compare-command';
import { evalCommand, evalUsage } from './commands/eval-command';
import { exportCommand, exportUsage } from './commands/export-command';
import { labelCommand, labelUsage } from './commands/label-command';
import { importJudgmentsCommand, importJudgmentsUsage } from './commands/import-judgments-command';
import { importQueriesCommand, importQueriesUsage } from './commands/import-queries-command';
import { importTracesCommand, importTracesUsage, traceFailuresCommand, traceFailuresUsage } from './commands/import-traces-command';
import { poolCommand, poolUsage } from './commands/pool-command';
import { searchCommand, searchUsage } from './commands/search-command';
import { sweepFusionCommand, sweepFusionUsage } from './commands/sweep-fusion-command';
import { trialFinetuneCommand, trialFinetuneUsage } from './commands/trial-finetune-command';
import { commandTable as diagnoseCommands } from './commands/diagnose-commands';

type Command = { run: (argv: string[], io: CliIO) => Promise<number>; usage: string };

/** Adding a subcommand is one entry here. */
const COMMANDS: Record<string, Command> = {
  eval: { run: evalCommand, usage: evalUsage },
  search: { run: searchCommand, usage: searchUsage },
  'sweep-fusion': { run: sweepFusionCommand, usage: sweepFusionUsage },
  compare: { run: compareCommand, usage: compareUsage },
  export: { run: exportCommand, usage: exportUsage },
  label: { run: labelCommand, usage: labelUsage },
  'import-queries': { run: importQueriesCommand, usage: importQueriesUsage },
  'import-traces': { run: importTracesCommand, usage: importTracesUsage },
  'trace-failures': { run: traceFailuresCommand, usage: traceFailuresUsage },
  'import-judgments': { run: importJudgmentsCommand, usage: importJudgmentsUsage },
  pool: { run: poolCommand, usage: poolUsage },
  'trial-finetune': { run: trialFinetuneCommand, usage: trialFinetuneUsage },
  ...diagnoseCommands,
};

export function usage(): string {
  return ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
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
    io.err(`unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
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
