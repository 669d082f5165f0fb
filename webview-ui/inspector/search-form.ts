import type { FusionConfig, MetadataFilter } from '../../src/protocol/inspector';
import type { PersistedState } from './api';

/** Form fields whose text can be invalid; each renders its own inline error. */
export type CheckedField = 'denseWeight' | 'rrfK' | 'modifiedAfter';
export const CHECKED_FIELDS: readonly CheckedField[] = ['denseWeight', 'rrfK', 'modifiedAfter'];

export interface SearchForm {
  filter?: MetadataFilter;
  /** Only what the user set; the host fills the rest from the workspace settings. */
  fusion?: Partial<FusionConfig>;
  errors: Partial<Record<CheckedField, string>>;
}

/** Which fusion fields apply: all of them while the method comes from the settings. */
export function fusionFieldsUsed(method: string): { weighted: boolean; rrf: boolean } {
  return { weighted: method !== 'rrf', rrf: method !== 'weighted' };
}

/**
 * Reads the filter and fusion overrides from the form. `badInput` names fields whose native input holds text the
 * browser could not parse (a half-typed date or number reads as ''), so they fail instead of counting as empty.
 */
export function readForm(s: PersistedState, badInput: ReadonlySet<CheckedField>): SearchForm {
  const errors: SearchForm['errors'] = {};
  const fusion: Partial<FusionConfig> = {};
  if (s.fusionMethod === 'weighted' || s.fusionMethod === 'rrf') fusion.method = s.fusionMethod;
  const used = fusionFieldsUsed(s.fusionMethod);
  if (used.weighted) {
    const w = parseNumber(s.fusionDenseWeight, badInput.has('denseWeight'));
    if (w !== undefined && !(w >= 0 && w <= 1)) errors.denseWeight = 'dense weight must be a number from 0 to 1';
    else if (w !== undefined) fusion.denseWeight = w;
    if (s.fusionNormalization === 'min-max' || s.fusionNormalization === 'z-score') fusion.normalization = s.fusionNormalization;
  }
  if (used.rrf) {
    const k = parseNumber(s.fusionRrfK, badInput.has('rrfK'));
    if (k !== undefined && !(k > 0)) errors.rrfK = 'RRF k must be a number greater than 0';
    else if (k !== undefined) fusion.rrfK = k;
  }
  const filter = readFilter(s);
  const date = s.filterModifiedAfter.trim();
  if (badInput.has('modifiedAfter')) errors.modifiedAfter = 'modified after: complete the date or clear it';
  else if (date && Number.isNaN(Date.parse(date))) errors.modifiedAfter = `modified after: "${date}" is not a date (use e.g. 2026-01-31)`;
  else if (date) filter.modifiedAfter = date;
  return { filter: Object.keys(filter).length ? filter : undefined, fusion: Object.keys(fusion).length ? fusion : undefined, errors };
}

function readFilter(s: PersistedState): MetadataFilter {
  const f: MetadataFilter = {};
  if (s.filterPath.trim()) f.pathGlobs = list(s.filterPath);
  if (s.filterLanguage.trim()) f.languages = list(s.filterLanguage);
  if (s.filterFrontMatter.trim()) {
    f.frontMatter = {};
    for (const pair of s.filterFrontMatter.split(',')) {
      const [key, ...rest] = pair.split('=');
      if (key?.trim() && rest.length) f.frontMatter[key.trim()] = rest.join('=').trim();
    }
  }
  if (s.filterHeadingPath.trim()) f.headingPath = s.filterHeadingPath.trim();
  return f;
}

function list(text: string): string[] {
  return text.split(',').map((x) => x.trim()).filter(Boolean);
}

/** undefined: left empty; NaN: not a number. */
function parseNumber(text: string, badInput: boolean): number | undefined {
  if (badInput) return NaN;
  return text.trim() ? Number(text) : undefined;
}
