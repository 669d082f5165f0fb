import * as path from 'node:path';
import * as vscode from 'vscode';
import { levelSupport } from '../../core/eval/label-level';
import { diagnoseMisses } from '../../core/diagnose/diagnose-misses';
import type { EvalQuery } from '../../core/eval/evalset-types';
import { evaluateRetriever, type RetrieverEvaluationResult } from '../../core/eval/evaluate-retriever';
import type { DocumentIdRule } from '../../core/retrieve/retriever-config';
import { documentLookup, placeHits, type DocumentLookup } from '../../core/eval/hit-placement';
import type { MetadataFilter } from '../../core/retrieve/types';
import type { ExternalColumn } from '../../protocol/inspector';
import { compareRuns, type Comparison } from '../../core/eval/significance';
import type { WorkspaceIndex } from '../../core/index/workspace-index';
import type { RetrievalIndex } from '../../core/retrieve/searchable-index';
import { createExternalRetriever } from '../../core/retrieve/external-retrievers';
import { LocalRetriever } from '../../core/retrieve/local-retriever';
import { RECORDED_PREFIX, RecordedRetriever } from '../../core/eval/recorded-retriever';
import { recordedRunFile, recordedRunNames } from '../../core/eval/trace-store';
import { RetrieverError, unappliedFilter, type Retriever } from '../../core/retrieve/retriever';
import { destination, RetrieverConsent } from '../../core/retrieve/retriever-consent';
import type { SecretSource } from '../../core/io/secret-source';
import { nestedSettingName } from '../../core/settings/workspace-settings';
import { retrieversSetting } from '../config';
import { plainMessageText } from '../safe-markdown';

/** One configured retriever's line in the baseline view: scored, or why it was not contacted or failed. */
export interface ConfiguredRetrieverLine {
  name: string;
  destination: string;
  status: 'scored' | 'not contacted' | 'error';
  reason?: string;
  result?: RetrieverEvaluationResult;
  /** Paired against the local reference retriever on the same labeled spans. */
  vsLocal?: Comparison;
  /** How its hits become workspace documents. */
  documentId?: DocumentIdRule;
  /** Opens it again (consent was given) for what reads past the scored run: the readiness report's diagnosis. */
  open?: () => Retriever;
}

export interface ConfiguredRetrieversBaseline {
  /** The local retriever scored the same way (labeled spans), the reference of every line. */
  local: { name: string; result: RetrieverEvaluationResult };
  lines: ConfiguredRetrieverLine[];
}

const SECRET_PREFIX = 'retrievalLens.secret.';

/** Secrets named in settings come from the editor's secret storage only (set with "Retrieval Lens: Set Secret…"). */
export function editorSecrets(context: vscode.ExtensionContext): SecretSource {
  return {
    get: async (name) => context.secrets.get(`${SECRET_PREFIX}${name}`),
    describe: (name) => `run "Retrieval Lens: Set Secret…" and store ${name}`,
  };
}

export async function setSecret(context: vscode.ExtensionContext): Promise<void> {
  const name = await vscode.window.showInputBox({ title: 'Secret name (as in ${secret:NAME}, passwordSecret or apiKeySecret)', validateInput: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'letters, digits and _') });
  if (!name) return;
  const value = await vscode.window.showInputBox({ title: `Value of ${name}`, password: true, ignoreFocusOut: true });
  if (value === undefined) return;
  await context.secrets.store(`${SECRET_PREFIX}${name}`, value);
  void vscode.window.showInformationMessage(plainMessageText(`Retrieval Lens: secret ${name} stored in the editor's secret storage.`));
}

/** Retrievers the user declined in this window: the inspector, baseline and queue do not ask again until a reload. */
const declinedThisSession = new Set<string>();

/**
 * The consent gate as the editor asks it: a modal naming what is sent where, answers kept in user storage
 * (globalState, never the workspace), refusals remembered for the window.
 */
export function editorConsent(context: vscode.ExtensionContext, question: (name: string, destination: string) => string, detail: string): RetrieverConsent {
  return new RetrieverConsent({
    isTrusted: () => vscode.workspace.isTrusted,
    store: { get: (key) => context.globalState.get(key), set: (key, v) => context.globalState.update(key, v) },
    ask: async (name, dest) => (await vscode.window.showWarningMessage(plainMessageText(question(name, dest)), { modal: true, detail }, 'Allow')) === 'Allow',
    declined: declinedThisSession,
  });
}

