import { createHash } from 'node:crypto';
import { diagnoseMisses, type FailureCategory, type Miss } from '../../core/diagnose/diagnose-misses';
import type { EvalQuery } from '../../core/eval/evalset-types';
import type { RetrievalIndex } from '../../core/retrieve/searchable-index';
import type { RetrieverName } from '../../core/retrieve/types';

/** What a miss diagnosis depends on besides the query and the index. */
export interface DiagnosisSettings {
  /** A labeled target counts as found when it is in the top k. */
  k: number;
  /** The index leg whose misses are diagnosed. */
  baseline: Exclude<RetrieverName, 'rerank'>;
  /** Candidate depth a reranker would see. */
  candidates: number;
  /** Workspace root and corpus globs, to explain missing documents and detect stale files. */
  root?: string;
  include?: string[];
  exclude?: string[];
}

/**
 * The settings every view diagnoses with, so the inspector, the Problems entries, the baseline and the readiness
 * report ask the same question: found in the top `topK` of the baseline leg (dense when the index has a model),
 * with a reranker's candidate depth of at least 30.
 */
export function diagnosisSettings(cfg: { topK: number; include?: string[]; exclude?: string[] }, root: string | undefined, hasEmbedder: boolean, baseline?: Exclude<RetrieverName, 'rerank'>): DiagnosisSettings {
  // Globs as the corpus loader defaults them, so an unset setting and its default are the same question.
  return { k: cfg.topK, baseline: baseline ?? (hasEmbedder ? 'dense' : 'keyword'), candidates: Math.max(30, cfg.topK), root, include: cfg.include ?? ['**/*'], exclude: cfg.exclude ?? [] };
}

/** The misses of a set of queries, as every view reads them. */
export interface SharedDiagnosis {
  /** Base categories (no what-if indexes); `reportWhatIf` when the readiness report's what-ifs refined one. */
  misses: Array<Miss & { reportWhatIf?: WhatIfNote }>;
  found: number;
  judged: number;
}

/** What the readiness report's what-if indexes said about one miss, kept beside the base diagnosis. */
export interface WhatIfNote {
  variant: string;
  category: FailureCategory;
}

interface Entry {
  misses: Miss[];
  found: number;
  judged: number;
  /** The readiness report's refinement of a miss (by judgment index), when the report ran on the same question. */
  whatIf?: Map<number, WhatIfNote>;
}

const MAX_ENTRIES = 20_000;

/**
 * One miss diagnosis per (eval query, index, settings), computed once and read by every view that shows a miss's
 * category: the inspector (its miss line and cards, and through it the Problems entries), the baseline view and the
 * readiness report's host. Entries are keyed by the query's content (text, filter, judgments), the index's identity
 * (which object, its corpus, chunker, models and last update) and the settings, so a label, a re-index or a changed
 * setting recomputes exactly what it touches. The base diagnosis runs no what-if indexes (no view but the readiness
 * report builds them); the report's what-if refinements are recorded beside it and named wherever they are shown.
 */
export class MissDiagnoses {
  private readonly cache = new Map<string, Entry>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private lastIdentity: string | undefined;
  /** Diagnoses actually run (queries), for tests and the log: a second view of the same question adds none. */
  computed = 0;

  /** The misses of these queries (every split given) for the index and settings, computing only what is not cached. */
  async diagnose(index: RetrievalIndex, queries: readonly EvalQuery[], s: DiagnosisSettings, signal?: AbortSignal): Promise<SharedDiagnosis> {
    // Entries of an index that changed (re-indexed, another model) are never asked for again: drop them.
    const identity = this.identity(index);
    if (identity !== this.lastIdentity) this.cache.clear();
    this.lastIdentity = identity;
    const keys = queries.map((q) => this.key(index, q, s));
    const todo = queries.filter((_, i) => !this.cache.has(keys[i]));
    if (todo.length) {
      const d = await diagnoseMisses(
        { index, root: s.root, corpusOptions: { include: s.include, exclude: s.exclude }, queries: [...todo], variants: [], signal },
        { k: s.k, baseline: s.baseline, candidates: s.candidates, split: 'all' },
      );
      this.computed += todo.length;
      for (const q of todo) this.store(this.key(index, q, s), q, d.misses.filter((m) => m.queryId === q.id));
    }
    const entries = keys.map((k) => this.cache.get(k) as Entry);
    return {
      misses: entries.flatMap((e) => e.misses.map((m) => withNote(m, e.whatIf?.get(m.judgmentIndex)))),
      found: entries.reduce((n, e) => n + e.found, 0),
      judged: entries.reduce((n, e) => n + e.judged, 0),
    };
  }

  /**
   * Records the readiness report's misses of these queries (diagnosed with what-if indexes on the same index and
   * settings): their base categories fill the cache (the report's run is the diagnosis, not a second one), and each
   * what-if refinement is kept so the other views can name it beside the base category.
   */
  record(index: RetrievalIndex, queries: readonly EvalQuery[], s: DiagnosisSettings, reportMisses: readonly Miss[]): void {
    for (const q of queries) {
      const mine = reportMisses.filter((m) => m.queryId === q.id);
      const base = mine.map(({ whatIf, ...m }): Miss => (whatIf ? { ...m, category: whatIf.baseCategory, evidence: whatIf.baseEvidence, verified: whatIf.baseVerified } : m));
      const whatIf = new Map(mine.filter((m) => m.whatIf).map((m) => [m.judgmentIndex, { variant: m.whatIf?.variant ?? '', category: m.category }]));
      this.store(this.key(index, q, s), q, base, whatIf.size ? whatIf : undefined);
    }
  }

  clear(): void {
    this.cache.clear();
  }

  private store(key: string, q: EvalQuery, misses: Miss[], whatIf?: Map<number, WhatIfNote>): void {
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    const judged = q.judgments.filter((j) => j.grade >= 1).length;
    this.cache.set(key, { misses, found: judged - misses.length, judged, ...(whatIf ? { whatIf } : {}) });
  }

  /** Which index object, its corpus, chunker, models, last update and search defaults (fusion weights rank hybrid). */
  private identity(index: RetrievalIndex): string {
    let id = this.ids.get(index);
    if (id === undefined) this.ids.set(index, (id = this.nextId++));
    const m = index.manifest;
    const search = (index as { searchDefaults?: unknown }).searchDefaults;
    return JSON.stringify([id, m.corpusHash, m.chunkerKey, m.model?.id ?? '', index.crossEncoder?.info.id ?? '', m.updatedAt, search ?? {}]);
  }

  private key(index: RetrievalIndex, q: EvalQuery, s: DiagnosisSettings): string {
    // What the diagnosis reads of a judgment, nothing else: the eval set as the editor holds it and as the report
    // loads it (re-anchored, `stale: false` written out, notes) are the same question.
    const judgments = q.judgments.map((j) => ({ grade: j.grade, stale: !!j.stale, target: j.target.type === 'span' ? { type: 'span', docId: j.target.docId, start: j.target.start, end: j.target.end, exact: j.target.exact } : { type: 'document', docId: j.target.docId } }));
    const question = { id: q.id, text: q.text, filter: q.filter ?? null, judgments };
    return createHash('sha256').update(JSON.stringify([this.identity(index), question, s])).digest('hex');
  }
}

/** A cached miss with the report's what-if refinement attached (the base category stays `category`). */
function withNote(m: Miss, note: WhatIfNote | undefined): Miss & { reportWhatIf?: WhatIfNote } {
  return note ? { ...m, reportWhatIf: note } : m;
}
