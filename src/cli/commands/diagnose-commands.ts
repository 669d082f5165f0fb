import type { CliIO } from '../cli-context';
import { diagnoseCommand, diagnoseUsage } from './diagnose-command';
import { exportTrainingCommand, exportTrainingUsage } from './export-training-command';
import { compareModelsCommand, compareModelsUsage } from './compare-models-command';

/** Diagnosis subcommands, merged into the CLI's command table. */
export const commandTable: Record<string, { run: (argv: string[], io: CliIO) => Promise<number>; usage: string; summary: string }> = {
  diagnose: { run: diagnoseCommand, usage: diagnoseUsage, summary: 'why each labeled span was missed, what each fix gains, and the fine-tune readiness verdict' },
  'export-training': { run: exportTrainingCommand, usage: exportTrainingUsage, summary: 'train-split pairs and hard-negative triplets for fine-tuning' },
  'compare-models': { run: compareModelsCommand, usage: compareModelsUsage, summary: 'two or more base models on the same eval set, with significance' },
};
