import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listAdapterNames, resolveAdapterDir } from '../core/adapt/adapter-ref';
import { loadAdapter, type AdapterManifest } from '../core/adapt/adapter-store';
import type { QueryAdapter } from '../core/adapt/query-adapter';
import type { WorkspaceIndex } from '../core/index/workspace-index';
import type { AdapterStatus } from '../protocol';
import { setting } from './config';

export interface LoadedAdapter {
  adapter?: QueryAdapter;
  manifest?: AdapterManifest;
  status: AdapterStatus;
}

const fmt = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

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

  /** The adapter for this index, or its status saying why there is none. */
  load(index: WorkspaceIndex | undefined): LoadedAdapter {
    const s = this.setting();
    const model = index?.manifest.model ?? null;
    const resolved = this.root && s.value ? resolveAdapterDir(this.root, s.value) : { dir: null };
    const manifestFile = resolved.dir ? path.join(resolved.dir, 'manifest.json') : '';
    const stamp = manifestFile && fs.existsSync(manifestFile) ? fs.statSync(manifestFile).mtimeMs : 0;
    const key = JSON.stringify([s, model && [model.id, model.revision, model.dims], resolved, stamp]);
    if (this.cached?.key === key) return this.cached.value;
    const value = this.compute(s, index, resolved);
    if (value.status.state === 'error' && value.status.message && !this.warned.has(value.status.message)) {
      this.warned.add(value.status.message);
      this.log.warn(`query adapter: ${value.status.message}`);
      void vscode.window.showWarningMessage(`Retrieval Lens: ${value.status.message}. Searches run without the adapter.`);
    }
    this.cached = { key, value };
    return value;
  }

  private compute(s: ReturnType<AdapterService['setting']>, index: WorkspaceIndex | undefined, resolved: { dir: string | null; problem?: string }): LoadedAdapter {
    if (s.problem) return { status: { setting: '', state: 'error', message: s.problem } };
    if (!s.value) {
      const saved = this.root ? listAdapterNames(this.root) : [];
      const message = s.ignored
        ? 'this workspace is not trusted (Restricted Mode): its retrievalLens.queryAdapter is not loaded'
        : saved.length
          ? `no query adapter on: set retrievalLens.queryAdapter to one of the ${saved.length} saved (newest: ${saved[0]})`
          : 'no query adapter: set retrievalLens.queryAdapter, or run "Retrieval Lens: Train Query Adapter (trial fine-tune)"';
      return { status: { setting: '', state: 'off', message } };
    }
    if (resolved.problem || !resolved.dir) return { status: { setting: s.value, state: 'error', message: resolved.problem ?? 'no workspace folder' } };
    if (!index) return { status: { setting: s.value, state: 'off', message: 'no index yet: build the index to apply the adapter' } };
    try {
      const { adapter, manifest } = loadAdapter(resolved.dir, index.manifest.model);
      const m = manifest.metrics;
      const trained = m ? `${fmt(m.delta)} nDCG@10 (95% CI [${fmt(m.ci95[0])}, ${fmt(m.ci95[1])}], p = ${m.pValue.toFixed(3)}) on ${m.evalQueries} eval queries` : undefined;
      return { adapter, manifest, status: { setting: s.value, state: 'ready', id: adapter.id, trained } };
    } catch (e) {
      const message = `retrievalLens.queryAdapter "${s.value}" was refused: ${e instanceof Error ? e.message : String(e)}`;
      return { status: { setting: s.value, state: 'error', message } };
    }
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
