import type * as vscode from 'vscode';
import type { AdapterService } from './adapt/adapter-service';
import type { Annotations } from './annotations/annotations';
import type { JudgingFlow } from './eval-set/judging-flow';
import type { EvalSetService } from './eval-set/eval-set-service';
import type { MissDiagnoses } from './diagnosis/miss-diagnoses';
import type { IndexService } from './indexing/index-service';
import type { InspectorController } from './webviews/inspector/inspector-host';
import type { InspectorPanel } from './webviews/inspector/inspector-panel';

/**
 * What the extension's commands work with, made once by activate() (src/extension/extension.ts) and handed to every
 * command factory (src/extension/commands/): the services that own state, and the views commands open.
 */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** The first workspace folder, where the eval set and adapters live; undefined with no folder open. */
  readonly root: string | undefined;
  /** The extension's own storage for this workspace (reports, the index). */
  readonly storageDir: string;
  readonly indexService: IndexService;
  readonly evalSet: EvalSetService;
  readonly adapters: AdapterService;
  readonly inspector: InspectorController;
  readonly annotations: Annotations;
  readonly judging: JudgingFlow;
  /** One miss diagnosis per (eval query, index, settings), so every view tells the same story about a miss. */
  readonly diagnoses: MissDiagnoses;
  /** Opens (or reveals) the Query Inspector. */
  openInspector(): InspectorPanel;
}
