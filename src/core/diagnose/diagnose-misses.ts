import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkerConfig } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import { sha256 } from '../corpus/build-document';
import type { SkippedFile } from '../corpus/document';
import { whyNotIndexed, type FolderCorpusOptions } from '../corpus/load-folder';
import { relevantChunks, spanOverlapsChunk } from '../eval/chunk-relevance';
import type { EvalQuery } from '../eval/evalset-types';
import type { RetrieverEvaluationResult } from '../eval/evaluate-retriever';
import { documentLookup, placeHits, type PlacedHit } from '../eval/hit-placement';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { LocalRetriever } from '../retrieve/local-retriever';
import type { FailedQuery, RetrievedHit, Retriever } from '../retrieve/retriever';
import type { RetrievalIndex } from '../retrieve/searchable-index';
import { availableRetrievers, type RankPosition, type RetrieverName } from '../retrieve/types';
import { exactTokensIn } from './exact-tokens';
import { count } from '../io/count-noun';

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
  /**
   * The retriever under diagnosis when it is not one of the index's own legs (an external engine, a recording):
   * its name and where the span sits in its ranking (read to the candidate depth).
   */
  retriever?: { name: string; position: RankPosition };
  /** For ranking without a reranker configured: the category rests on candidate depth only. */
  verified: boolean;
  /**
   * What `positions` count: chunk ranks for a span judgment, document ranks for a document judgment (a document
   * ranks where its best chunk does among distinct documents, as document-level metrics count it).
   */
  rankedBy: 'chunk' | 'document';
  /**
   * Set when a what-if index (another chunker or embedding model: the readiness report runs them, no other view
   * does) decided the category: the variant that recovered the target, and the category the index alone gives (what
   * every view without what-ifs shows for the same miss) with its evidence.
   */
  whatIf?: { variant: string; baseCategory: FailureCategory; baseEvidence: string; baseVerified: boolean };
}

export interface Variant {
  /** e.g. `chunker sentence-window:overlap=1,sentences=3` or `model Xenova/bge-small-en-v1.5`. */
  label: string;
  kind: 'chunker' | 'model';
  index: RetrievalIndex;
}

