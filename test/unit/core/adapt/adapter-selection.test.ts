import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { adapterSelectionKey, selectAdapter } from '../../../../src/core/adapt/adapter-selection';
import { ADAPTERS_DIR, saveAdapter } from '../../../../src/core/adapt/adapter-store';
import { QueryAdapter } from '../../../../src/core/adapt/query-adapter';
import type { TrialResult } from '../../../../src/core/adapt/trial-finetune';
import { seededRandom } from '../../../../src/core/eval/significance';

const model = { id: 'char-trigram-hash', revision: 'test', dims: 8 };

/** A trial result with only what saveAdapter records (a real trial takes seconds; the manifest is what is read back). */
function trial(delta: number): TrialResult {
  return {
    model: { ...model, provider: 'transformers' },
    training_hash: 'h',
    train_pairs: 12,
    training: { settings: {}, mining: {}, bestEpoch: 3 },
    level: 'doc',
    eval_queries: 20,
    baseline: { ndcg_cut_10: 0.5 },
    adapted: { ndcg_cut_10: 0.5 + delta },
    delta,
    ci95: [delta - 0.02, delta + 0.02],
    p_value: 0.0312,
    learning_curve: [],
    learning_reading: 'one point only: no learning curve to read',
    synthetic: { kind: 'none', basis: 'no synthetic query in the train split', real_curve: [], reading: '' },
  } as unknown as TrialResult;
}

function randomAdapter(seed: number): QueryAdapter {
  const rand = seededRandom(seed);
  return new QueryAdapter(model, Float32Array.from({ length: model.dims ** 2 }, (_, i) => (i % (model.dims + 1) === 0 ? 1 : 0) + 0.1 * (rand() - 0.5)));
}

