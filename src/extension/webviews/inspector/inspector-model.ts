import type { Chunk } from '../../../core/chunking/chunk';
import type { Miss } from '../../../core/diagnose/diagnose-misses';
import { spanOverlapsChunk } from '../../../core/eval/chunk-relevance';
import type { EvalQuery, Judgment } from '../../../core/eval/evalset-types';
import { RETRIEVERS, type FusionConfig, type RetrieverName, type SearchHit } from '../../../core/retrieve/types';
import { checkSetting, type WorkspaceSettings } from '../../../core/settings/workspace-settings';
import type { MissedSpan, ResultRow, SearchParams } from '../../../protocol/inspector';
import type { WhatIfNote } from '../../diagnosis/miss-diagnoses';

/**
 * What the Query Inspector shows, from what the index answered: the checks of a search request, the result rows of
 * each column (the chunk's rank in every other retriever, the grade of an overlapping label), the missed spans and
 * the timings. Pure (no editor API): the controller (inspector-controller.ts) runs the searches and hands the
 * answers here.
 */

/** Validates what the webview sent before acting on it. */
export function checkSearch(p: SearchParams): void {
  if (typeof p.query !== 'string' || !p.query.trim()) throw new Error('type a query first');
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > 100) throw new Error('k must be an integer from 1 to 100');
  if (!Array.isArray(p.retrievers) || !p.retrievers.length || p.retrievers.some((r) => !RETRIEVERS.includes(r))) throw new Error('pick at least one retriever');
  if (p.fusion !== undefined) checkFusion(p.fusion);
}

/** Fusion overrides follow the rules of the settings they override. */
export function checkFusion(f: Partial<FusionConfig>): void {
  if (typeof f !== 'object' || f === null) throw new Error('fusion must be an object');
  const fields: Array<[keyof FusionConfig, keyof WorkspaceSettings]> = [['method', 'fusion'], ['denseWeight', 'denseWeight'], ['normalization', 'fusionNormalization'], ['rrfK', 'rrfK']];
  for (const [field, setting] of fields) {
    const problem = f[field] === undefined ? undefined : checkSetting(setting, f[field]);
    if (problem) throw new Error(problem.replace(`retrievalLens.${setting}`, `fusion ${field}`));
  }
  if (f.depth !== undefined && !(Number.isInteger(f.depth) && f.depth >= 1)) throw new Error('fusion depth must be a positive integer');
}

/** The highest grade of a label on [start, end) of a document (a document label covers all of it), if any. */
export function labelOf(judgments: readonly Judgment[], docId: string, start: number, end: number): number | undefined {
  let g: number | undefined;
  for (const j of judgments) {
    if (j.target.docId !== docId) continue;
    if (j.target.type === 'document' || spanOverlapsChunk(j.target, { start, end })) g = Math.max(g ?? -1, j.grade);
  }
  return g;
}

/** The result rows of one column, each with its rank in every retriever that ran (null: not retrieved). */
export class ResultRows {
  private readonly rankOf = new Map<string, Partial<Record<RetrieverName, number | null>>>();

  constructor(
    results: Partial<Record<RetrieverName, SearchHit[]>>,
    private readonly retrievers: readonly RetrieverName[],
    private readonly k: number,
    private readonly getChunk: (id: string) => Chunk | undefined,
    private readonly judgments: readonly Judgment[],
  ) {
    for (const name of retrievers) {
      for (const h of results[name] ?? []) {
        const m = this.rankOf.get(h.chunkId) ?? {};
        m[name] = h.rank;
        this.rankOf.set(h.chunkId, m);
      }
    }
  }

  rows(hits: SearchHit[]): ResultRow[] {
    return hits.slice(0, this.k).map((h): ResultRow => {
      const c = this.getChunk(h.chunkId);
      const ranks: ResultRow['ranks'] = {};
      for (const other of this.retrievers) ranks[other] = this.rankOf.get(h.chunkId)?.[other] ?? null;
      return {
        chunkId: h.chunkId,
        docId: h.docId,
        start: c?.start ?? 0,
        end: c?.end ?? 0,
        headingPath: c?.headingPath ?? [],
        preview: (c?.text ?? '').slice(0, 400),
        rank: h.rank,
        score: h.score,
        explanation: h.explanation,
        ranks,
        label: c ? labelOf(this.judgments, h.docId, c.start, c.end) : undefined,
      };
    });
  }
}

/** The retriever whose misses the inspector diagnoses: dense when it ran with a model, else hybrid, else keyword. */
export function missBaseline(retrievers: readonly RetrieverName[], hasEmbedder: boolean): Exclude<RetrieverName, 'rerank'> {
  return retrievers.includes('dense') && hasEmbedder ? 'dense' : retrievers.includes('hybrid') ? 'hybrid' : 'keyword';
}

/** The eval query's labeled spans the baseline missed, with each retriever's best position (a gap when absent). */
export function missedSpans(evalQuery: EvalQuery, misses: ReadonlyArray<Miss & { reportWhatIf?: WhatIfNote }>, retrievers: readonly RetrieverName[]): MissedSpan[] {
  return misses.map((m) => {
    const j = evalQuery.judgments[m.judgmentIndex];
    const positions: MissedSpan['positions'] = {};
    for (const name of retrievers) positions[name] = m.positions[name] ?? { rank: null, score: null };
    return {
      docId: m.docId,
      start: j.target.type === 'span' ? j.target.start : 0,
      end: j.target.type === 'span' ? j.target.end : 0,
      quote: m.quote || `(whole document ${m.docId})`,
      grade: m.grade,
      positions,
      category: m.category,
      evidence: m.evidence,
      ...(m.reportWhatIf ? { whatIf: reportWhatIfText(m.reportWhatIf) } : {}),
    };
  });
}

/** How the readiness report's what-if refinement of a miss is named beside its base category, in every view. */
export function reportWhatIfText(w: WhatIfNote): string {
  return `the readiness report's what-if ${w.variant} recovers it: ${w.category}`;
}

/** The numeric timings of a search, in milliseconds. */
export function timings(raw: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'number') out[k] = v;
  return out;
}
