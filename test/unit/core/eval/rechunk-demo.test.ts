import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ChunkerConfig } from '../../../../src/core/chunking/chunk';
import { loadEvalTarget } from '../../../../src/core/eval/eval-target';
import { evaluate } from '../../../../src/core/eval/evaluate';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { demoDir } from '../../../helpers/shared';

describe('one eval set scores any chunker', () => {
  it('re-chunks the demo workspace three ways and scores the same span labels with each', async () => {
    const evalFile = path.join(demoDir, '.retrieval-lens', 'evalset.jsonl');
    const before = fs.readFileSync(evalFile, 'utf8');
    const target = await loadEvalTarget(demoDir);
    const chunkers: ChunkerConfig[] = [
      { kind: 'markdown', maxSize: 1500, minSize: 0 },
      { kind: 'recursive', size: 400, overlap: 50 },
      { kind: 'sentence-window', sentences: 3, overlap: 1 },
    ];
    const rows = [];
    for (const chunker of chunkers) {
      const { index } = await WorkspaceIndex.build(target.corpus, { chunker, embedder: null });
      const r = await evaluate(index, target.queries, { retriever: 'keyword', level: 'chunk', cutoffs: [5, 10] });
      const relevantChunks = [...r.qrels.values()].reduce((s, m) => s + [...m.values()].filter((g) => g > 0).length, 0);
      rows.push({ chunker: index.manifest.chunkerKey, chunks: index.chunkMap.size, queries: r.metrics.all.num_q, relevantChunks, ndcg: r.metrics.all.ndcg_cut_10 });
    }
    console.log(rows.map((x) => `${x.chunker}: ${x.chunks} chunks, ${x.relevantChunks} relevant, nDCG@10 ${x.ndcg.toFixed(3)}`).join('\n'));
    assert.equal(new Set(rows.map((x) => x.queries)).size, 1, 'every chunker is scored on the same queries');
    assert.equal(rows[0].queries, target.queries.filter((q) => q.split === 'eval').length);
    assert.equal(new Set(rows.map((x) => x.chunks)).size, 3, 'the three chunkers cut differently');
    assert.notDeepEqual(rows.map((x) => x.relevantChunks), [rows[0].relevantChunks, rows[0].relevantChunks, rows[0].relevantChunks], 'relevance is derived per chunker');
    for (const x of rows) assert.ok(x.ndcg > 0.3 && x.ndcg <= 1, `${x.chunker} nDCG ${x.ndcg}`);
    assert.equal(fs.readFileSync(evalFile, 'utf8'), before, 'scoring never rewrites the labels');
  });
});
