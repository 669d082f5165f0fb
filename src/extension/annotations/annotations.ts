import * as vscode from 'vscode';
import type { Chunk, ChunkLint } from '../../core/chunking/chunk';
import { lintChunks } from '../../core/chunking/chunk-lints';
import { createChunker } from '../../core/chunking/chunker-registry';
import type { SourceDocument } from '../../core/corpus/document';
import type { EvalSetService } from '../eval-set/eval-set-service';
import { editorSwitch, readConfig } from '../config';
import type { IndexService } from '../indexing/index-service';
import type { InspectorController } from '../webviews/inspector/inspector-host';
import { missMessage } from '../../protocol/miss-line';
import { CHUNK_LEGEND, chunkLensTitle, chunkRanks } from './chunk-lens';
import { escapeThemeIcons, markdownCodeSpan, md, safeMarkdown } from '../safe-markdown';

interface DocAnnotations {
  chunks: Chunk[];
  lints: ChunkLint[];
  doc: SourceDocument;
}

/**
 * Chunk boundaries (alternating subtle backgrounds), a CodeLens and hover per chunk, labeled spans by grade, and
 * chunk lints plus failure categories of missed spans in the Problems panel. One toggle turns it all on or off.
 */
export class Annotations implements vscode.Disposable, vscode.CodeLensProvider, vscode.HoverProvider {
  private enabled: boolean;
  private cached: { key: string; value: DocAnnotations } | undefined;
  // Every other chunk faintly shaded in a colour of our own (package.json contributes.colors: a few percent of white
  // on dark themes, of black on light ones), the chunks between on the editor background: boundaries show without
  // the yellow of the word-highlight colour the shading used to borrow. The legend is in every chunk's hover.
  private readonly even = vscode.window.createTextEditorDecorationType({});
  private readonly odd = vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor('retrievalLens.chunkShading') });
  private readonly boundary = vscode.window.createTextEditorDecorationType({ borderColor: new vscode.ThemeColor('retrievalLens.chunkBoundary'), borderStyle: 'solid', borderWidth: '1px 0 0 0', isWholeLine: true });
  private readonly grades = [0, 1, 2, 3].map((g) =>
    vscode.window.createTextEditorDecorationType({
      borderStyle: 'solid',
      borderWidth: '0 0 2px 0',
      borderColor: new vscode.ThemeColor(g === 0 ? 'testing.iconFailed' : 'testing.iconPassed'),
      backgroundColor: g === 0 ? undefined : `rgba(80, 200, 120, ${0.08 * g})`,
      overviewRulerColor: new vscode.ThemeColor(g === 0 ? 'testing.iconFailed' : 'testing.iconPassed'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    }),
  );
  readonly diagnostics = vscode.languages.createDiagnosticCollection('retrievalLens');
  private readonly lensEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly indexService: IndexService,
    private readonly evalSet: EvalSetService,
    private readonly inspector: InspectorController,
  ) {
    this.enabled = editorSwitch('annotations');
    const selector: vscode.DocumentSelector = [{ scheme: 'file' }];
    this.disposables.push(
      this.even, this.odd, this.boundary, ...this.grades, this.diagnostics, this.lensEmitter,
      vscode.languages.registerCodeLensProvider(selector, this),
      vscode.languages.registerHoverProvider(selector, this),
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
      vscode.workspace.onDidSaveTextDocument(() => this.refresh()),
      indexService.onDidChange(() => this.refresh()),
      evalSet.onDidChange(() => this.refresh()),
      inspector.onDidSearch(() => this.refresh()),
    );
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  toggle(on = !this.enabled): void {
    this.enabled = on;
    this.refresh();
  }

  /** Chunks of a document as the index has them, or as the configured chunker cuts the editor's current text. */
  annotationsFor(document: vscode.TextDocument): DocAnnotations | undefined {
    const index = this.indexService.index;
    const rel = this.indexService.relPath(document.uri);
    if (!index || !rel) return undefined;
    // Hovers and CodeLens ask on every mouse move and scroll: chunking and linting run once per document version.
    const chunker = readConfig().chunker;
    const key = `${document.uri.toString()}\u0000${document.version}\u0000${index.manifest.updatedAt}\u0000${JSON.stringify(chunker)}`;
    if (this.cached?.key === key) return this.cached.value;
    const indexed = index.getDocument(rel);
    const current = this.indexService.documentFromEditor(document);
    if (!current) return undefined;
    const fresh = indexed && indexed.text === current.text;
    const doc = fresh ? indexed : current;
    const chunks = fresh ? index.chunksOf(rel) : createChunker(chunker).chunk(current);
    const maxTokens = index.embedder?.info.maxTokens || 512;
    const value = { chunks, doc, lints: lintChunks(doc, chunks, { maxTokens }) };
    this.cached = { key, value };
    return value;
  }

  refresh(): void {
    this.lensEmitter.fire();
    for (const editor of vscode.window.visibleTextEditors) this.decorate(editor);
    this.updateDiagnostics();
  }

  /** The decoration ranges for an editor (what decorate() applies; integration tests assert them). */
  decorationRanges(editor: vscode.TextEditor): { even: vscode.Range[]; odd: vscode.Range[]; boundaries: vscode.Range[]; grades: vscode.DecorationOptions[][] } | undefined {
    if (!this.enabled) return undefined;
    const a = this.annotationsFor(editor.document);
    if (!a) return undefined;
    const range = (s: number, e: number) => new vscode.Range(editor.document.positionAt(s), editor.document.positionAt(e));
    const labels = this.evalSet.labelsIn(a.doc.id, a.doc.text);
    return {
      even: a.chunks.filter((c) => c.ordinal % 2 === 0).map((c) => range(c.start, c.end)),
      odd: a.chunks.filter((c) => c.ordinal % 2 === 1).map((c) => range(c.start, c.end)),
      boundaries: a.chunks.slice(1).map((c) => range(c.start, c.start)),
      grades: [0, 1, 2, 3].map((g) =>
        labels.filter((l) => l.grade === g).map((l) => ({ range: range(l.start, l.end), hoverMessage: labelHover(l.grade, l.queryId, l.status === 'stale') })),
      ),
    };
  }

  private decorate(editor: vscode.TextEditor): void {
    const r = this.decorationRanges(editor);
    editor.setDecorations(this.even, r?.even ?? []);
    editor.setDecorations(this.odd, r?.odd ?? []);
    editor.setDecorations(this.boundary, r?.boundaries ?? []);
    this.grades.forEach((t, g) => editor.setDecorations(t, r?.grades[g] ?? []));
  }

  private updateDiagnostics(): void {
    this.diagnostics.clear();
    const index = this.indexService.index;
    const root = this.indexService.root;
    if (!this.enabled || !index || !root) return;
    const byUri = new Map<string, vscode.Diagnostic[]>();
    const push = (docId: string, d: vscode.Diagnostic) => {
      const list = byUri.get(docId) ?? [];
      list.push(d);
      byUri.set(docId, list);
    };
    for (const editor of vscode.window.visibleTextEditors) {
      const a = this.annotationsFor(editor.document);
      if (!a) continue;
      for (const l of a.lints) {
        const c = a.chunks.find((x) => x.id === l.chunkId);
        if (!c) continue;
        const d = new vscode.Diagnostic(new vscode.Range(editor.document.positionAt(c.start), editor.document.positionAt(Math.min(c.end, c.start + 200))), `chunk ${c.ordinal + 1}: ${l.kind}: ${l.message}`, vscode.DiagnosticSeverity.Information);
        d.source = 'Retrieval Lens';
        d.code = l.kind;
        push(a.doc.id, d);
      }
    }
    for (const m of this.inspector.lastView?.missed ?? []) {
      const doc = index.getDocument(m.docId);
      if (!doc) continue;
      const pos = (offset: number) => {
        const before = doc.text.slice(0, offset);
        const line = before.split('\n').length - 1;
        return new vscode.Position(line, offset - (before.lastIndexOf('\n') + 1));
      };
      const d = new vscode.Diagnostic(new vscode.Range(pos(m.start), pos(m.end)), missMessage(this.inspector.lastView?.query ?? '', m), vscode.DiagnosticSeverity.Warning);
      d.source = 'Retrieval Lens';
      d.code = m.category;
      push(m.docId, d);
    }
    for (const [docId, list] of byUri) this.diagnostics.set(vscode.Uri.joinPath(vscode.Uri.file(root), ...docId.split('/')), list);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.enabled) return [];
    const a = this.annotationsFor(document);
    if (!a) return [];
    const view = this.inspector.lastView;
    return a.chunks.map((c) => {
      const lints = a.lints.filter((l) => l.chunkId === c.id).map((l) => l.kind);
      const ranks = view ? chunkRanks(view, c.id) : [];
      const title = chunkLensTitle({ ordinal: c.ordinal, of: a.chunks.length, tokens: c.tokens, query: view?.query, ranks, lints });
      // A CodeLens title renders `$(name)` as an icon; retriever names and the query are text: shown as written.
      const tooltip = `Chunk ${c.id}${view ? `; ranks are for the inspector's last query "${view.query}" (top ${view.k})` : ''}. Open the Query Inspector.`;
      return new vscode.CodeLens(new vscode.Range(document.positionAt(c.start), document.positionAt(c.start)), { title: escapeThemeIcons(title), command: 'retrievalLens.openInspector', tooltip });
    });
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (!this.enabled) return undefined;
    const a = this.annotationsFor(document);
    const offset = document.offsetAt(position);
    const c = a?.chunks.find((x) => x.start <= offset && offset < x.end);
    if (!a || !c) return undefined;
    const lints = a.lints.filter((l) => l.chunkId === c.id);
    // Chunk ids, chunker names and lint messages are escaped text; headings quote the document and are shown as a
    // code span: `![](http://host/x.png)` or `[x](command:…)` is shown, never rendered, fetched or followed.
    const hover = safeMarkdown(
      md`**Chunk ${c.ordinal + 1} of ${a.chunks.length}** ${c.id}`,
      md`\n- chunker: ${c.chunker}`,
      md`\n- characters ${c.start}–${c.end} (${c.end - c.start}), ${c.tokens} tokens`,
      ...(c.headingPath.length ? [md`\n- section: ${markdownCodeSpan(c.headingPath.join(' › '))}`] : []),
      ...lints.map((l) => md`\n- ⚠ ${l.kind}: ${l.message}`),
      // The inspector's misses in this chunk, in the words of its miss line and the Problems entry (one diagnosis).
      ...(this.inspector.lastView?.missed ?? []).filter((m) => m.docId === a.doc.id && m.start < c.end && c.start < Math.max(m.end, m.start + 1)).map((m) => md`\n- ${missMessage(this.inspector.lastView?.query ?? '', m)}`),
      md`\n\n${CHUNK_LEGEND}`,
    );
    return new vscode.Hover(hover, new vscode.Range(document.positionAt(c.start), document.positionAt(c.end)));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The hover of a labeled span. A decoration's plain-string hoverMessage is rendered as Markdown, so it is a
 * MarkdownString whose query id (from the eval set file) is escaped text.
 */
export function labelHover(grade: number, queryId: string, stale: boolean): vscode.MarkdownString {
  return safeMarkdown(md`Retrieval Lens: labeled grade ${grade} for query ${queryId}${stale ? ' (stale: the quoted text is gone)' : ''}`);
}
