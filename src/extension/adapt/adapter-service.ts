import * as vscode from 'vscode';
import { adapterSelectionKey, selectAdapter, type LoadedAdapter } from '../../core/adapt/adapter-selection';
import type { WorkspaceIndex } from '../../core/index/workspace-index';
import { setting } from '../config';
import { plainMessageText } from '../safe-markdown';

export type { LoadedAdapter };

/**
 * The query adapter retrievalLens.queryAdapter names, loaded for the current index's model. Another model or
 * dimension, a damaged folder or a bad value gives one clear message (once per problem) and no adapter: the
 * inspector and baseline run without it. In an untrusted workspace the workspace's value is not used.
 */
export class AdapterService implements vscode.Disposable {
  private cached: { key: string; value: LoadedAdapter } | undefined;
  private readonly warned = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(
    private readonly root: string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('retrievalLens.queryAdapter')) return;
        this.cached = undefined;
        this.emitter.fire();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.cached = undefined;
        this.emitter.fire();
      }),
    );
  }

  /** The setting's value as the editor may use it, and why a workspace value was skipped. */
  setting(): { value: string; ignored: boolean; problem?: string } {
    const { value, ignored, problem } = setting('queryAdapter');
    return { value: value ?? '', ignored, problem };
  }

  /** The adapter for this index, or its status saying why there is none (src/core/adapt/adapter-selection.ts). */
  load(index: WorkspaceIndex | undefined): LoadedAdapter {
    const s = this.setting();
    const model = index ? index.manifest.model : undefined;
    const key = adapterSelectionKey(this.root, s, model);
    if (this.cached?.key === key) return this.cached.value;
    const value = selectAdapter(this.root, s, model);
    if (value.status.state === 'error' && value.status.message && !this.warned.has(value.status.message)) {
      this.warned.add(value.status.message);
      this.log.warn(`query adapter: ${value.status.message}`);
      void vscode.window.showWarningMessage(plainMessageText(`Retrieval Lens: ${value.status.message}. Searches run without the adapter.`));
    }
    this.cached = { key, value };
    return value;
  }

  /** Forget what was loaded (a new index or a new adapter on disk). */
  reset(): void {
    this.cached = undefined;
    this.emitter.fire();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
