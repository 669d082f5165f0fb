import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../io/input-error';
import type { ModelInfo } from '../embed/embedder';
import { writeFileAtomic } from '../io/atomic-write';
import { AdapterMismatchError, QueryAdapter } from './query-adapter';
import type { LearningPoint, SyntheticCurves, TrialResult } from './trial-finetune';

/** Where a workspace keeps its trained adapters, one folder each (weights.f32 + manifest.json). */
export const ADAPTERS_DIR = path.join('.retrieval-lens', 'adapters');
export const ADAPTER_FORMAT_VERSION = 1;

export interface AdapterManifest {
  formatVersion: number;
  id: string;
  createdAt: string;
  model: { id: string; revision: string; dims: number; provider: string };
  /** sha256 of the weights file's bytes (float32, row-major). */
  weightsSha256: string;
  /** sha256 of the sorted (query id, positive chunk id) training pairs. */
  trainingHash: string;
  trainPairs: number;
  settings: TrialResult['training']['settings'];
  mining: TrialResult['training']['mining'];
  bestEpoch: number;
  metrics: { level: 'doc' | 'chunk'; evalQueries: number; baseline: number; adapted: number; delta: number; ci95: [number, number]; pValue: number };
  /**
   * The trial's learning curve, for the views that draw it: `curve` is the one curve (with the synthetic queries when
   * there are any), `realCurve` the real-queries-only one at the same shares (empty unless kind is "mixed"). Absent in
   * adapters saved before it was kept.
   */
  learningCurve?: SavedLearningCurve;
}

export interface SavedLearningCurve {
  kind: SyntheticCurves['kind'];
  basis: string;
  curve: SavedPoint[];
  realCurve: SavedPoint[];
  reading: string;
}

export type SavedPoint = Pick<LearningPoint, 'share' | 'pairs' | 'synthetic_pairs' | 'delta' | 'ci95' | 'p_value'>;

const savedPoint = (p: LearningPoint): SavedPoint => ({ share: p.share, pairs: p.pairs, synthetic_pairs: p.synthetic_pairs, delta: p.delta, ci95: p.ci95, p_value: p.p_value });

/** A manifest's learningCurve as written by saveAdapter, or why not (a damaged or hand-edited manifest). */
function curveProblem(c: unknown): string | undefined {
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const point = (p: unknown) => {
    const q = p as Record<string, unknown> | null;
    return !!q && typeof q === 'object' && num(q.share) && num(q.pairs) && num(q.synthetic_pairs) && num(q.delta) && num(q.p_value) && Array.isArray(q.ci95) && q.ci95.length === 2 && q.ci95.every(num);
  };
  const o = c as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return 'must be an object';
  if (o.kind !== 'none' && o.kind !== 'mixed' && o.kind !== 'all') return '"kind" must be none, mixed or all';
  if (typeof o.basis !== 'string' || typeof o.reading !== 'string') return '"basis" and "reading" must be strings';
  if (!Array.isArray(o.curve) || !Array.isArray(o.realCurve) || !o.curve.every(point) || !o.realCurve.every(point)) return '"curve" and "realCurve" must be lists of points (share, pairs, synthetic_pairs, delta, ci95, p_value)';
  return undefined;
}

/** Saves an adapter as `<adaptersDir>/<id>/` (a workspace's is <root>/ADAPTERS_DIR), each file written atomically; returns the folder. */
export function saveAdapter(adaptersDir: string, adapter: QueryAdapter, r: TrialResult): string {
  const dir = path.join(adaptersDir, adapter.id);
  fs.mkdirSync(dir, { recursive: true });
  const w = adapter.weights;
  writeFileAtomic(path.join(dir, 'weights.f32'), new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  const manifest: AdapterManifest = {
    formatVersion: ADAPTER_FORMAT_VERSION,
    id: adapter.id,
    createdAt: new Date().toISOString(),
    model: r.model,
    weightsSha256: QueryAdapter.hashWeights(w),
    trainingHash: r.training_hash,
    trainPairs: r.train_pairs,
    settings: r.training.settings,
    mining: r.training.mining,
    bestEpoch: r.training.bestEpoch,
    metrics: { level: r.level, evalQueries: r.eval_queries, baseline: r.baseline.ndcg_cut_10, adapted: r.adapted.ndcg_cut_10, delta: r.delta, ci95: r.ci95, pValue: r.p_value },
    learningCurve: { kind: r.synthetic.kind, basis: r.synthetic.basis, curve: r.learning_curve.map(savedPoint), realCurve: r.synthetic.real_curve.map(savedPoint), reading: r.synthetic.kind === 'none' ? r.learning_reading : `${r.learning_reading} ${r.synthetic.reading}` },
  };
  // The manifest last: a folder with a manifest always has its weights.
  writeFileAtomic(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return dir;
}

/**
 * Loads a saved adapter and checks it against the model of the index it is for: another model, revision or
 * dimension is refused (AdapterMismatchError) with both named; a damaged folder is an InputError naming the file.
 */
export function loadAdapter(dir: string, model: Pick<ModelInfo, 'id' | 'revision' | 'dims'> | null): { adapter: QueryAdapter; manifest: AdapterManifest } {
  const manifestFile = path.join(dir, 'manifest.json');
  const weightsFile = path.join(dir, 'weights.f32');
  if (!fs.existsSync(manifestFile)) throw new InputError(manifestFile, undefined, 'missing: not a saved query adapter folder');
  let manifest: AdapterManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as AdapterManifest;
  } catch (e) {
    throw new InputError(manifestFile, undefined, `invalid JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (manifest.formatVersion !== ADAPTER_FORMAT_VERSION) throw new InputError(manifestFile, undefined, `adapter format ${manifest.formatVersion} is not ${ADAPTER_FORMAT_VERSION}`);
  const m = manifest.model;
  if (!m || typeof m.id !== 'string' || typeof m.revision !== 'string' || !Number.isInteger(m.dims) || m.dims < 1) throw new InputError(manifestFile, undefined, '"model" must name id, revision and dims');
  const curve = manifest.learningCurve === undefined ? undefined : curveProblem(manifest.learningCurve);
  if (curve) throw new InputError(manifestFile, undefined, `"learningCurve" ${curve}`);
  if (!fs.existsSync(weightsFile)) throw new InputError(weightsFile, undefined, 'missing: the adapter\'s weights');
  const buf = fs.readFileSync(weightsFile);
  if (buf.byteLength !== m.dims * m.dims * 4) throw new InputError(weightsFile, undefined, `holds ${buf.byteLength} bytes, a ${m.dims}×${m.dims} float32 matrix takes ${m.dims * m.dims * 4}`);
  const weights = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (QueryAdapter.hashWeights(weights) !== manifest.weightsSha256) throw new InputError(weightsFile, undefined, 'sha256 differs from the manifest\'s weightsSha256: the weights were changed or damaged');
  const adapter = new QueryAdapter({ id: m.id, revision: m.revision, dims: m.dims }, weights);
  adapter.checkCompatible(model);
  return { adapter, manifest };
}

export { AdapterMismatchError };
