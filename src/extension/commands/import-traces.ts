import * as path from 'node:path';
import * as vscode from 'vscode';
import { classifyTraceFailures, describeTraceFailures, productionFailures } from '../../core/diagnose/trace-failures';
import { documentLookup } from '../../core/eval/hit-placement';
import { DEFAULT_TRAIN_SHARE, type SampleStrategy } from '../../core/eval/query-log';
import { describeTraceImport } from '../../core/eval/trace-import';
import { checkRunName, readRecordedRun } from '../../core/eval/trace-store';
import { TRACE_FORMATS, type TraceFormat } from '../../core/eval/traces/trace-model';
import { plainMessageText } from '../safe-markdown';
import type { CommandFactory } from './registry';

export interface ImportTracesArgs {
  format?: TraceFormat;
  name?: string;
  dropAnswers?: boolean;
  sample?: number;
  strategy?: SampleStrategy;
  seed?: number;
  trainShare?: number;
}

const FORMAT_HELP: Record<TraceFormat, string> = {
  openinference: 'Phoenix / OpenInference span export (JSON or JSONL)',
  otlp: 'OpenTelemetry OTLP JSON with the GenAI conventions',
  langfuse: 'Langfuse trace export',
  langsmith: 'LangSmith run export',
  jsonl: 'generic JSONL (fields mapped as the CLI --map does; defaults: query, documents, answer, feedback)',
};

/**
 * "Import Production Traces…": a trace export (Phoenix/OpenInference, OTLP, Langfuse, LangSmith or JSONL; gzip too)
 * into real queries (source "trace") and the recorded run `trace:<name>` — the same import as the CLI's
 * import-traces. Then the failed traces are told apart (retrieval, generation, missing document, unjudged) in the
 * log, and the judging queue follows for the unjudged ones. Nothing leaves the machine.
 */
export const importProductionTraces: CommandFactory = (s) => async (fileArg?: string, argsArg?: ImportTracesArgs) => {
  let file = fileArg;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import Traces', title: 'Production traces: OpenInference, OTLP, Langfuse, LangSmith or JSONL (gzip too)', filters: { 'Trace exports': ['json', 'jsonl', 'ndjson', 'gz'], 'All files': ['*'] } });
    if (!picked?.[0]) return undefined;
    file = picked[0].fsPath;
  }
  let args = argsArg;
  if (!args) {
    const format = await vscode.window.showQuickPick(
      TRACE_FORMATS.map((f) => ({ label: f, description: FORMAT_HELP[f], value: f })),
      { title: 'Which export format?' },
    );
    if (!format) return undefined;
    const name = await vscode.window.showInputBox({ title: 'Name of the recorded run', prompt: 'Scored and shown as trace:<name>', value: 'prod', validateInput: (v) => runNameProblem(v) });
    if (name === undefined) return undefined;
    const keep = await vscode.window.showQuickPick(
      [
        { label: 'Keep answers', description: 'answer texts and feedback comments stay in the workspace file', value: false },
        { label: 'Drop answers', description: "drop answer texts and free-text feedback comments before anything is stored (users' words)", value: true },
      ],
      { title: 'Answers and feedback comments' },
    );
    if (!keep) return undefined;
    const share = await vscode.window.showInputBox({ title: 'Share for the train split', prompt: 'The rest are eval queries; the split follows from each query, so re-imports agree', value: String(DEFAULT_TRAIN_SHARE), validateInput: (v) => (Number(v) >= 0 && Number(v) <= 1 && v.trim() !== '' ? undefined : 'A number from 0 to 1') });
    if (share === undefined) return undefined;
    args = { format: format.value, name, dropAnswers: keep.value, trainShare: Number(share) };
  }
  const name = args.name ?? 'prod';
  const problem = runNameProblem(name);
  if (problem) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${problem}`));
    return undefined;
  }
  try {
    const result = await s.evalSet.importTraces(file, name, {
      format: args.format ?? 'openinference',
      dropAnswers: !!args.dropAnswers,
      sample: args.sample,
      strategy: args.strategy ?? 'top',
      seed: args.seed ?? 1,
      trainShare: args.trainShare ?? DEFAULT_TRAIN_SHARE,
    });
    for (const l of describeTraceImport(result, 200)) s.log.info(l);
    const index = s.indexService.index;
    let split = '';
    if (index) {
      // Told apart by the eval set's labels; the documents are the index's (the same files the import placed on).
      const report = classifyTraceFailures(readRecordedRun(result.runFile).traces, s.evalSet.queries(), documentLookup(index.docs.values()), {});
      for (const l of describeTraceFailures(report, 200)) s.log.info(l);
      if (report.failed) split = ` ${productionFailures(`trace:${name}`, report).headline}.`;
    }
    if (s.judging.queue.built) await s.judging.queue.refresh();
    void vscode.window
      .showInformationMessage(plainMessageText(`Retrieval Lens: recorded ${count(result.recorded.length, 'trace')} as trace:${name} from ${path.basename(file)}; added ${count(result.added.length, 'query', 'queries')} (${result.alreadyPresent.length} already there, ${count(result.read.skipped.length, 'line')} skipped).${split}`), 'Show Details', 'Build Judging Queue')
      .then((a) => {
        if (a === 'Show Details') s.log.show();
        if (a === 'Build Judging Queue') void vscode.commands.executeCommand('retrievalLens.buildJudgingQueue');
      });
    return { recorded: result.recorded.length, added: result.added.length, runFile: result.runFile, failures: split.trim() || undefined };
  } catch (e) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${e instanceof Error ? e.message : e}`));
    return undefined;
  }
};

function runNameProblem(name: string): string | undefined {
  try {
    checkRunName(name);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
