import type { FailureCategory } from './diagnose-misses';

/** What a miss's category line needs (a Miss, or a view's copy of one). */
export interface CategoryOf {
  category: FailureCategory;
  verified: boolean;
  whatIf?: { variant: string; baseCategory: FailureCategory; baseVerified?: boolean };
}

/**
 * A miss's category as every view writes it. Without what-ifs it is the category alone ("exact-match", "ranking
 * (unverified)"); when a what-if index decided it, the refinement is named beside the category the index alone gives,
 * which is what the inspector, the Problems entry and the baseline show for the same miss:
 * "chunking — found by the what-if chunker sentence-window:…; without what-ifs: exact-match".
 */
export function categoryText(m: CategoryOf): string {
  const unverified = (v: boolean | undefined) => (v === false ? ' (unverified)' : '');
  const head = `${m.category}${unverified(m.verified)}`;
  if (!m.whatIf) return head;
  return `${head} — found by the what-if ${m.whatIf.variant}; without what-ifs: ${m.whatIf.baseCategory}${unverified(m.whatIf.baseVerified)}`;
}

/** Misses per category as the index alone decides them (a what-if refinement counted under its base category). */
export function baseCategoryOf(m: CategoryOf): FailureCategory {
  return m.whatIf?.baseCategory ?? m.category;
}