export interface DiagnoseContext {
  index: RetrievalIndex;
  /**
   * The retriever under diagnosis. Absent or one of the index's own legs (a LocalRetriever over `index`, not
   * rerank): `options.baseline` names the leg (default dense). Any other (an external engine, a recording, a
   * local retriever with an adapter): its ranking, read to the candidate depth and placed in the workspace
   * (`documentId`), decides found or missed, and the index's legs are the what-ifs, as for a local baseline.
   */
  retriever?: Retriever;
  /** How the retriever's hits become workspace documents (retrievalLens.retrievers' documentId). */
  documentId?: DocumentIdRule;
  /** Hits the retriever already answered per query id (an inspector column, an evaluation), read instead of asking again, with the depth asked. */
  fetched?: { hits: ReadonlyMap<string, RetrievedHit[]>; depth: number };
  signal?: AbortSignal;
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

/** What steps 3 to 8 of the diagnosis decide for one missed target; `whatIf` names the what-if index that decided it. */
interface Outcome {
  category: FailureCategory;
  evidence: string;
  positions: Miss['positions'];
  verified: boolean;
  whatIf?: string;
}

/** A category the diagnosis could not compute for the retriever it was given, and why (never silently absent). */
export interface UncomputedCategory {
  category: FailureCategory;
  why: string;
}

export interface Diagnosis {
  misses: Miss[];
  found: number;
  /** Labeled relevant targets judged (queries the retriever could not answer are in `failures`, not here). */
  judged: number;
  /** Queries the retriever under diagnosis could not answer, with its error. */
  failures: FailedQuery[];
  /** Categories that cannot be told for this retriever, each with why; empty for the index's own legs. */
  uncomputed: UncomputedCategory[];
}

/** What an engine outside the index cannot give evidence for, and why. */
export const ENGINE_UNCOMPUTED: UncomputedCategory[] = [
  { category: 'chunking', why: "the re-chunking what-ifs need the engine's chunks (its chunker and index), which it does not expose: a hit holding part of a span is named in that miss's evidence" },
];

/** The index leg a retriever is, when it is one (a LocalRetriever over this index, without adapter or rerank). */
function indexLeg(index: RetrievalIndex, r: Retriever | undefined): Exclude<RetrieverName, 'rerank'> | undefined {
  if (!(r instanceof LocalRetriever) || r.index !== index || r.settings.queryTransform || r.settings.fusion || r.settings.rerank) return undefined;
  return r.retriever === 'rerank' ? undefined : r.retriever;
}

/** Where one labeled target sits in a retriever's placed hits: as a chunk (the first hit holding the span) and as a document. */
function placedPosition(placed: readonly PlacedHit[], docId: string, span: { start: number; end: number } | undefined): { chunk: RankPosition; doc: RankPosition } {
  const none = { rank: null, score: null };
  const at = placed.findIndex((p) => p.docId === docId && (!span || (p.start !== undefined && p.end !== undefined && spanOverlapsChunk(span, { start: p.start, end: p.end }))));
  if (at < 0) return { chunk: none, doc: none };
  const hit = placed[at].hit;
  const chunk = { rank: hit.rank, score: hit.score };
  if (span) return { chunk, doc: chunk };
  const before = new Set(placed.slice(0, at).map((p) => p.docId ?? `unplaced:${p.hit.id}`));
  return { chunk, doc: { rank: before.size + 1, score: hit.score } };
}

/** A hit in the top k that holds part of the span, less than the overlap rule: the engine's chunk splits it. */
function splitBy(placed: readonly PlacedHit[], span: { docId: string; start: number; end: number }, k: number): string | undefined {
  const p = placed.slice(0, k).find((x) => x.docId === span.docId && x.start !== undefined && x.end !== undefined && Math.min(x.end, span.end) > Math.max(x.start, span.start));
  if (!p || p.start === undefined || p.end === undefined) return undefined;
  const overlap = Math.min(p.end, span.end) - Math.max(p.start, span.start);
  return `the hit at rank ${p.hit.rank} ([${p.start}, ${p.end})) holds ${Math.round((100 * overlap) / (span.end - span.start))}% of the span, less than half: the engine's chunk splits it`;
}

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
 * Finds every labeled relevant span the retriever under diagnosis misses (not in the top k) and explains it by
 * what-if re-runs in a fixed order; the first check that recovers the span decides its category. Every miss carries
 * its evidence. One diagnosis for every retriever: for one outside the index's legs (an engine, a recording) each
 * category is computed the same way from its ranking, read to the candidate depth, against the index's legs, and
 * what it cannot give evidence for is listed in `uncomputed` with why.
 */
export async function diagnoseMisses(ctx: DiagnoseContext, options: Partial<DiagnoseOptions> = {}): Promise<Diagnosis> {
  const o = { ...DEFAULT_DIAGNOSE_OPTIONS, ...options };
  const { index } = ctx;
  const leg = ctx.retriever ? indexLeg(index, ctx.retriever) : o.baseline;
  const engine = leg ? undefined : ctx.retriever;
  const baseline = leg ?? o.baseline;
  const name = engine?.name ?? baseline;
  const queries = ctx.queries.filter((q) => o.split === 'all' || q.split === o.split);
  const misses: Miss[] = [];
  const failures: FailedQuery[] = [];
  let found = 0;
  let judged = 0;
  const retrievers = availableRetrievers({ dense: !!index.embedder, rerank: false });
  if (index.crossEncoder) retrievers.push('rerank');
  const docs = engine ? documentLookup(index.documents()) : undefined;
  const depth = Math.min(Math.max(o.k, o.candidates), engine?.capabilities.maxK ?? Infinity);
  const engineHits = async (e: Retriever, q: EvalQuery, filtered: boolean): Promise<PlacedHit[]> => {
    const fetched = filtered ? ctx.fetched?.hits.get(q.id) : undefined;
    const hits = fetched ?? (await e.search(q.text, depth, { filter: filtered && e.capabilities.filters ? q.filter : undefined, signal: ctx.signal, explain: false }));
    return placeHits(hits, docs ?? documentLookup([]), ctx.documentId);
  };
  let done = 0;
  for (const q of queries) {
    let placed: PlacedHit[] = [];
    if (engine && q.judgments.some((j) => j.grade >= 1)) {
      try {
        placed = await engineHits(engine, q, true);
      } catch (e) {
        if (ctx.signal?.aborted) throw e;
        failures.push({ qid: q.id, query: q.text, error: e instanceof Error ? e.message : String(e) });
        o.onProgress?.(++done, queries.length);
        continue;
      }
    }
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
      // For an engine: where the span sits in its ranking, and a top-k hit that holds part of it (named in the evidence).
      const at = engine ? placedPosition(placed, docId, span) : undefined;
      const splitNote = engine && span ? splitBy(placed, span, o.k) : undefined;
      const withSplit = (evidence: string) => (splitNote ? `${evidence}; ${splitNote}` : evidence);
      const retrieverAt = engine && at ? { retriever: { name, position: span ? at.chunk : at.doc } } : {};
      const miss = (category: FailureCategory, evidence: string, positions: Miss['positions'] = {}, verified = true) => misses.push({ ...base, category, evidence: withSplit(evidence), positions, verified, ...retrieverAt });
      const out = (category: FailureCategory, evidence: string, positions: Miss['positions'] = {}, verified = true, whatIf?: string): Outcome => ({ category, evidence, positions, verified, ...(whatIf ? { whatIf } : {}) });

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
      const target = at ? (byDocument ? at.doc : at.chunk) : best[baseline];
      if (within(target, o.k)) {
        found++;
        continue;
      }
      // Steps 3 to 8 with a set of what-if indexes (other chunkers, other models): the first check that recovers
      // the target decides. Run again without them when a what-if decided, so the category the index alone gives
      // (the one every view without what-ifs shows) stays beside the refinement, named.
      const decide = async (whatIfs: readonly Variant[]): Promise<Outcome> => {
        // 3. filtered-out: the query's own filter removed the relevant chunks (for an engine: one that applies filters).
        if (q.filter && removed.length && (!engine || engine.capabilities.filters)) {
          const unfiltered = engine ? placedPosition(await engineHits(engine, q, false), docId, span)[byDocument ? 'doc' : 'chunk'] : (await bestPositions(index, q, ids, [baseline], false, byDocument)).best[baseline];
          return out('filtered-out', `the query's filter ${JSON.stringify(q.filter)} removed ${count(removed.length, 'relevant chunk')} of ${docId}; without it the ${name} retriever finds it at ${fmt(unfiltered)}`, best, within(unfiltered, o.k));
        }
        // 4. chunking: the span is split or diluted, and a chunker that keeps it whole recovers it (the index's legs
        // only: an engine's chunks cannot be re-made, see ENGINE_UNCOMPUTED).
        if (span && !engine) {
          const split = chunks.length > 1 || !chunks.some((c) => c.start <= span.start && c.end >= span.end);
          const holder = chunks.find((c) => c.start <= span.start && c.end >= span.end);
          const coverage = holder ? (span.end - span.start) / (holder.end - holder.start) : 0;
          // Diluted: a short span inside an oversized chunk, whose vector is dominated by other content.
          const diluted = !!holder && coverage < 0.25 && holder.end - holder.start > 1000;
          if (split || diluted) {
            let recovered: string | undefined;
            let by: string | undefined;
            for (const v of whatIfs.filter((x) => x.kind === 'chunker')) {
              const vj = relevantChunks(v.index, j).filter((c) => c.start <= span.start && c.end >= span.end);
              if (!vj.length) continue;
              const p = (await bestPositions(v.index, q, vj.map((c) => c.id), [baseline])).best[baseline];
              if (within(p, o.k)) {
                recovered = `${v.label} keeps it whole and ranks it ${p?.rank}`;
                by = v.label;
                break;
              }
            }
            if (recovered) {
              const shape = split ? `split across ${count(chunks.length, 'chunk')} of ${index.manifest.chunkerKey}` : `diluted: it is ${Math.round(coverage * 100)}% of a ${holder ? holder.end - holder.start : 0}-character chunk`;
              return out('chunking', `the span is ${shape}; ${recovered} (baseline ${baseline}: ${fmt(best[baseline])})`, best, true, by);
            }
          }
        }
        // 5. keyword finds it, dense does not, hybrid recovers it: exact-match when the query holds an identifier-like
        // token (exact-tokens.ts) that occurs verbatim in the labeled text or its chunks (the text keyword search
        // ranked); otherwise lexical: ordinary words the answer shares with the query, which a stronger model may match.
        // For an engine the index's keyword leg finds it and the engine does not; without a local embedding model
        // hybrid recovery cannot be checked (unverified).
        const hasDense = 'dense' in best;
        if (within(best.keyword, o.k) && !within(best.dense, o.k) && (within(best.hybrid, o.k) || (engine && !hasDense))) {
          const ranks = !engine
            ? `keyword search finds it at ${fmt(best.keyword)}, dense at ${fmt(best.dense)}; hybrid recovers it at ${fmt(best.hybrid)}`
            : hasDense
              ? `keyword search finds it at ${fmt(best.keyword)}, ${name} at ${fmt(target)}, dense at ${fmt(best.dense)}; hybrid recovers it at ${fmt(best.hybrid)}`
              : `keyword search finds it at ${fmt(best.keyword)}, ${name} at ${fmt(target)}; with no local embedding model hybrid recovery is not verified`;
          const exact = exactTokensIn(q.text, [span?.exact ?? '', ...chunks.map((c) => c.text)].join('\n'));
          const verified = !engine || hasDense;
          if (exact.length) return out('exact-match', `${ranks}; the query's ${exact.map((t) => `${t.kind} "${t.token}"`).join(', ')} occur${exact.length === 1 ? 's' : ''} verbatim in the labeled text`, best, verified);
          else return out('lexical', `${ranks}; the query holds no exact token (code, ID, version, quoted phrase): keyword search finds it by shared words and ${engine ? name : 'dense'} does not, so hybrid recovers it — or a stronger model may`, best, verified);
        }
        // 5b. fusion: hybrid recovers it although the keyword leg alone does not (neither leg ranks it within k, or the
        // baseline is keyword and the dense leg does): a hybrid fix, never a ranking one.
        if ((engine || baseline !== 'hybrid') && within(best.hybrid, o.k)) {
          const legs = `keyword at ${fmt(best.keyword)}, dense at ${fmt(best.dense)}`;
          const why = within(best.dense, o.k) ? `dense finds it in the top ${o.k} where ${name} does not` : `neither leg alone ranks it in the top ${o.k}`;
          return out('fusion', `${legs}: ${why}; hybrid fusion recovers it at ${fmt(best.hybrid)}`, best);
        }
        // 6. ranking: among the top candidates but below k; a reranker recovers it. Candidate depth counts chunks (what
        // a reranker reorders), also for a document judgment. An engine's candidates are its own hits, reranked here.
        const candidateRank = engine ? (at?.chunk.rank ?? Infinity) : Math.min(...(['hybrid', baseline] as RetrieverName[]).map((r) => chunkBest[r]?.rank ?? Infinity));
        if (candidateRank <= o.candidates) {
          const where = byDocument
            ? `its best chunk is in the top ${o.candidates} candidates at rank ${candidateRank}, the document at ${name} ${fmt(target)} (below ${o.k})`
            : `in the top ${o.candidates} candidates at rank ${candidateRank} but below ${o.k}`;
          if (index.crossEncoder) {
            const reranked = engine ? await rerankPlaced(index, q.text, placed.slice(0, o.candidates), docId, span, ctx.signal) : best.rerank;
            if (within(reranked, o.k)) {
              return out('ranking', byDocument ? `${where}; the reranker moves it to ${fmt(reranked)}` : `in the top ${o.candidates} candidates at rank ${candidateRank}; the reranker moves it to ${fmt(reranked)}`, best);
            }
          } else {
            return out('ranking', `${where}; no reranker is configured, so recovery by reranking is not verified`, best, false);
          }
        }
        // 7. model-choice: another configured base model retrieves it.
        let byModel: string | undefined;
        let modelLabel: string | undefined;
        for (const v of whatIfs.filter((x) => x.kind === 'model')) {
          const vc = relevantChunks(v.index, j).map((c) => c.id);
          const p = (await bestPositions(v.index, q, vc, ['dense'], true, byDocument)).best.dense;
          if (within(p, o.k)) {
            modelLabel = v.label;
            byModel = `${v.label} ranks it ${p?.rank} where ${index.manifest.model?.id ?? 'the baseline'} has ${fmt(best.dense)}`;
            break;
          }
        }
        if (byModel) {
          return out('model-choice', byModel, best, true, modelLabel);
        }
        // 8. semantic: nothing recovers it.
        const tried = [`keyword ${fmt(best.keyword)}`, `dense ${fmt(best.dense)}`, `hybrid ${fmt(best.hybrid)}`];
        if (engine) tried.unshift(`${name} ${fmt(target)}`);
        if (index.crossEncoder) tried.push(`rerank ${fmt(best.rerank)}`);
        tried.push(`${count(whatIfs.length, 're-chunked/other-model variant')} tried`);
        return out('semantic', `nothing recovers it: ${tried.join(', ')}`, best);
      };
      const refined = await decide(ctx.variants);
      const plain = refined.whatIf ? await decide([]) : undefined;
      misses.push({
        ...base,
        category: refined.category,
        evidence: withSplit(refined.evidence),
        positions: refined.positions,
        verified: refined.verified,
        ...retrieverAt,
        ...(refined.whatIf && plain ? { whatIf: { variant: refined.whatIf, baseCategory: plain.category, baseEvidence: withSplit(plain.evidence), baseVerified: plain.verified } } : {}),
      });
    }
    o.onProgress?.(++done, queries.length);
  }
  return { misses, found, judged, failures, uncomputed: engine ? [...ENGINE_UNCOMPUTED] : [] };
}

