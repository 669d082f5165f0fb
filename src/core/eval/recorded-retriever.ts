import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DocumentIdRule } from '../retrieve/retriever-config';
import { looseKey, matchKey } from './query-log';
import { readRecordedRun, recordedRunFile, recordedRunNames, type RecordedRun, type RecordedTrace } from './trace-store';
import { RetrieverError, type RetrievedHit, type Retriever, type RetrieverCapabilities } from '../retrieve/retriever';

/** `trace:<name>` names a recorded production run. */
export const RECORDED_PREFIX = 'trace:';

export function isRecordedName(name: string): boolean {
  return name.startsWith(RECORDED_PREFIX);
}

/**
 * Replays a recorded production run (trace-store.ts): for a query it answers the passages production served to
 * the trace that asked it — found by the query's match key, else its loose key (the keys the import grouped queries
 * by, near-duplicates under their representative). When several traces asked it, the latest (by timestamp, then by
 * order in the run) is replayed. A query no trace asked fails with a RetrieverError, so it is listed and left out of
 * the metrics like any query an engine cannot answer. Nothing is contacted: evaluation, metrics and hit placement are
 * those of any external retriever.
 */
export class RecordedRetriever implements Retriever {
  readonly kind = 'recorded' as const;
  readonly capabilities: RetrieverCapabilities = { filters: false, returnsText: true, needsQueryVector: false, concurrency: 8 };
  /** How hit ids become workspace documents: the run's rule (import-traces --document-id-*), else the path when the trace gave one, else the id. */
  readonly config: { documentId?: DocumentIdRule };
  private readonly byKey = new Map<string, RecordedTrace>();
  private readonly byLoose = new Map<string, RecordedTrace>();
  private readonly byQueryId = new Map<string, RecordedTrace>();

  constructor(
    readonly name: string,
    readonly run: RecordedRun,
    /** Where the run is stored (shown where an engine's URL would be). */
    readonly endpoint: string,
  ) {
    this.config = run.header.documentId ? { documentId: run.header.documentId } : {};
    const order = run.traces.map((t, i) => ({ t, i })).sort((a, b) => ((a.t.timestamp ?? '') < (b.t.timestamp ?? '') ? -1 : (a.t.timestamp ?? '') > (b.t.timestamp ?? '') ? 1 : a.i - b.i));
    // Later traces overwrite earlier ones: the latest wins.
    for (const { t } of order) {
      for (const k of [t.queryKey, matchKey(t.query)]) this.byKey.set(k, t);
      for (const k of [looseKey(t.queryKey), looseKey(t.query)]) if (k) this.byLoose.set(k, t);
      if (t.queryId) this.byQueryId.set(t.queryId, t);
    }
  }

  /** The run `trace:<name>` of a workspace; an unknown name is an error listing the recorded ones. */
  static open(workspace: string, name: string): RecordedRetriever {
    const bare = name.startsWith(RECORDED_PREFIX) ? name.slice(RECORDED_PREFIX.length) : name;
    const file = recordedRunFile(workspace, bare);
    if (!fs.existsSync(file)) {
      const known = recordedRunNames(workspace);
      throw new Error(`no recorded run "${bare}" in ${path.join(workspace, '.retrieval-lens', 'traces')}${known.length ? ` (recorded: ${known.map((n) => RECORDED_PREFIX + n).join(', ')})` : ' (import one with import-traces)'}`);
    }
    return new RecordedRetriever(RECORDED_PREFIX + bare, readRecordedRun(file), path.relative(workspace, file) || file);
  }

  /** The trace replayed for a query text (match key, else loose key), or for an eval-set query id. */
  traceFor(query: string, queryId?: string): RecordedTrace | undefined {
    return this.byKey.get(matchKey(query)) ?? (looseKey(query) ? this.byLoose.get(looseKey(query)) : undefined) ?? (queryId ? this.byQueryId.get(queryId) : undefined);
  }

  async search(query: string, k: number): Promise<RetrievedHit[]> {
    const t = this.traceFor(query);
    if (!t) throw new RetrieverError(this.name, query, this.endpoint, 'no recorded trace asked this query');
    const n = t.documents.length;
    // Ranks are the trace's order; a passage without a recorded score gets a stand-in that keeps that order.
    return t.documents.slice(0, k).map((d, i) => ({
      rank: i + 1,
      score: d.score ?? n - i,
      id: d.id ?? d.path ?? `${t.traceId}#${d.rank}`,
      ...(d.path !== undefined ? { path: d.path } : {}),
      ...(d.text !== undefined ? { text: d.text } : {}),
    }));
  }
}
