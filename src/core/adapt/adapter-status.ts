/** What the editor reports about the query adapter it applies; shown by the inspector and neighbourhood views. */
/** The query adapter retrievalLens.queryAdapter names, as the editor could load it for the current index. */
export interface AdapterStatus {
  /** The setting's value ("" = none). */
  setting: string;
  state: 'off' | 'ready' | 'error';
  /** The adapter's id when ready. */
  id?: string;
  /** Why it is off or refused (another model or dimension, a damaged folder, an untrusted workspace). */
  message?: string;
  /** The trial's dense gain when it was trained, e.g. "+0.033 nDCG@10 (95% CI …, p = …)". */
  trained?: string;
}
