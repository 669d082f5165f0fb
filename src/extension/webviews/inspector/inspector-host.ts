import type { EvalQuery } from '../../../core/eval/evalset-types';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { relevantChunks } from '../../../core/eval/chunk-relevance';
import type { Grade } from '../../../core/eval/evalset-types';
import type { WorkspaceIndex } from '../../../core/index/workspace-index';
import { recordedRunNames } from '../../../core/eval/trace-store';
import { RECORDED_PREFIX } from '../../../core/eval/recorded-retriever';
import { RETRIEVERS, type MetadataFilter } from '../../../core/retrieve/types';
import type { ExternalColumn, HostInfo, InitState, MissedSpan, SearchParams, SearchView } from '../../../protocol/inspector';
import type { SearchHit } from '../../../core/retrieve/types';
import type { AdapterService } from '../../adapt/adapter-service';
import type { EvalSetService } from '../../eval-set/eval-set-service';
import { readConfig } from '../../config';
import type { IndexService } from '../../indexing/index-service';
import type { InspectorHandlers } from './inspector-panel';
import { diagnosisSettings, MissDiagnoses } from '../../diagnosis/miss-diagnoses';
import { normaliseQuery } from '../../../protocol/miss-line';
import { checkSearch, labelOf, missBaseline, missedSpans, ResultRows, timings } from './inspector-model';
import { documentColumn } from '../result-column';

/** The configured external retrievers' columns for one query (consent-gated by the provider); undefined when none. */
/** `labeled`: the eval-set query being inspected, when it has judgments (each column then lists its misses); `recorded`: the trace runs picked. */
export type ExternalColumns = (index: WorkspaceIndex, query: string, k: number, filter: MetadataFilter | undefined, labeled?: EvalQuery, recorded?: readonly string[]) => Promise<ExternalColumn[] | undefined>;

export class InspectorController {
  /** The last search, so annotations can show the rank of each chunk for the current query. */
  lastView: SearchView | undefined;
  private readonly emitter = new vscode.EventEmitter<SearchView>();
  readonly onDidSearch = this.emitter.event;

  constructor(
    private readonly indexService: IndexService,
    private readonly evalSet: EvalSetService,
    private readonly hostInfo: () => HostInfo,
    private readonly externalColumns?: ExternalColumns,
    private readonly adapters?: AdapterService,
    /** `retriever`: an external column's name, to draw the neighbourhood through it instead of the local dense one. */
    private readonly openNeighbourhood?: (query: string, queryId: string | undefined, retriever?: string) => Promise<void>,
    private readonly diagnoses: MissDiagnoses = new MissDiagnoses(),
  ) {}

  /** The workspace's recorded production runs, as the columns they can be picked as (`trace:<name>`). */
  recordedRuns(): string[] {
    return this.indexService.root ? recordedRunNames(this.indexService.root).map((n) => RECORDED_PREFIX + n) : [];
  }

  handlers(): InspectorHandlers {
    return {
      ready: () => ({
        host: this.hostInfo(),
        index: this.indexService.getStatus(),
        evalQueries: this.evalSet.queries().map((q) => ({ id: q.id, text: q.text, split: q.split })),
        activeQueryId: this.evalSet.activeQueryId,
        retrievers: [...RETRIEVERS],
        adapter: this.adapterStatus(),
        recorded: this.recordedRuns(),
      }),
      search: (p) => this.search(p),
      reveal: async ({ docId, start, end }) => {
        await revealSpan(this.indexService, String(docId), Number(start), Number(end));
      },
      label: ({ queryId, queryText, docId, start, end, grade }) => {
        if (![0, 1, 2, 3].includes(grade)) throw new Error('grade must be 0 to 3');
        const doc = this.indexService.index?.getDocument(docId);
        if (!doc) throw new Error(`${docId} is not indexed`);
        const id = this.evalSet.ensureQuery(queryText, queryId);
        this.evalSet.label(id, docId, doc.text, start, end, grade as Grade);
        return { queryId: id };
      },
      buildIndex: async () => {
        await this.indexService.build();
      },
      neighbourhood: async ({ query, queryId, retriever }) => {
        if (!this.openNeighbourhood) throw new Error('the neighbourhood view is not available');
        await this.openNeighbourhood(query, queryId, retriever);
      },
    };
  }

  /** The configured query adapter as it loads for the current index. */
  adapterStatus(): NonNullable<InitState['adapter']> {
    return this.adapters?.load(this.indexService.index).status ?? { setting: '', state: 'off', message: 'query adapters are not available' };
  }

