import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelInfo } from '../embed/embedder';
import { listAdapterNames, resolveAdapterDir } from './adapter-ref';
import { loadAdapter, type AdapterManifest } from './adapter-store';
import type { QueryAdapter } from './query-adapter';
import type { AdapterStatus } from './adapter-status';

/** The retrievalLens.queryAdapter value as the editor may use it (config.ts's setting()), and why a value was skipped. */
export interface AdapterSetting {
  value: string;
  /** The workspace's value was not used (Restricted Mode). */
  ignored: boolean;
  /** The value failed the setting's check. */
  problem?: string;
}

export interface LoadedAdapter {
  adapter?: QueryAdapter;
  manifest?: AdapterManifest;
  status: AdapterStatus;
}

type IndexModel = Pick<ModelInfo, 'id' | 'revision' | 'dims'> | null;

const fmt = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/**
 * What decides the answer of selectAdapter: the setting, the index's model, the folder named and its manifest's
 * time (a retrained adapter saved over the folder). Equal keys, equal answers: the editor caches on it.
 */
export function adapterSelectionKey(root: string | undefined, s: AdapterSetting, model: IndexModel | undefined): string {
  const resolved = root && s.value ? resolveAdapterDir(root, s.value) : { dir: null };
  const manifestFile = resolved.dir ? path.join(resolved.dir, 'manifest.json') : '';
  const stamp = manifestFile && fs.existsSync(manifestFile) ? fs.statSync(manifestFile).mtimeMs : 0;
  return JSON.stringify([s, model && [model.id, model.revision, model.dims], resolved, stamp]);
}

/**
 * The query adapter a retrievalLens.queryAdapter value names, loaded for the index's model (`undefined`: no index
 * yet), or a status saying why there is none: off (no value, Restricted Mode, no index) or an error (a bad value,
 * a path leaving .retrieval-lens/adapters, another model or dimension, a damaged folder). Never throws.
 */
export function selectAdapter(root: string | undefined, s: AdapterSetting, model: IndexModel | undefined): LoadedAdapter {
  if (s.problem) return { status: { setting: '', state: 'error', message: s.problem } };
  if (!s.value) {
    const saved = root ? listAdapterNames(root) : [];
    const message = s.ignored
      ? 'this workspace is not trusted (Restricted Mode): its retrievalLens.queryAdapter is not loaded'
      : saved.length
        ? `no query adapter on: set retrievalLens.queryAdapter to one of the ${saved.length} saved (newest: ${saved[0]})`
        : 'no query adapter: set retrievalLens.queryAdapter, or run "Retrieval Lens: Train Query Adapter (trial fine-tune)"';
    return { status: { setting: '', state: 'off', message } };
  }
  const resolved = root ? resolveAdapterDir(root, s.value) : { dir: null };
  if (resolved.problem || !resolved.dir) return { status: { setting: s.value, state: 'error', message: resolved.problem ?? 'no workspace folder' } };
  if (model === undefined) return { status: { setting: s.value, state: 'off', message: 'no index yet: build the index to apply the adapter' } };
  try {
    const { adapter, manifest } = loadAdapter(resolved.dir, model);
    const m = manifest.metrics;
    const trained = m ? `${fmt(m.delta)} nDCG@10 (95% CI [${fmt(m.ci95[0])}, ${fmt(m.ci95[1])}], p = ${m.pValue.toFixed(3)}) on ${m.evalQueries} eval queries` : undefined;
    return { adapter, manifest, status: { setting: s.value, state: 'ready', id: adapter.id, trained } };
  } catch (e) {
    const message = `retrievalLens.queryAdapter "${s.value}" was refused: ${e instanceof Error ? e.message : String(e)}`;
    return { status: { setting: s.value, state: 'error', message } };
  }
}
