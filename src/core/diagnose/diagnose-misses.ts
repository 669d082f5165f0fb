import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkerConfig } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import { sha256 } from '../corpus/build-document';
import type { SkippedFile } from '../corpus/document';
import { whyNotIndexed, type FolderCorpusOptions } from '../corpus/load-folder';
import { relevantChunks } from '../eval/chunk-relevance';
import type { EvalQuery } from '../eval/evalset-types';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import { availableRetrievers, type RankPosition, type RetrieverName } from '../retrieve/types';
import { exactTokensIn } from './exact-tokens';

export const FAILURE_CATEGORIES = ['missing-document', 'stale', 'filtered-out', 'chunking', 'exact-match', 'lexical', 'fusion', 'ranking', 'model-choice', 'semantic'] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

/** What each category says to do; the order is the order the what-if checks run in. */
export const CATEGORY_FIX: Record<FailureCategory, string> = {
  'missing-document': 'index the document (check include/exclude globs, .gitignore, file type and size)',
  stale: 're-index changed files and re-anchor labels',
  'filtered-out': 'fix the metadata filter or the document metadata',
  chunking: 'change the chunker so answers stay in one chunk',
  'exact-match': 'use hybrid (keyword + dense) search: the query holds an exact token (a code, ID, version, name) that dense embeddings blur',
  lexical: 'use hybrid (keyword + dense) search, or a stronger base embedding model: keyword search finds it by shared words and this dense model does not',
  fusion: 'use hybrid (keyword + dense) search: fusing the two rankings recovers it',
  ranking: 'add a reranker over the top candidates',
  'model-choice': 'switch to a stronger base embedding model',
  semantic: 'none of the above recovers it: the fine-tuning signal',
};

export interface Miss {
  queryId: string;
  queryText: string;
  judgmentIndex: number;
  docId: string;
  /** The labeled span (or the whole document for document judgments). */
  start: number;
  end: number;
  quote: string;
  grade: number;
  category: FailureCategory;
  /** One sentence a person can check. */
  evidence: string;
  /** Best rank of the span's chunks per retriever in the baseline index (null: not retrieved). */
  positions: Partial<Record<RetrieverName, RankPosition>>;
  /** For ranking without a reranker configured: the category rests on candidate depth only. */
  verified: boolean;
  /**
   * What `positions` count: chunk ranks for a span judgment, document ranks for a document judgment (a document
   * ranks where its best chunk does among distinct documents, as document-level metrics count it).
   */
  rankedBy: 'chunk' | 'document';
}

export interface Variant {
  /** e.g. `chunker sentence-window:overlap=1,sentences=3` or `model Xenova/bge-small-en-v1.5`. */
  label: string;
  kind: 'chunker' | 'model';
  index: RetrievalIndex;
}

export interface DiagnoseContext {
  index: RetrievalIndex;
  /** Workspace root, to explain missing documents and detect stale files; absent for BEIR folders. */
  root?: string;
  corpusOptions?: FolderCorpusOptions;
  queries: EvalQuery[];
  /** Indexes of the same corpus with other chunkers (what-if re-chunking) and other embedding models. */
  variants: Variant[];
}

