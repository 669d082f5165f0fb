import type { SourceDocument } from '../corpus/document';
import type { EvalQuery } from '../eval/evalset-types';
import { keywordTerms } from '../store/keyword-index';
import type { KeywordConfig } from '../store/keyword-types';

/**
 * The bias that matters for synthetic queries: a model that writes a question from a passage copies its words, and
 * copied words flatter keyword search (BM25) and teach a dense model that matching words is relevance. Measured per
 * query as the share of its content words found in its own relevant passage, averaged over queries, for synthetic
 * queries and for real ones side by side.
 *
 * Content words: the query's terms as the keyword index makes them (its tokenizer, lower case, Porter stemming when
 * the index stems), with the stop words always removed (Lucene's English list, the index's own). Its own passage: the
 * text of its positive (grade ≥ 1) span labels; a document label counts the whole document. A query with no content
 * word or no positive label is left out. Real queries: those from a query log or production traces (source "log" or
 * "trace"); when there are none, the hand-typed ones (no source), and the figure says which.
 */
export interface OverlapFigure {
  /** Mean share of content words found in the query's own passage (NaN with no query). */
  share: number;
  queries: number;
}

export interface QueryBias {
  synthetic: OverlapFigure;
  real: OverlapFigure & { kind: 'log/trace' | 'hand-typed' | 'none' };
  /** synthetic.share − real.share (NaN when either is missing). */
  difference: number;
  rule: string;
}

export const QUERY_BIAS_RULE =
  "share of a query's content words (the keyword index's tokenizer and stemming, stop words removed) found in the text of its own positive labels, averaged over queries";

/** The share for one query: content words of `query` found among the terms of `passages`; undefined with no content word. */
export function contentWordShare(query: string, passages: readonly string[], config: Pick<KeywordConfig, 'stemming'>): number | undefined {
  const c = { stemming: config.stemming, stopWords: true };
  const words = keywordTerms(query, c);
  if (!words.length) return undefined;
  const own = new Set(passages.flatMap((p) => keywordTerms(p, c)));
  return words.filter((w) => own.has(w)).length / words.length;
}

function figure(queries: EvalQuery[], docs: ReadonlyMap<string, SourceDocument>, config: Pick<KeywordConfig, 'stemming'>): OverlapFigure {
  const shares: number[] = [];
  for (const q of queries) {
    const passages = q.judgments
      .filter((j) => j.grade >= 1 && !j.stale)
      .map((j) => (j.target.type === 'span' ? j.target.exact : docs.get(j.target.docId)?.text))
      .filter((t): t is string => typeof t === 'string');
    if (!passages.length) continue;
    const s = contentWordShare(q.text, passages, config);
    if (s !== undefined) shares.push(s);
  }
  return { share: shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : NaN, queries: shares.length };
}

export function measureQueryBias(queries: EvalQuery[], documents: Iterable<SourceDocument>, config: Pick<KeywordConfig, 'stemming'> = { stemming: true }): QueryBias {
  const docs = new Map<string, SourceDocument>();
  for (const d of documents) docs.set(d.id, d);
  const synthetic = figure(queries.filter((q) => q.source === 'synthetic'), docs, config);
  const logged = figure(queries.filter((q) => q.source === 'log' || q.source === 'trace'), docs, config);
  const real = logged.queries
    ? { ...logged, kind: 'log/trace' as const }
    : (() => {
        const typed = figure(queries.filter((q) => q.source === undefined), docs, config);
        return { ...typed, kind: typed.queries ? ('hand-typed' as const) : ('none' as const) };
      })();
  return { synthetic, real, difference: synthetic.share - real.share, rule: QUERY_BIAS_RULE };
}

export function queryBiasLine(b: QueryBias): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
  const real = b.real.kind === 'none' ? 'no labelled real or hand-typed query to compare with' : `${b.real.kind} queries ${pct(b.real.share)} (${b.real.queries})`;
  const diff = Number.isFinite(b.difference) ? `; ${b.difference >= 0 ? '+' : '−'}${Math.abs(Math.round(b.difference * 100))} points for synthetic${b.difference > 0.1 ? ' — they copy the passage\'s words, which flatters keyword search' : ''}` : '';
  return `bias: content words found in the query's own passage — synthetic ${pct(b.synthetic.share)} (${b.synthetic.queries} queries), ${real}${diff}`;
}