  async search(p: SearchParams): Promise<SearchView> {
    checkSearch(p);
    const index = await this.indexService.ensureIndex();
    if (!index) throw new Error('no index: open a folder and run "Retrieval Lens: Build Index"');
    const cfg = readConfig();
    const evalQuery = p.queryId ? this.evalSet.queries().find((q) => q.id === p.queryId) : undefined;
    if (p.queryId) this.evalSet.setActive(p.queryId);
    const judgments = evalQuery?.judgments ?? [];
    const labeledChunks = judgments.filter((j) => j.grade >= 1).flatMap((j) => relevantChunks(index, j).map((c) => c.id));
    const depth = Math.max(100, p.k);
    const r = await index.search({ query: p.query, k: depth, retrievers: p.retrievers, filter: p.filter ?? evalQuery?.filter, fusion: p.fusion, locate: labeledChunks });
    const judged = (docId: string, start: number, end: number) => labelOf(judgments, docId, start, end);
    const rows = new ResultRows(r.results, p.retrievers, p.k, (id) => index.getChunk(id), judgments);
    const toRows = (hits: SearchHit[]) => rows.rows(hits);
    const columns: SearchView['columns'] = {};
    for (const name of p.retrievers) {
      const hits = r.results[name];
      if (hits) columns[name] = toRows(hits);
    }
    // Dense (and hybrid) again with the query adapter: the same query, only its vector mapped by W.
    let adapted: SearchView['adapted'];
    let adapterError: string | undefined;
    let adapterMs: number | undefined;
    if (p.adapter) {
      const loaded = this.adapters?.load(index);
      const legs = (['dense', 'hybrid'] as const).filter((x) => p.retrievers.includes(x));
      if (!loaded?.adapter) adapterError = loaded?.status.message ?? 'no query adapter';
      else if (!legs.length) adapterError = 'tick Dense or Hybrid to compare them with the adapter';
      else {
        const t = performance.now();
        const ra = await index.search({ query: p.query, k: p.k, retrievers: [...legs], filter: p.filter ?? evalQuery?.filter, fusion: p.fusion, queryTransform: loaded.adapter });
        adapterMs = performance.now() - t;
        adapted = { adapterId: loaded.adapter.id, columns: {} };
        for (const leg of legs) {
          const hits = ra.results[leg];
          if (hits) adapted.columns[leg] = toRows(hits);
          else if (ra.errors[leg]) adapterError = ra.errors[leg];
        }
      }
    }
    let missed: MissedSpan[] = [];
    if (evalQuery) {
      // The one diagnosis every view reads (MissDiagnoses): the eval query as stored when the typed text is its text
      // (case and spacing aside), so the miss line, the cards and the Problems entries say what the baseline and the
      // report say about the same miss; another text, filter or k is another question, diagnosed (and cached) alike.
      const text = normaliseQuery(p.query) === normaliseQuery(evalQuery.text) ? evalQuery.text : p.query;
      const question: EvalQuery = { ...evalQuery, text, filter: p.filter ?? evalQuery.filter };
      const settings = diagnosisSettings({ topK: p.k, include: cfg.include, exclude: cfg.exclude }, this.indexService.root, !!index.embedder, missBaseline(p.retrievers, !!index.embedder));
      const diagnosis = await this.diagnoses.diagnose(index, [question], settings);
      missed = missedSpans(evalQuery, diagnosis.misses, p.retrievers);
    }
    const timingsMs = timings(r.timingsMs);
    if (adapterMs !== undefined) timingsMs.adapter = adapterMs;
    let external: ExternalColumn[] | undefined;
    if (this.externalColumns) {
      const t = performance.now();
      external = await this.externalColumns(index, p.query, p.k, p.filter ?? evalQuery?.filter, evalQuery?.judgments.length ? { ...evalQuery, text: p.query } : undefined, p.recorded ?? []);
      if (external) {
        for (const col of external) for (const h of col.hits) {
          if (h.docId === null) continue;
          const doc = h.start !== undefined && h.end !== undefined ? undefined : index.getDocument(h.docId);
          h.label = judged(h.docId, h.start ?? 0, h.end ?? doc?.text.length ?? 0);
        }
        timingsMs.external = performance.now() - t;
      }
    }
    const view: SearchView = { query: p.query, queryId: evalQuery?.id, k: p.k, columns, errors: r.errors, missed, filterRemoved: r.filter.removedChunks, fusion: r.config.fusion, timingsMs, ...(external ? { external } : {}), ...(adapted ? { adapted } : {}), ...(adapterError ? { adapterError } : {}) };
    this.lastView = view;
    this.emitter.fire(view);
    return view;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** Opens the document and selects [start, end) of its text (offsets are the index's, i.e. the file's characters). */
export async function revealSpan(indexService: IndexService, docId: string, start: number, end: number): Promise<vscode.TextEditor | undefined> {
  const root = indexService.root;
  if (!root) return undefined;
  const uri = vscode.Uri.file(path.join(root, ...docId.split('/')));
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: documentColumn(), preserveFocus: false });
  const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
  return editor;
}