/** A retriever of retrievalLens.retrievers the user may (or may not yet) be sent queries to. */
interface ConfiguredEntry {
  line: ConfiguredRetrieverLine;
  documentId?: DocumentIdRule;
  /** Undefined when nothing may be contacted (untrusted workspace, consent refused): the line says why. */
  open?: () => Retriever;
}

/**
 * The workspace's configured retrievers, validated (problems become error lines), each behind the consent gate: a
 * retriever is opened only when the workspace is trusted and the user confirmed that retriever (RetrieverConsent).
 * Undefined when none is configured.
 */
async function configuredRetrievers(context: vscode.ExtensionContext, index: RetrievalIndex, log: vscode.LogOutputChannel, purpose: string): Promise<{ problems: ConfiguredRetrieverLine[]; entries: ConfiguredEntry[] } | undefined> {
  const configured = retrieversSetting();
  if (!configured) return undefined;
  const { endpoints, retrievers: checked } = configured;
  const problems: ConfiguredRetrieverLine[] = [];
  for (const p of [...endpoints.problems.map((x) => ({ ...x, key: 'embeddingEndpoints' as const })), ...checked.problems.map((x) => ({ ...x, key: 'retrievers' as const }))]) {
    const message = `${nestedSettingName(p.key, p.path)} ${p.problem}`;
    log.warn(message);
    if (p.key === 'retrievers' && typeof p.path[0] === 'string' && !problems.some((l) => l.name === p.path[0])) problems.push({ name: p.path[0], destination: '', status: 'error', reason: message });
  }
  const consent = editorConsent(context, (name, dest) => `Retrieval Lens: the workspace settings name the retriever "${name}". Send your ${purpose} to ${dest}?`, 'Only the query texts (and query vectors) are sent; secrets come from your secret storage. You are asked again if its settings change.');
  const entries: ConfiguredEntry[] = [];
  for (const [name, config] of Object.entries(checked.retrievers)) {
    const endpoint = config.embeddingModel && config.embeddingModel !== 'local' ? endpoints.endpoints[config.embeddingModel] : undefined;
    const line: ConfiguredRetrieverLine = { name, destination: destination(config, endpoint), status: 'not contacted' };
    const d = await consent.check(name, config, endpoint);
    if (!d.allowed) {
      line.reason = d.reason;
      entries.push({ line });
      continue;
    }
    const open = () =>
      createExternalRetriever(name, { retrievers: checked.retrievers, embeddingEndpoints: endpoints.endpoints }, {
        secrets: editorSecrets(context),
        localQueryEmbedder: index.embedder ? (q, signal) => index.embedQuery(q, signal) : undefined,
      });
    entries.push({ line, documentId: config.documentId, open });
  }
  return { problems, entries };
}

/** The workspace's recorded runs (`trace:<name>`) as lines like any configured retriever's: nothing is contacted. */
function recordedEntries(root: string): ConfiguredEntry[] {
  return recordedRunNames(root).map((bare) => {
    const name = RECORDED_PREFIX + bare;
    const file = path.relative(root, recordedRunFile(root, bare));
    const line: ConfiguredRetrieverLine = { name, destination: `recorded run ${file} (nothing contacted)`, status: 'not contacted' };
    const open = () => RecordedRetriever.open(root, name);
    let documentId: DocumentIdRule | undefined;
    try {
      documentId = open().config.documentId;
    } catch (err) {
      line.status = 'error';
      line.reason = err instanceof Error ? err.message : String(err);
      return { line };
    }
    return { line, documentId, open };
  });
}

/** Hits asked of a configured retriever for a labeled query in the inspector (K shown, the rest for its misses). */
const MISS_DEPTH = 30;

/**
 * One Query Inspector column per configured retriever, then per recorded run picked (`trace:<name>`): its top K
 * placed in the workspace (offsets, exact or fuzzy text, document only, or unplaced — shown, never dropped), or why
 * it was not contacted or failed. Consent-gated like the baseline: nothing is sent unless the workspace is trusted and
 * the user allowed that retriever (a recording contacts nothing). Undefined when there is no column.
 */