/**
 * The configured cross-encoder over an engine's own candidates (its placed hits, scored by their text, else the
 * placed span of the workspace document): where the labeled target lands after reranking. A candidate with no text
 * to score keeps its place behind those scored.
 */
async function rerankPlaced(index: RetrievalIndex, query: string, candidates: PlacedHit[], docId: string, span: { start: number; end: number } | undefined, signal: AbortSignal | undefined): Promise<RankPosition> {
  const crossEncoder = index.crossEncoder;
  if (!crossEncoder) return { rank: null, score: null };
  const textOf = (p: PlacedHit) => p.hit.text ?? (p.docId && p.start !== undefined && p.end !== undefined ? index.getDocument(p.docId)?.text.slice(p.start, p.end) : undefined);
  const scored = candidates.map((p, i) => ({ p, i, text: textOf(p) }));
  const withText = scored.filter((c) => c.text);
  const scores = await crossEncoder.score(query, withText.map((c) => c.text as string), { signal });
  const score = new Map(withText.map((c, n) => [c.i, scores[n]]));
  const order = scored.sort((a, b) => (score.get(b.i) ?? -Infinity) - (score.get(a.i) ?? -Infinity) || a.i - b.i);
  const reranked = order.map((c, n) => ({ ...c.p, hit: { ...c.p.hit, rank: n + 1, score: score.get(c.i) ?? c.p.hit.score } }));
  const at = placedPosition(reranked, docId, span);
  return span ? at.chunk : at.doc;
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


/**
 * The misses of a retriever already evaluated: its placed hits per query are read instead of asking it again, and
 * the queries it could not answer are the evaluation's failures. The queries diagnosed are those it answered.
 */
export async function diagnoseEvaluation(
  ctx: Omit<DiagnoseContext, 'fetched' | 'retriever' | 'documentId'>,
  evaluated: { retriever: Retriever; documentId?: DocumentIdRule; result: Pick<RetrieverEvaluationResult, 'placed' | 'failures' | 'manifest'> },
  options: Partial<DiagnoseOptions> = {},
): Promise<Diagnosis> {
  const { result } = evaluated;
  const hits = new Map([...result.placed].map(([qid, placed]) => [qid, placed.map((p) => p.hit)]));
  const d = await diagnoseMisses({ ...ctx, queries: ctx.queries.filter((q) => hits.has(q.id)), retriever: evaluated.retriever, documentId: evaluated.documentId, fetched: { hits, depth: result.manifest.k } }, options);
  return { ...d, failures: [...result.failures, ...d.failures] };
}

/** Misses per category (every category, zeros included), as the readiness report and the CLI count them. */
export function missCounts(misses: readonly Miss[]): Record<FailureCategory, number> {
  return Object.fromEntries(FAILURE_CATEGORIES.map((c) => [c, misses.filter((m) => m.category === c).length])) as Record<FailureCategory, number>;
}
