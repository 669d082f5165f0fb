import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Chunk } from '../chunking/chunk';
import { relevantChunks, spanOverlapsChunk } from '../eval/chunk-relevance';
import type { EvalQuery, QuerySource } from '../eval/evalset-types';
import { writeFileAtomic } from '../io/atomic-write';
import { rankLocalChunks } from '../eval/chunk-ranking';
import { documentLookup } from '../eval/hit-placement';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { LocalRetriever } from '../retrieve/local-retriever';
import type { Retriever } from '../retrieve/retriever';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import type { RetrieverName } from '../retrieve/types';

export interface TrainingExportOptions {
  /** Hard negatives come from this rank window of the miner's ranking (1-based, inclusive). */
  rankWindow: [number, number];
  /** A negative must score below (1 − margin) × the positive's score, so near-positives are not taught as negatives. */
  margin: number;
  /** Negatives whose word-trigram Jaccard with the positive reaches this are near-duplicates and skipped. */
  nearDuplicate: number;
  negativesPerPair: number;
  miner: Exclude<RetrieverName, 'rerank'>;
}

export const DEFAULT_TRAINING_EXPORT: TrainingExportOptions = { rankWindow: [3, 30], margin: 0.05, nearDuplicate: 0.8, negativesPerPair: 3, miner: 'dense' };

export interface TrainingPair {
  queryId: string;
  anchor: string;
  positive: string;
  positiveChunkId: string;
  negatives: Array<{ chunkId: string; text: string; rank: number; score: number }>;
  /** Where the query came from (EvalQuery.source): "synthetic" for generate-queries' queries; absent: typed by hand. */
  source?: QuerySource;
}

/** A pair on a query written by generate-queries. */
export const isSyntheticPair = (p: Pick<TrainingPair, 'source'>) => p.source === 'synthetic';

/**
 * Anchor–positive pairs and anchor–positive–hard-negative triplets from the TRAIN split only. The positive is the
 * chunk that holds the labeled span; negatives are mined from the local index within a rank window and a score
 * margin, never anything labeled relevant for that query, never a near-duplicate of the positive.
 */
export async function mineTrainingPairs(
  index: RetrievalIndex,
  queries: EvalQuery[],
  options: Partial<TrainingExportOptions> = {},
  /** The retriever whose ranking the negatives come from (any Retriever: an engine's hits stand for the local chunks they hold); default the index's `options.miner`. */
  through?: { retriever: Retriever; documentId?: DocumentIdRule },
): Promise<TrainingPair[]> {
  const o = { ...DEFAULT_TRAINING_EXPORT, ...options };
  const miner = through?.retriever ?? new LocalRetriever(index, o.miner);
  const docs = documentLookup(index.documents());
  const pairs: TrainingPair[] = [];
  for (const q of queries) {
    if (q.split !== 'train') continue;
    const labeledRelevant = (c: Chunk) =>
      q.judgments.some((j) => j.grade >= 1 && j.target.docId === c.docId && (j.target.type === 'document' || spanOverlapsChunk(j.target, c)));
    const r = await rankLocalChunks(index, miner, q.text, o.rankWindow[1], { filter: q.filter, locate: [...index.allChunks()].filter(labeledRelevant).map((c) => c.id), documentId: through?.documentId, docs });
    for (const j of q.judgments) {
      if (j.grade < 1) continue;
      const holders = relevantChunks(index, j);
      if (!holders.length) continue;
      const positive = j.target.type === 'span' ? holders.reduce((a, b) => (overlap(b, j.target as { start: number; end: number }) > overlap(a, j.target as { start: number; end: number }) ? b : a)) : holders[0];
      const posScore = r.located.get(positive.id)?.score ?? null;
      const negatives: TrainingPair['negatives'] = [];
      for (const h of r.hits) {
        if (negatives.length >= o.negativesPerPair) break;
        if (h.rank < o.rankWindow[0] || h.rank > o.rankWindow[1]) continue;
        const c = index.getChunk(h.chunkId);
        if (!c || labeledRelevant(c)) continue;
        if (posScore !== null && h.score >= (1 - o.margin) * posScore) continue;
        if (jaccard(c.text, positive.text) >= o.nearDuplicate) continue;
        negatives.push({ chunkId: c.id, text: c.text, rank: h.rank, score: h.score });
      }
      pairs.push({ queryId: q.id, anchor: q.text, positive: positive.text, positiveChunkId: positive.id, negatives, ...(q.source ? { source: q.source } : {}) });
    }
  }
  return pairs;
}