export async function configuredColumns(context: vscode.ExtensionContext, index: WorkspaceIndex, query: string, k: number, filter: MetadataFilter | undefined, log: vscode.LogOutputChannel, labeled?: EvalQuery, recorded: { root?: string; names: readonly string[] } = { names: [] }): Promise<ExternalColumn[] | undefined> {
  const found = await configuredRetrievers(context, index, log, 'inspector queries');
  if (!found && !recorded.names.length) return undefined;
  const columns: ExternalColumn[] = (found?.problems ?? []).map((l) => ({ name: l.name, kind: '', destination: l.destination, status: 'error', reason: l.reason, hits: [], notes: [] }));
  const docs = documentLookup(index.documents());
  for (const e of found?.entries ?? []) {
    if (!e.open) columns.push({ name: e.line.name, kind: '', destination: e.line.destination, status: 'not contacted', reason: e.line.reason, hits: [], notes: [] });
    else columns.push(await retrieverColumn(e.open(), e.line.destination, index, docs, { query, k, filter, labeled, documentId: e.documentId }, log));
  }
  for (const name of recorded.names) {
    let retriever: RecordedRetriever;
    try {
      if (!recorded.root) throw new Error('open a folder: recorded runs live in the workspace');
      retriever = RecordedRetriever.open(recorded.root, name);
    } catch (err) {
      columns.push({ name, kind: 'recorded', destination: '', status: 'error', reason: err instanceof Error ? err.message : String(err), hits: [], notes: [] });
      continue;
    }
    columns.push(await retrieverColumn(retriever, `recorded run ${retriever.endpoint} (nothing contacted)`, index, docs, { query, k, filter, labeled, documentId: retriever.config.documentId }, log));
  }
  return columns;
}

/**
 * Any Retriever as an inspector column: its top K placed in the workspace and, for a labeled query, the one miss
 * diagnosis over the hits just fetched (read deeper than K so a span found below K is told apart from one never
 * returned), with what cannot be told for it named. The retriever is disposed after.
 */
async function retrieverColumn(
  retriever: Retriever,
  destination: string,
  index: WorkspaceIndex,
  docs: DocumentLookup,
  q: { query: string; k: number; filter: MetadataFilter | undefined; labeled?: EvalQuery; documentId?: DocumentIdRule },
  log: vscode.LogOutputChannel,
): Promise<ExternalColumn> {
  const { query, k, filter, labeled } = q;
  const col: ExternalColumn = { name: retriever.name, kind: retriever.kind, destination, status: 'not contacted', hits: [], notes: [] };
  for (const gap of unappliedFilter(retriever, filter)) col.notes.push(`metadata filter not applied: ${gap}`);
  try {
    const depth = labeled ? Math.max(k, MISS_DEPTH) : k;
    const hits = await retriever.search(query, depth, { filter: retriever.capabilities.filters ? filter : undefined });
    col.status = 'ok';
    const placed = placeHits(hits, docs, q.documentId);
    const uncomputed: string[] = [];
    if (labeled) {
      // The one diagnosis over the hits just fetched, the index's legs as the what-ifs.
      const d = await diagnoseMisses(
        { index, queries: [{ ...labeled, split: 'eval', filter }], variants: [], retriever, documentId: q.documentId, fetched: { hits: new Map([[labeled.id, hits]]), depth } },
        { k, candidates: depth, split: 'eval' },
      );
      col.missed = d.misses.map((m) => ({ docId: m.docId, start: m.start, end: m.end, grade: m.grade, category: m.category, evidence: m.evidence, quote: index.getDocument(m.docId)?.text.slice(m.start, Math.min(m.end, m.start + 300)) ?? '' }));
      uncomputed.push(...d.uncomputed.map((u) => `not computable: ${u.category}: ${u.why}`));
    }
    col.hits = placed.slice(0, k).map((p) => ({
      rank: p.hit.rank,
      score: p.hit.score,
      id: p.hit.id,
      docId: p.docId,
      path: p.hit.path,
      start: p.start,
      end: p.end,
      placement: p.placement,
      reason: p.reason,
      preview: (p.hit.text ?? '').slice(0, 400),
    }));
    const unplaced = col.hits.filter((h) => h.placement === 'unplaced').length;
    if (unplaced) col.notes.push(`${unplaced} of ${col.hits.length} hits map to no workspace document`);
    col.notes.push(...uncomputed);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (retriever.kind === 'recorded' && err instanceof RetrieverError) {
      // Nothing was contacted: the recording holds no answer for this query.
      col.status = 'not contacted';
      col.reason = `not in the recording: ${err.problem}`;
    } else {
      col.status = 'error';
      col.reason = message;
      log.warn(`inspector: ${message}`);
    }
  } finally {
    await retriever.dispose?.();
  }
  return col;
}

