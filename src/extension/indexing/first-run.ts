import * as vscode from 'vscode';
import { editorSwitch } from '../config';

/** Set once the walkthrough has been shown to this user (global state: any workspace, any window). */
export const FIRST_RUN_KEY = 'retrievalLens.walkthroughShown';

/**
 * A first run that shows the product. On a user's first window after installing (in any workspace: the extension
 * activates on startup for this), the walkthrough opens, once. `npm start` sets RETRIEVAL_LENS_START_DEMO=1: then,
 * every time, the walkthrough opens with the Query Inspector beside it while the demo indexes in the background
 * (the demo pins the built-in model, so nothing is downloaded). `retrievalLens.showWalkthrough: false` turns the
 * first-run walkthrough off (the test workbenches do).
 */
export async function firstRun(context: vscode.ExtensionContext, demo: { openInspector: () => void; build: () => void }, log: vscode.LogOutputChannel): Promise<'demo' | 'walkthrough' | undefined> {
  const isDemo = process.env.RETRIEVAL_LENS_START_DEMO === '1';
  const enabled = editorSwitch('showWalkthrough');
  if (!isDemo && (!enabled || context.globalState.get<boolean>(FIRST_RUN_KEY))) return undefined;
  await context.globalState.update(FIRST_RUN_KEY, true);
  try {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#retrievalLens.start`, false);
  } catch (e) {
    log.warn(`could not open the walkthrough: ${e instanceof Error ? e.message : e}`);
  }
  if (!isDemo) return 'walkthrough';
  demo.openInspector();
  demo.build();
  return 'demo';
}