describe('query adapter selection (what the editor\'s AdapterService loads for retrievalLens.queryAdapter)', () => {
  let root: string;
  let a: QueryAdapter;
  let b: QueryAdapter;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapter-select-'));
    a = randomAdapter(1);
    b = randomAdapter(2);
    saveAdapter(path.join(root, ADAPTERS_DIR), a, trial(0.041));
    saveAdapter(path.join(root, ADAPTERS_DIR), b, trial(-0.004));
    // b newest by its manifest's time
    const t = Date.now() / 1000;
    fs.utimesSync(path.join(root, ADAPTERS_DIR, a.id, 'manifest.json'), t - 100, t - 100);
    fs.utimesSync(path.join(root, ADAPTERS_DIR, b.id, 'manifest.json'), t, t);
  });

  it('loads the adapter the setting names (by folder name or path) with the trial\'s gain, for the index\'s model', () => {
    for (const value of [a.id, `.retrieval-lens/adapters/${a.id}`, `./.retrieval-lens/adapters/${a.id}/`]) {
      const r = selectAdapter(root, { value, ignored: false }, model);
      assert.equal(r.status.state, 'ready', `${value}: ${r.status.message}`);
      assert.equal(r.status.id, a.id);
      assert.equal(r.status.setting, value);
      assert.equal(r.status.trained, '+0.041 nDCG@10 (95% CI [+0.021, +0.061], p = 0.031) on 20 eval queries');
      assert.equal(QueryAdapter.hashWeights(r.adapter!.weights), QueryAdapter.hashWeights(a.weights));
      assert.equal(r.manifest?.trainPairs, 12);
    }
    assert.match(selectAdapter(root, { value: b.id, ignored: false }, model).status.trained ?? '', /^-0\.004 nDCG@10/);
  });

  it('off: no value names the saved adapters (newest first) or how to train one; Restricted Mode says the value was skipped', () => {
    assert.deepEqual(selectAdapter(root, { value: '', ignored: false }, model).status, { setting: '', state: 'off', message: `no query adapter on: set retrievalLens.queryAdapter to one of the 2 saved (newest: ${b.id})` });
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapter-none-'));
    assert.match(selectAdapter(empty, { value: '', ignored: false }, model).status.message ?? '', /^no query adapter: set retrievalLens\.queryAdapter, or run "Retrieval Lens: Train Query Adapter/);
    const untrusted = selectAdapter(root, { value: '', ignored: true }, model);
    assert.equal(untrusted.status.state, 'off');
    assert.equal(untrusted.adapter, undefined);
    assert.match(untrusted.status.message ?? '', /not trusted \(Restricted Mode\): its retrievalLens\.queryAdapter is not loaded/);
    const noIndex = selectAdapter(root, { value: a.id, ignored: false }, undefined);
    assert.deepEqual([noIndex.status.state, noIndex.adapter, noIndex.status.message], ['off', undefined, 'no index yet: build the index to apply the adapter']);
  });

  it('errors, never throws: a bad value, a path leaving the adapters folder, another model or dimension, damaged weights, no folder open', () => {
    const bad = selectAdapter(root, { value: '', ignored: false, problem: 'retrievalLens.queryAdapter must be a string' }, model);
    assert.deepEqual(bad.status, { setting: '', state: 'error', message: 'retrievalLens.queryAdapter must be a string' });
    for (const value of ['../../etc', path.join(root, ADAPTERS_DIR, a.id), '.retrieval-lens/adapters/../index']) {
      const r = selectAdapter(root, { value, ignored: false }, model);
      assert.equal(r.status.state, 'error', value);
      assert.equal(r.adapter, undefined);
      assert.match(r.status.message ?? '', /^retrievalLens\.queryAdapter must name a folder under \.retrieval-lens\/adapters\//);
    }
    const missing = selectAdapter(root, { value: 'adapter-gone', ignored: false }, model);
    assert.match(missing.status.message ?? '', /^retrievalLens\.queryAdapter "adapter-gone" was refused: .*manifest\.json.*missing: not a saved query adapter folder/);
    const other = selectAdapter(root, { value: a.id, ignored: false }, { id: 'use-lite', revision: 'r1', dims: 512 });
    assert.equal(other.status.state, 'error');
    assert.match(other.status.message ?? '', /was refused: .*trained for 8-dim vectors of char-trigram-hash; the index's model use-lite gives 512-dim vectors/);
    const noModel = selectAdapter(root, { value: a.id, ignored: false }, null);
    assert.match(noModel.status.message ?? '', /was refused: .*this index has no embedding model/);
    assert.match(selectAdapter(undefined, { value: a.id, ignored: false }, model).status.message ?? '', /^no workspace folder$/);

    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-adapter-damaged-'));
    fs.cpSync(path.join(root, ADAPTERS_DIR), path.join(copy, ADAPTERS_DIR), { recursive: true });
    const w = path.join(copy, ADAPTERS_DIR, a.id, 'weights.f32');
    const bytes = fs.readFileSync(w);
    bytes[3] ^= 0x40;
    fs.writeFileSync(w, bytes);
    const damaged = selectAdapter(copy, { value: a.id, ignored: false }, model);
    assert.equal(damaged.adapter, undefined);
    assert.ok(damaged.status.message?.includes(w), damaged.status.message);
    assert.match(damaged.status.message ?? '', /sha256 differs from the manifest's weightsSha256/);
  });

  it('the cache key changes with the setting, the model and a manifest saved again, and only then', () => {
    const s = { value: a.id, ignored: false };
    const k = adapterSelectionKey(root, s, model);
    assert.equal(adapterSelectionKey(root, { ...s }, { ...model }), k);
    assert.notEqual(adapterSelectionKey(root, { value: b.id, ignored: false }, model), k);
    assert.notEqual(adapterSelectionKey(root, s, { ...model, revision: 'r2' }), k);
    assert.notEqual(adapterSelectionKey(root, s, undefined), k);
    const f = path.join(root, ADAPTERS_DIR, a.id, 'manifest.json');
    const t = fs.statSync(f).mtimeMs / 1000;
    fs.utimesSync(f, t + 5, t + 5);
    assert.notEqual(adapterSelectionKey(root, s, model), k);
  });
});