/**
 * The configured retrievers the user agreed to, opened for the pooled judging queue (which disposes them after its
 * pass); retrievers not contacted are logged with why, never silently left out.
 */
/** A retriever of the pooled judging queue, with the rule that places its hits on workspace documents. */
export interface PooledRetriever {
  retriever: Retriever;
  documentId?: DocumentIdRule;
}

export async function configuredPoolRetrievers(context: vscode.ExtensionContext, index: RetrievalIndex, log: vscode.LogOutputChannel, root?: string): Promise<PooledRetriever[]> {
  const found = await configuredRetrievers(context, index, log, 'queries for pooled judging');
  const out: PooledRetriever[] = [];
  // Recorded production runs pool what production served to the queries it recorded (nothing is contacted).
  for (const e of [...(found?.entries ?? []), ...(root ? recordedEntries(root) : [])]) {
    if (!e.open) log.info(`judging queue: retriever "${e.line.name}" not pooled: ${e.line.reason}`);
    else out.push({ retriever: e.open(), documentId: e.documentId });
  }
  return out;
}

/**
 * Scores each retriever of retrievalLens.retrievers on the eval split beside the local one, at the level the labels
 * support. Nothing is contacted unless the workspace is trusted and the user confirmed that retriever
 * (RetrieverConsent); otherwise the line says why. Undefined when none is configured.
 */
export async function evaluateConfiguredRetrievers(
  context: vscode.ExtensionContext,
  index: WorkspaceIndex,
  queries: EvalQuery[],
  k: number,
  log: vscode.LogOutputChannel,
  run: { signal?: AbortSignal; progress?: (message: string) => void; root?: string } = {},
): Promise<ConfiguredRetrieversBaseline | undefined> {
  const found = await configuredRetrievers(context, index, log, 'eval queries');
  const recorded = run.root ? recordedEntries(run.root) : [];
  if (!found && !recorded.length) return undefined;
  const lines: ConfiguredRetrieverLine[] = [...(found?.problems ?? [])];
  const opts = { level: levelSupport(queries, 'eval').levels[0] ?? ('doc' as const), cutoffs: [k, 10], split: 'eval' as const };
  const localName = index.embedder ? 'hybrid' : 'keyword';
  const local = { name: localName, result: await evaluateRetriever(new LocalRetriever(index, localName), index.documents(), queries, opts) };
  for (const e of [...(found?.entries ?? []), ...recorded]) {
    const line = e.line;
    lines.push(line);
    if (!e.open) continue;
    const retriever = e.open();
    try {
      const result = await evaluateRetriever(retriever, index.documents(), queries, {
        ...opts,
        documentId: e.documentId,
        signal: run.signal,
        onProgress: (done, total) => run.progress?.(`${e.line.name}: ${done}/${total} queries`),
      });
      for (const f of result.failures) log.warn(f.error);
      if (result.failures.length && !result.metrics.all.num_q) {
        line.status = 'error';
        line.reason = result.failures[0].error;
        continue;
      }
      line.status = 'scored';
      line.result = result;
      line.documentId = e.documentId;
      line.open = e.open;
      const paired = Object.fromEntries(Object.entries(local.result.metrics.perQuery).filter(([q]) => q in result.metrics.perQuery));
      line.vsLocal = compareRuns(paired, result.metrics.perQuery, 'ndcg_cut_10');
    } catch (err) {
      // Cancelled by the user: stop here, no half-scored line.
      if (run.signal?.aborted) throw err;
      line.status = 'error';
      line.reason = err instanceof Error ? err.message : String(err);
    } finally {
      await retriever.dispose?.();
    }
  }
  return { local, lines };
}
