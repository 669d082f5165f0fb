import { isEmptyFilter } from './metadata-filter';
import type { MetadataFilter } from './types';

/**
 * Where an engine stores what a MetadataFilter tests, for translating the filter into the engine's own query
 * language (`filterFields` of an http retriever with the opensearch, elasticsearch or qdrant preset). A part of the
 * filter whose field is not named cannot be applied, and is reported, never silently dropped.
 */
export interface FilterFields {
  /** The workspace-relative path of the document (pathGlobs, excludeGlobs). */
  path?: string;
  /** The document's language (languages). */
  language?: string;
  /** The document's modification time, a date field (modifiedAfter). */
  modified?: string;
  /** The chunk's heading path as text (headingPath). */
  headingPath?: string;
  /** The object holding front-matter fields: field F is `<frontMatter>.F` (frontMatter). */
  frontMatter?: string;
}

export const FILTER_FIELD_NAMES: ReadonlyArray<keyof FilterFields> = ['path', 'language', 'modified', 'headingPath', 'frontMatter'];

export interface EngineFilter<T> {
  /** The engine's filter, or undefined when no part of the filter could be translated. */
  clause: T | undefined;
  /** Parts of the filter the engine does not apply, each with why (shown in the inspector, counted in runs). */
  gaps: string[];
}