/**
 * Writes sentence-transformers JSONL (pairs, triplets), a BEIR folder and a manifest into `dir`.
 *
 * Synthetic queries (generate-queries, `source: "synthetic"`) are exported like the others and marked, so a team can
 * drop them: the sentence-transformers files keep only their input columns (every column there is a model input), and
 * `pairs.meta.jsonl` / `triplets.meta.jsonl` give each of their lines, in the same order, its query id, positive chunk
 * and `source` ("synthetic", or the query's other source, or "hand"); with any synthetic pair, `pairs.real.jsonl` and
 * `triplets.real.jsonl` hold the same records without them. BEIR's queries.jsonl carries `metadata.source`, and the
 * manifest counts the synthetic pairs and triplets.
 */
export function writeTrainingExport(dir: string, pairs: TrainingPair[], index: RetrievalIndex, options: Partial<TrainingExportOptions> = {}, formats: Array<'st' | 'beir'> = ['st', 'beir']): Record<string, number> {
  const o = { ...DEFAULT_TRAINING_EXPORT, ...options };
  fs.mkdirSync(dir, { recursive: true });
  const synthetic = pairs.filter(isSyntheticPair);
  const counts: Record<string, number> = { pairs: pairs.length, triplets: pairs.reduce((s, p) => s + p.negatives.length, 0), synthetic_pairs: synthetic.length, synthetic_triplets: synthetic.reduce((s, p) => s + p.negatives.length, 0) };
  const source = (p: TrainingPair) => p.source ?? 'hand';
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const pairRows = (ps: TrainingPair[]) => ps.map((p) => ({ anchor: p.anchor, positive: p.positive }));
  const tripletRows = (ps: TrainingPair[]) => ps.flatMap((p) => p.negatives.map((n) => ({ anchor: p.anchor, positive: p.positive, negative: n.text })));
  if (formats.includes('st')) {
    writeFileAtomic(path.join(dir, 'pairs.jsonl'), jsonl(pairRows(pairs)));
    writeFileAtomic(path.join(dir, 'triplets.jsonl'), jsonl(tripletRows(pairs)));
    writeFileAtomic(path.join(dir, 'pairs.meta.jsonl'), jsonl(pairs.map((p) => ({ query_id: p.queryId, positive_chunk_id: p.positiveChunkId, source: source(p) }))));
    writeFileAtomic(path.join(dir, 'triplets.meta.jsonl'), jsonl(pairs.flatMap((p) => p.negatives.map((n) => ({ query_id: p.queryId, positive_chunk_id: p.positiveChunkId, negative_chunk_id: n.chunkId, source: source(p) })))));
    if (synthetic.length) {
      const real = pairs.filter((p) => !isSyntheticPair(p));
      writeFileAtomic(path.join(dir, 'pairs.real.jsonl'), jsonl(pairRows(real)));
      writeFileAtomic(path.join(dir, 'triplets.real.jsonl'), jsonl(tripletRows(real)));
    }
  }
  if (formats.includes('beir')) {
    const beir = path.join(dir, 'beir');
    fs.mkdirSync(path.join(beir, 'qrels'), { recursive: true });
    const used = new Map<string, string>();
    for (const p of pairs) {
      used.set(p.positiveChunkId, p.positive);
      for (const n of p.negatives) used.set(n.chunkId, n.text);
    }
    writeFileAtomic(path.join(beir, 'corpus.jsonl'), [...used].map(([id, text]) => JSON.stringify({ _id: id, title: '', text })).join('\n') + '\n');
    const queries = new Map(pairs.map((p) => [p.queryId, p]));
    writeFileAtomic(path.join(beir, 'queries.jsonl'), jsonl([...queries].map(([id, p]) => ({ _id: id, text: p.anchor, metadata: { source: source(p) } }))));
    writeFileAtomic(path.join(beir, 'qrels', 'train.tsv'), ['query-id\tcorpus-id\tscore', ...pairs.map((p) => `${p.queryId}\t${p.positiveChunkId}\t1`)].join('\n') + '\n');
  }
  writeFileAtomic(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ createdAt: new Date().toISOString(), split: 'train', model: index.manifest.model, chunker: index.manifest.chunkerKey, corpusHash: index.manifest.corpusHash, options: o, counts }, null, 1),
  );
  return counts;
}

function overlap(c: { start: number; end: number }, s: { start: number; end: number }): number {
  return Math.max(0, Math.min(c.end, s.end) - Math.max(c.start, s.start));
}

function jaccard(a: string, b: string): number {
  const grams = (t: string) => {
    const w = t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const s = new Set<string>();
    for (let i = 0; i + 3 <= w.length; i++) s.add(w.slice(i, i + 3).join(' '));
    if (!s.size && w.length) s.add(w.join(' '));
    return s;
  };
  const x = grams(a);
  const y = grams(b);
  let inter = 0;
  for (const g of x) if (y.has(g)) inter++;
  return x.size + y.size - inter ? inter / (x.size + y.size - inter) : 0;
}
