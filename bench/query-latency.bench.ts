import MiniSearch from 'minisearch';
import type { Embedder } from '../src/core/embed/embedder';
import { normalizeInPlace } from '../src/core/embed/vector-math';
import { WorkspaceIndex } from '../src/core/index/workspace-index';
import { topKOf } from '../src/core/store/vector-index';
import { loadEvalTarget } from '../src/core/eval/eval-target';
import { percentile, report, requireScifact, scifactChunks } from './bench-lib';

/**
 * Hybrid query latency over 100k chunks, excluding the query embedding: 384-dim random unit vectors stand in for
 * chunk embeddings (latency does not depend on what the vectors mean) and each query's vector is precomputed.
 * Baseline in the same run: bare MiniSearch search (default options) + a plain-JS exact scan with top-100.
 * Targets: p50 20 ms, p95 50 ms. Also prints peak RSS per 100k chunks.
 */
const DIMS = 384;

function rng(seed: number) {
  let a = seed;
  return () => ((a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0) >>> 0) / 4294967296 - 0.5;
}

/** An Embedder whose vectors are random but fixed per text (a stand-in for a model, for latency only). */
class RandomVectors implements Embedder {
  readonly info = { id: 'random-384', provider: 'transformers' as const, revision: 'bench', dtype: 'fp32', dims: DIMS, maxTokens: 0 };
  private readonly memo = new Map<string, Float32Array>();
  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => {
      let v = this.memo.get(t);
      if (!v) {
        let h = 0;
        for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
        const r = rng(h);
        v = normalizeInPlace(Float32Array.from({ length: DIMS }, r));
        this.memo.set(t, v);
      }
      return v;
    });
  }
  countTokens(t: string) {
    return t.length;
  }
  async dispose() {}
}

async function main(): Promise<void> {
  const scifact = requireScifact('query-latency');
  const queries = (await loadEvalTarget(scifact)).queries.map((q) => q.text);
  const items = await scifactChunks(100_000);
  const embedder = new RandomVectors();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  // Each ~200-character chunk becomes its own document, so the engine indexes exactly these texts.
  const corpus = {
    root: '/bench',
    skipped: [],
    documents: items.map(({ chunk, doc }) => ({ ...doc, id: chunk.id, path: chunk.id, text: chunk.text, bodyStart: 0, headings: [], contentHash: chunk.id })),
  };
  const { index } = await WorkspaceIndex.build(corpus, { chunker: { kind: 'whole-document' }, embedder });
  const buildMs = performance.now() - t0;
  global.gc?.();
  const rss = process.memoryUsage().rss;
  for (const q of queries) await embedder.embed([q]); // precompute query vectors
  const measure = async (fn: (q: string) => Promise<unknown> | unknown) => {
    for (const q of queries.slice(0, 20)) await fn(q);
    const ms: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      await fn(q);
      ms.push(performance.now() - t);
    }
    return ms;
  };
  const legs: Record<string, number[]> = {};
  const ours = await measure(async (q) => {
    const r = await index.search({ query: q, k: 10, retrievers: ['hybrid'], explain: false });
    for (const [leg, ms] of Object.entries(r.timingsMs)) (legs[leg] ??= []).push(ms as number);
  });
  const withExplain = await measure((q) => index.search({ query: q, k: 10, retrievers: ['keyword', 'dense', 'hybrid'] }));
  // The dense leg's exact search: how it scanned, and how many rows the int8 error bounds left to rescore in float32.
  const rescored: number[] = [];
  const scanMs: number[] = [];
  let mode = '';
  for (const q of queries) {
    const [qv] = await embedder.embed([q]);
    const t = performance.now();
    const r = index.vectors?.search(qv, 100);
    scanMs.push(performance.now() - t);
    rescored.push(r?.rescored ?? 0);
    mode = r?.mode ?? 'none';
  }
  const bareMs = new MiniSearch({ fields: ['text'] });
  bareMs.addAll(items.map(({ chunk }) => ({ id: chunk.id, text: chunk.text })));
  const vectors = index.vectors?.snapshot().data as Float32Array;
  const n = items.length;
  const bare = await measure(async (q) => {
    bareMs.search(q);
    const [qv] = await embedder.embed([q]);
    const scores = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < DIMS; j++) s += vectors[r * DIMS + j] * qv[j];
      scores[r] = s;
    }
    topKOf(scores, 100);
  });
  const row = (name: string, ms: number[]) => ({ retrieval: name, 'p50 ms': percentile(ms, 50).toFixed(1), 'p95 ms': percentile(ms, 95).toFixed(1) });
  report(`Query latency, ${n} chunks, ${queries.length} SciFact queries, query embedding excluded`, [
    row('baseline: bare MiniSearch (no stop words) + plain scan', bare),
    row('hybrid (keyword + dense + weighted fusion)', ours),
    row('inspector: keyword + dense + hybrid, with term contributions', withExplain),
  ]);
  console.log(`hybrid legs p50: ${Object.entries(legs).map(([l, ms]) => `${l} ${percentile(ms, 50).toFixed(1)} ms`).join(', ')}`);
  console.log(`dense search alone (${mode}, top 100): p50 ${percentile(scanMs, 50).toFixed(1)} ms; rows rescored in float32 p50 ${percentile(rescored, 50)}, p95 ${percentile(rescored, 95)} of ${n}`);
  console.log(`hybrid p50 ratio baseline/ours = ${(percentile(bare, 50) / percentile(ours, 50)).toFixed(2)}; targets p50 <= 20 ms, p95 <= 50 ms`);
  console.log(`build ${(buildMs / 1000).toFixed(1)} s; RSS after build ${(rss / 1e6).toFixed(0)} MB (+${((rss - rss0) / 1e6).toFixed(0)} MB for ${n} chunks)`);
}

void main();
