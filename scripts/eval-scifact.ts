/**
 * `npm run eval:scifact`: all 300 SciFact queries with BM25, dense (USE-lite), hybrid-RRF and the default hybrid,
 * nDCG@10 and Recall@100 side by side. Embedding 5,183 abstracts with USE-lite takes minutes the first time; the
 * index is cached, so later runs take seconds. SciFact comes from $RETRIEVAL_LENS_SHARED or ../shared.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkerEmbedder } from '../src/core/embed/worker-models';
import { loadEvalTarget } from '../src/core/eval/eval-target';
import { evaluate } from '../src/core/eval/evaluate';
import { WorkspaceIndex } from '../src/core/index/workspace-index';
import { DEFAULT_FUSION } from '../src/core/retrieve/search';
import type { FusionConfig, RetrieverName } from '../src/core/retrieve/types';

async function main(): Promise<void> {
  const shared = process.env.RETRIEVAL_LENS_SHARED ?? path.resolve(__dirname, '..', '..', 'shared');
  const dir = path.join(shared, 'data', 'scifact');
  if (!fs.existsSync(path.join(dir, 'corpus.jsonl.gz'))) {
    console.error(`SciFact not found at ${dir}: set RETRIEVAL_LENS_SHARED`);
    process.exit(2);
  }
  const target = await loadEvalTarget(dir);
  const embedder = await WorkerEmbedder.start({ model: 'use-lite' });
  const storageDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'retrieval-lens', 'scifact-use-lite');
  const t0 = Date.now();
  let last = 0;
  const { index, stats } = await WorkspaceIndex.openOrBuild(target.corpus, {
    chunker: { kind: 'whole-document' },
    embedder,
    storageDir,
    onProgress: ({ phase, done, total }) => {
      if (phase === 'embed' && Date.now() - last > 15_000) {
        last = Date.now();
        console.error(`embedding ${done}/${total} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
    },
  });
  console.error(`index ready in ${((Date.now() - t0) / 1000).toFixed(0)} s (${stats.chunksEmbedded} embedded, ${stats.embeddingCacheHits} cached)`);
  const rows: Array<[string, RetrieverName, Partial<FusionConfig>]> = [
    ['BM25', 'keyword', {}],
    ['dense (use-lite)', 'dense', {}],
    ['hybrid RRF (k=60)', 'hybrid', { method: 'rrf', rrfK: 60 }],
    [`hybrid default (weighted ${DEFAULT_FUSION.normalization}, dense ${DEFAULT_FUSION.denseWeight})`, 'hybrid', {}],
  ];
  const results: Array<{ name: string; ndcg: number; recall: number }> = [];
  for (const [name, retriever, fusion] of rows) {
    const r = await evaluate(index, target.queries, { retriever, level: 'doc', fusion });
    results.push({ name, ndcg: r.metrics.all.ndcg_cut_10, recall: r.metrics.all.recall_100 });
    console.log(`${name.padEnd(48)} nDCG@10 ${r.metrics.all.ndcg_cut_10.toFixed(4)}  Recall@100 ${r.metrics.all.recall_100.toFixed(4)}`);
  }
  const best = Math.max(results[0].ndcg, results[1].ndcg);
  const def = results[3].ndcg;
  console.log(`default hybrid ${def >= best ? 'is at least' : 'is BELOW'} max(BM25, dense): ${def.toFixed(4)} vs ${best.toFixed(4)}`);
  await embedder.dispose();
  process.exit(def >= best ? 0 : 1);
}

void main();