/** A picomatch-style glob as an OpenSearch / Elasticsearch `wildcard` pattern; braces become several patterns. */
export function globToWildcards(glob: string): { patterns: string[]; problem?: string } {
  if (/[[\]]|^!|[@+!]\(/.test(glob)) return { patterns: [], problem: `glob "${glob}" uses a character class, negation or extglob, which a wildcard query cannot express` };
  const expand = (g: string): string[] => {
    const m = /\{([^{}]*)\}/.exec(g);
    if (!m) return [g];
    return m[1].split(',').flatMap((alt) => expand(g.slice(0, m.index) + alt + g.slice(m.index + m[0].length)));
  };
  // `**/` may match no folder at all (`docs/**/a.md` holds `docs/a.md`): both forms are kept.
  const noDeep = (g: string): string[] => (g.includes('**/') ? [...new Set([g.replace('**/', ''), ...noDeep(g.replace('**/', '*/'))])] : [g]);
  const patterns = [...new Set(expand(glob).flatMap(noDeep).map((g) => g.replace(/\*+/g, '*').replace(/\\/g, '\\\\')))];
  return { patterns };
}

/** A lone `*` matches within one folder in a glob but across folders in a wildcard query: the same only after `**`. */
function loneStarsExact(glob: string): boolean {
  const segments = glob.split('/');
  return segments.every((seg, i) => seg === '**' || !/(^|[^*])\*([^*]|$)/.test(seg) || (i > 0 && segments[i - 1] === '**'));
}

const lower = (values: Array<string | number | boolean>) => values.map((v) => String(v));

/** The engine's name for a filter field, or undefined with the gap recorded (`what`: how the engine calls it). */
function fieldNamer(fields: FilterFields, gaps: string[], what: string): (part: string, field: keyof FilterFields) => string | undefined {
  return (part, field) => {
    const f = fields[field];
    if (!f) gaps.push(`${part}: no filterFields.${field} names ${what}`);
    return f;
  };
}

/**
 * The filter as OpenSearch / Elasticsearch query DSL: `filter` and `must_not` clauses for a `bool` query. Globs become
 * `wildcard` queries (whose `*` also crosses `/`, so `docs/*.md` holds `docs/a/b.md` in the engine: stated as a gap);
 * languages and front-matter values `terms` queries (exact, case-sensitive keyword fields); modifiedAfter a `range`.
 */
export function elasticFilter(filter: MetadataFilter, fields: FilterFields): EngineFilter<{ filter: unknown[]; must_not: unknown[] }> {
  const clauses: unknown[] = [];
  const mustNot: unknown[] = [];
  const gaps: string[] = [];
  const need = fieldNamer(fields, gaps, 'the engine field');
  const globs = (list: string[], part: string): unknown[] => {
    const out: unknown[] = [];
    for (const g of list) {
      const w = globToWildcards(g);
      if (w.problem) gaps.push(`${part}: ${w.problem}`);
      else {
        if (!loneStarsExact(g)) gaps.push(`${part}: "${g}" — a single * also matches across folders in the engine's wildcard query`);
        out.push(...w.patterns.map((value) => ({ wildcard: { [fields.path as string]: { value } } })));
      }
    }
    return out;
  };
  if (filter.pathGlobs?.length && need('pathGlobs', 'path')) {
    const should = globs(filter.pathGlobs, 'pathGlobs');
    if (should.length) clauses.push({ bool: { should, minimum_should_match: 1 } });
  }
  if (filter.excludeGlobs?.length && need('excludeGlobs', 'path')) mustNot.push(...globs(filter.excludeGlobs, 'excludeGlobs'));
  if (filter.languages?.length && need('languages', 'language')) clauses.push({ terms: { [fields.language as string]: filter.languages } });
  for (const [field, wanted] of Object.entries(filter.frontMatter ?? {})) {
    if (!need(`frontMatter.${field}`, 'frontMatter')) continue;
    clauses.push({ terms: { [`${fields.frontMatter}.${field}`]: lower(Array.isArray(wanted) ? wanted : [wanted]) } });
  }
  if (filter.headingPath?.trim() && need('headingPath', 'headingPath')) clauses.push({ match_phrase: { [fields.headingPath as string]: filter.headingPath.trim() } });
  if (filter.modifiedAfter && need('modifiedAfter', 'modified')) clauses.push({ range: { [fields.modified as string]: { gte: filter.modifiedAfter } } });
  return { clause: clauses.length || mustNot.length ? { filter: clauses, must_not: mustNot } : undefined, gaps };
}

/**
 * The filter as a Qdrant filter (`must` / `must_not` conditions on payload keys): `match.any` for languages and
 * front-matter values, `datetime_range` for modifiedAfter, full-text `match.text` for the heading path. Qdrant has no
 * wildcard match, so path globs are a gap.
 */
export function qdrantFilter(filter: MetadataFilter, fields: FilterFields): EngineFilter<{ must: unknown[]; must_not: unknown[] }> {
  const must: unknown[] = [];
  const gaps: string[] = [];
  const need = fieldNamer(fields, gaps, 'the payload key');
  if (filter.pathGlobs?.length) gaps.push('pathGlobs: Qdrant has no wildcard match on payload values');
  if (filter.excludeGlobs?.length) gaps.push('excludeGlobs: Qdrant has no wildcard match on payload values');
  if (filter.languages?.length && need('languages', 'language')) must.push({ key: fields.language, match: { any: filter.languages } });
  for (const [field, wanted] of Object.entries(filter.frontMatter ?? {})) {
    if (need(`frontMatter.${field}`, 'frontMatter')) must.push({ key: `${fields.frontMatter}.${field}`, match: { any: lower(Array.isArray(wanted) ? wanted : [wanted]) } });
  }
  if (filter.headingPath?.trim() && need('headingPath', 'headingPath')) must.push({ key: fields.headingPath, match: { text: filter.headingPath.trim() } });
  if (filter.modifiedAfter && need('modifiedAfter', 'modified')) must.push({ key: fields.modified, datetime_range: { gte: filter.modifiedAfter } });
  return { clause: must.length ? { must, must_not: [] } : undefined, gaps };
}

/** Parts of `filter` present at all (for messages): e.g. ['pathGlobs', 'languages']. */
export function filterParts(filter: MetadataFilter | undefined): string[] {
  if (!filter || isEmptyFilter(filter)) return [];
  return Object.entries(filter)
    .filter(([, v]) => (Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : typeof v === 'string' ? v.trim() : v !== undefined))
    .map(([k]) => k);
}
