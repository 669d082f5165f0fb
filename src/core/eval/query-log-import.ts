import { EvalSetFile } from './evalset-file';
import { planQueryLogImport, type QueryLogImportOptions, type QueryLogImportSummary } from './query-log';

/**
 * Imports a query log into a workspace's eval set: new queries are appended through EvalSetFile (atomic write, other
 * lines byte for byte); existing queries are never changed. Nothing is written when nothing is added.
 */
export async function importQueryLog(evalSet: EvalSetFile, file: string, options: QueryLogImportOptions = {}): Promise<QueryLogImportSummary> {
  const summary = await planQueryLogImport(file, evalSet.all(), options);
  for (const q of summary.added) evalSet.upsert(q);
  if (summary.added.length) evalSet.save();
  return summary;
}
