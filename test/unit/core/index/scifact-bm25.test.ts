import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluate } from '../../../../src/core/eval/evaluate';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { scifactDir, skipUnlessShared } from '../../../helpers/shared';

describe('BM25 on SciFact (all 300 queries)', () => {
  it('meets the BEIR BM25 targets: nDCG@10 >= 0.665, Recall@100 >= 0.90', { skip: skipUnlessShared('SciFact', scifactDir()) }, async () => {
    const target = await loadEvalTarget(scifactDir() as string);
    const { index } = await WorkspaceIndex.build(target.corpus, { chunker: { kind: 'whole-document' }, embedder: null });
    const r = await evaluate(index, target.queries, { retriever: 'keyword', level: 'doc' });
    console.log(`SciFact BM25: nDCG@10 ${r.metrics.all.ndcg_cut_10.toFixed(4)}, Recall@100 ${r.metrics.all.recall_100.toFixed(4)}, MAP ${r.metrics.all.map.toFixed(4)}`);
    assert.equal(r.metrics.all.num_q, 300);
    assert.ok(r.metrics.all.ndcg_cut_10 >= 0.665, `nDCG@10 ${r.metrics.all.ndcg_cut_10}`);
    assert.ok(r.metrics.all.recall_100 >= 0.9, `Recall@100 ${r.metrics.all.recall_100}`);
  });
});