export interface DiagnoseOptions {
  /** A relevant span counts as found when one of its chunks is in the top k. */
  k: number;
  /** The retriever under diagnosis (default dense: the question is whether the embedding model is the problem). */
  baseline: Exclude<RetrieverName, 'rerank'>;
  /** Candidate depth a reranker would see. */
  candidates: number;
  split: 'eval' | 'train' | 'all';
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_DIAGNOSE_OPTIONS: DiagnoseOptions = { k: 5, baseline: 'dense', candidates: 30, split: 'eval' };

/**
 * Best (lowest) rank of any of these chunks per retriever. With `byDocument` (a document judgment) the ranks are
 * document ranks: a document ranks where its best chunk does among distinct documents, as document-level metrics
 * count it; `chunk` keeps the best chunk's own rank (what a reranker's candidate depth counts).
 */
async function bestPositions(index: RetrievalIndex, q: EvalQuery, chunkIds: string[], retrievers: RetrieverName[], useFilter = true, byDocument = false) {
  const filter = useFilter ? q.filter : undefined;
  const r = await index.search({ query: q.text, k: 1, retrievers, filter, locate: chunkIds, explain: false });
  const chunk: Partial<Record<RetrieverName, RankPosition>> = {};
  for (const name of retrievers) {
    let b: RankPosition = { rank: null, score: null };
    for (const id of chunkIds) {
      const p = r.positions[id]?.[name];
      if (p?.rank != null && (b.rank == null || p.rank < b.rank)) b = p;
    }
    if (!r.errors[name]) chunk[name] = b;
  }
  const removed = chunkIds.filter((id) => r.filter.removedChunkIds?.includes(id));
  if (!byDocument) return { best: chunk, chunk, removed };
  const deepest = Math.max(0, ...Object.values(chunk).map((p) => p?.rank ?? 0));
  const best: Partial<Record<RetrieverName, RankPosition>> = {};
  if (!deepest) return { best: chunk, chunk, removed };
  const ranked = await index.search({ query: q.text, k: deepest, retrievers: Object.keys(chunk) as RetrieverName[], filter, explain: false });
  for (const [name, p] of Object.entries(chunk) as Array<[RetrieverName, RankPosition]>) {
    if (p.rank == null) {
      best[name] = p;
      continue;
    }
    const before = new Set((ranked.results[name] ?? []).slice(0, p.rank - 1).map((h) => h.docId));
    best[name] = { rank: before.size + 1, score: p.score };
  }
  return { best, chunk, removed };
}

const within = (p: RankPosition | undefined, k: number) => p?.rank != null && p.rank <= k;
const fmt = (p: RankPosition | undefined) => (p?.rank == null ? 'not retrieved' : `rank ${p.rank}`);

/**
 * Finds every labeled relevant span the baseline misses (not in the top k) and explains it by what-if re-runs in a
 * fixed order; the first check that recovers the span decides its category. Every miss carries its evidence.
 */
export async function diagnoseMisses(ctx: DiagnoseContext, options: Partial<DiagnoseOptions> = {}): Promise<{ misses: Miss[]; found: number; judged: number }> {
  const o = { ...DEFAULT_DIAGNOSE_OPTIONS, ...options };
  const { index } = ctx;
  const queries = ctx.queries.filter((q) => o.split === 'all' || q.split === o.split);
  const misses: Miss[] = [];
  let found = 0;
  let judged = 0;
  const retrievers = availableRetrievers({ dense: !!index.embedder, rerank: false });
  if (index.crossEncoder) retrievers.push('rerank');
  let done = 0;
  for (const q of queries) {
    for (const [ji, j] of q.judgments.entries()) {
      if (j.grade < 1) continue;
      judged++;
      const docId = j.target.docId;
      const span = j.target.type === 'span' ? j.target : undefined;
      const base = {
        queryId: q.id,
        queryText: q.text,
        judgmentIndex: ji,
        docId,
        start: span?.start ?? 0,
        end: span?.end ?? 0,
        quote: span?.exact ?? '',
        grade: j.grade,
        verified: true,
        rankedBy: span ? ('chunk' as const) : ('document' as const),
      };
      const miss = (category: FailureCategory, evidence: string, positions: Miss['positions'] = {}, verified = true) =>
        misses.push({ ...base, category, evidence, positions, verified });

      // 1. missing-document: not in the index at all.
      const doc = index.getDocument(docId);
      if (!doc) {
        const why: SkippedFile | undefined = ctx.root ? await whyNotIndexed(ctx.root, docId, ctx.corpusOptions) : undefined;
        miss('missing-document', why ? `${docId} is not indexed: ${why.reason} (${why.detail})` : `${docId} is not in the index (never indexed: re-index the workspace)`);
        continue;
      }
      // 2. stale: the file changed since indexing, or the label no longer anchors.
      const current = ctx.root ? readIfExists(path.join(ctx.root, ...docId.split('/'))) : undefined;
      if (j.stale || (current !== undefined && sha256(current) !== doc.contentHash)) {
        miss('stale', j.stale ? `the labeled text can no longer be found in ${docId}: re-label it` : `${docId} changed after it was indexed (content hash differs): re-index it`);
        continue;
      }
      const chunks = relevantChunks(index, j);
      const ids = chunks.map((c) => c.id);
      const byDocument = !span;
      const { best, chunk: chunkBest, removed } = await bestPositions(index, q, ids, retrievers, true, byDocument);
      if (within(best[o.baseline], o.k)) {
        found++;
        continue;
      }
      // 3. filtered-out: the query's own filter removed the relevant chunks.
      if (q.filter && removed.length) {
        const unfiltered = await bestPositions(index, q, ids, [o.baseline], false, byDocument);
        miss('filtered-out', `the query's filter ${JSON.stringify(q.filter)} removed ${removed.length} relevant chunk(s) of ${docId}; without it the ${o.baseline} retriever finds it at ${fmt(unfiltered.best[o.baseline])}`, best, within(unfiltered.best[o.baseline], o.k));
        continue;
      }
      // 4. chunking: the span is split or diluted, and a chunker that keeps it whole recovers it.
      if (span) {
        const split = chunks.length > 1 || !chunks.some((c) => c.start <= span.start && c.end >= span.end);
        const holder = chunks.find((c) => c.start <= span.start && c.end >= span.end);
        const coverage = holder ? (span.end - span.start) / (holder.end - holder.start) : 0;
        // Diluted: a short span inside an oversized chunk, whose vector is dominated by other content.
        const diluted = !!holder && coverage < 0.25 && holder.end - holder.start > 1000;
        if (split || diluted) {
          let recovered: string | undefined;
          for (const v of ctx.variants.filter((x) => x.kind === 'chunker')) {
            const vj = relevantChunks(v.index, j).filter((c) => c.start <= span.start && c.end >= span.end);
            if (!vj.length) continue;
            const p = (await bestPositions(v.index, q, vj.map((c) => c.id), [o.baseline])).best[o.baseline];
            if (within(p, o.k)) {
              recovered = `${v.label} keeps it whole and ranks it ${p?.rank}`;
              break;
            }
          }
          if (recovered) {
            const shape = split ? `split across ${chunks.length} chunk(s) of ${index.manifest.chunkerKey}` : `diluted: it is ${Math.round(coverage * 100)}% of a ${holder ? holder.end - holder.start : 0}-character chunk`;
            miss('chunking', `the span is ${shape}; ${recovered} (baseline ${o.baseline}: ${fmt(best[o.baseline])})`, best);
            continue;
          }
        }
      }
      // 5. keyword finds it, dense does not, hybrid recovers it: exact-match when the query holds an identifier-like
      // token (exact-tokens.ts) that occurs verbatim in the labeled text or its chunks (the text keyword search
      // ranked); otherwise lexical: ordinary words the answer shares with the query, which a stronger model may match.
      if (within(best.keyword, o.k) && !within(best.dense, o.k) && within(best.hybrid, o.k)) {
        const ranks = `keyword search finds it at ${fmt(best.keyword)}, dense at ${fmt(best.dense)}; hybrid recovers it at ${fmt(best.hybrid)}`;
        const exact = exactTokensIn(q.text, [span?.exact ?? '', ...chunks.map((c) => c.text)].join('\n'));
        if (exact.length) miss('exact-match', `${ranks}; the query's ${exact.map((t) => `${t.kind} "${t.token}"`).join(', ')} occur${exact.length === 1 ? 's' : ''} verbatim in the labeled text`, best);
        else miss('lexical', `${ranks}; the query holds no exact token (code, ID, version, quoted phrase): keyword search finds it by shared words and dense does not, so hybrid recovers it — or a stronger model may`, best);
        continue;
      }
      // 5b. fusion: hybrid recovers it although the keyword leg alone does not (neither leg ranks it within k, or the
      // baseline is keyword and the dense leg does): a hybrid fix, never a ranking one.
      if (o.baseline !== 'hybrid' && within(best.hybrid, o.k)) {
        const legs = `keyword at ${fmt(best.keyword)}, dense at ${fmt(best.dense)}`;
        const why = within(best.dense, o.k) ? `dense finds it in the top ${o.k} where ${o.baseline} does not` : `neither leg alone ranks it in the top ${o.k}`;
        miss('fusion', `${legs}: ${why}; hybrid fusion recovers it at ${fmt(best.hybrid)}`, best);
        continue;
      }
      // 6. ranking: among the top candidates but below k; a reranker recovers it. Candidate depth counts chunks (what
      // a reranker reorders), also for a document judgment.
      const candidateRank = Math.min(...(['hybrid', o.baseline] as RetrieverName[]).map((r) => chunkBest[r]?.rank ?? Infinity));
      if (candidateRank <= o.candidates) {
        const where = byDocument
          ? `its best chunk is in the top ${o.candidates} candidates at rank ${candidateRank}, the document at ${o.baseline} ${fmt(best[o.baseline])} (below ${o.k})`
          : `in the top ${o.candidates} candidates at rank ${candidateRank} but below ${o.k}`;
        if (index.crossEncoder) {
          if (within(best.rerank, o.k)) {
            miss('ranking', byDocument ? `${where}; the reranker moves it to ${fmt(best.rerank)}` : `in the top ${o.candidates} candidates at rank ${candidateRank}; the reranker moves it to ${fmt(best.rerank)}`, best);
            continue;
          }
        } else {
          miss('ranking', `${where}; no reranker is configured, so recovery by reranking is not verified`, best, false);
          continue;
        }
      }
      // 7. model-choice: another configured base model retrieves it.
      let byModel: string | undefined;
      for (const v of ctx.variants.filter((x) => x.kind === 'model')) {
        const vc = relevantChunks(v.index, j).map((c) => c.id);
        const p = (await bestPositions(v.index, q, vc, ['dense'], true, byDocument)).best.dense;
        if (within(p, o.k)) {
          byModel = `${v.label} ranks it ${p?.rank} where ${index.manifest.model?.id ?? 'the baseline'} has ${fmt(best.dense)}`;
          break;
        }
      }
      if (byModel) {
        miss('model-choice', byModel, best);
        continue;
      }
      // 8. semantic: nothing recovers it.
      const tried = [`keyword ${fmt(best.keyword)}`, `dense ${fmt(best.dense)}`, `hybrid ${fmt(best.hybrid)}`];
      if (index.crossEncoder) tried.push(`rerank ${fmt(best.rerank)}`);
      tried.push(`${ctx.variants.length} re-chunked/other-model variant(s) tried`);
      miss('semantic', `nothing recovers it: ${tried.join(', ')}`, best);
    }
    o.onProgress?.(++done, queries.length);
  }
  return { misses, found, judged };
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The re-chunking what-ifs tried by default: smaller windows that keep sentences and short spans whole. */
export function defaultRechunkers(current: ChunkerConfig): ChunkerConfig[] {
  const all: ChunkerConfig[] = [
    { kind: 'sentence-window', sentences: 3, overlap: 1 },
    { kind: 'recursive', size: 600, overlap: 150 },
    { kind: 'markdown', maxSize: 4000, minSize: 0 },
  ];
  return all.filter((c) => chunkerKey(c) !== chunkerKey(current));
}

