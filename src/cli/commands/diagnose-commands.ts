import type { CliIO } from '../cli-context';
import { diagnoseCommand, diagnoseUsage } from './diagnose-command';
import { exportTrainingCommand, exportTrainingUsage } from './export-training-command';
import { compareModelsCommand, compareModelsUsage } from './compare-models-command';

/** Diagnosis subcommands, merged into the CLI's command table. */
export const commandTable: Record<string, { run: (argv: string[], io: CliIO) => Promise<number>; usage: string }> = {
  diagnose: { run: diagnoseCommand, usage: diagnoseUsage },
  'export-training': { run: exportTrainingCommand, usage: exportTrainingUsage },
  'compare-models': { run: compareModelsCommand, usage: compareModelsUsage },
};
