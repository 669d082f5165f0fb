import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RetrievalLensApi } from '../../src/extension/extension';

const root = () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath as string;

async function api(): Promise<RetrievalLensApi> {
  const ext = vscode.extensions.getExtension<RetrievalLensApi>('retrieval-lens.retrieval-lens');
  assert.ok(ext);
  return ext.activate();
}

describe('indexing, annotations, labels and diagnostics in the extension host', () => {
  it('builds the index on command and reports it', async () => {
    const a = await api();
    const t0 = Date.now();
    await vscode.commands.executeCommand('retrievalLens.buildIndex');
    const s = a.indexService.getStatus();
    console.log(`indexed ${s.documents} documents, ${s.chunks} chunks with ${s.model} in ${Date.now() - t0} ms`);
    assert.equal(s.state, 'ready');
    assert.ok(s.documents >= 20, `${s.documents} documents`);
    assert.equal(s.model, 'use-lite');
    assert.ok(!a.indexService.index?.getDocument('archive/v1-migration.md'), 'excluded by the workspace setting');
  });

  it('decorates chunk boundaries of the open document with the index chunk ranges', async () => {
    const a = await api();
    const doc = await vscode.workspace.openTextDocument(path.join(root(), 'docs/guides/retries.md'));
    const editor = await vscode.window.showTextDocument(doc);
    const r = a.annotations.decorationRanges(editor);
    assert.ok(r);
    const chunks = a.indexService.index?.chunksOf('docs/guides/retries.md') ?? [];
    assert.ok(chunks.length >= 3);
    assert.deepEqual(r.even.map((x) => [doc.offsetAt(x.start), doc.offsetAt(x.end)]), chunks.filter((c) => c.ordinal % 2 === 0).map((c) => [c.start, c.end]));
    assert.equal(r.even.length + r.odd.length, chunks.length);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)).filter((l) => l.command?.title.startsWith('chunk '));
    assert.equal(lenses.length, chunks.length);
    assert.match(lenses[0].command?.title ?? '', /^chunk 1\/\d+ · \d+ tokens/);
    assert.equal(lenses[1].range.start.line, doc.positionAt(chunks[1].start).line);
    a.annotations.toggle(false);
    assert.equal(a.annotations.decorationRanges(editor), undefined, 'toggle turns annotations off');
    a.annotations.toggle(true);
  });

  it('labels a selection: the eval set file changes atomically and the span is decorated by grade', async () => {
    const a = await api();
    const doc = await vscode.workspace.openTextDocument(path.join(root(), 'docs/guides/batching.md'));
    const editor = await vscode.window.showTextDocument(doc);
    const text = doc.getText();
    const quote = 'Batches are compressed with zstd when they exceed 4 KiB.';
    const start = text.indexOf(quote);
    const id = a.evalSet.ensureQuery('when are batches compressed');
    a.evalSet.label(id, 'docs/guides/batching.md', text, start, start + quote.length, 2);
    const saved = fs.readFileSync(path.join(root(), '.retrieval-lens/evalset.jsonl'), 'utf8');
    assert.ok(saved.includes('"exact":"Batches are compressed with zstd when they exceed 4 KiB."'));
    const r = a.annotations.decorationRanges(editor);
    assert.deepEqual(r?.grades[2].map((d) => [doc.offsetAt(d.range.start), doc.offsetAt(d.range.end)]), [[start, start + quote.length]]);
  });

  it('puts chunk lints and failure categories of missed spans in the Problems panel', async () => {
    const a = await api();
    const view = await a.inspector.search({ query: 'QS-4091', queryId: 'qs-4091', k: 5, retrievers: ['dense'] });
    assert.equal(view.missed.length, 1);
    assert.equal(view.missed[0].category, 'exact-match');
    const uri = vscode.Uri.file(path.join(root(), 'docs/troubleshooting/error-codes.md'));
    await vscode.window.showTextDocument(uri);
    a.annotations.refresh();
    const diags = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Retrieval Lens');
    const miss = diags.find((d) => d.code === 'exact-match');
    assert.ok(miss, 'a diagnostic for the missed span');
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.getText(miss.range), view.missed[0].quote);
    assert.equal(miss.severity, vscode.DiagnosticSeverity.Warning);
  });

  it('runs the baseline over the eval split with several retrievers', async () => {
    const result = await vscode.commands.executeCommand<{ queries: number; runs: Array<{ retriever: string; result: { metrics: { all: Record<string, number> } } }> }>('retrievalLens.runBaseline', ['keyword', 'dense', 'hybrid']);
    assert.ok(result.queries >= 20);
    const ndcg = Object.fromEntries(result.runs.map((r) => [r.retriever, r.result.metrics.all.ndcg_cut_10]));
    console.log(`baseline nDCG@10: ${JSON.stringify(ndcg)}`);
    assert.ok(ndcg.hybrid > ndcg.dense);
  });

  it("applies the workspace's fusion settings to the loaded index at once, and asks for a rebuild when index settings change", async () => {
    const a = await api();
    const index = a.indexService.index;
    assert.ok(index);
    const config = vscode.workspace.getConfiguration('retrievalLens');
    const changed = () => new Promise<void>((resolve) => {
      const d = vscode.workspace.onDidChangeConfiguration(() => setTimeout(() => { d.dispose(); resolve(); }, 50));
    });
    try {
      let c = changed();
      await config.update('fusion', 'rrf', vscode.ConfigurationTarget.Workspace);
      await c;
      c = changed();
      await config.update('rrfK', 7, vscode.ConfigurationTarget.Workspace);
      await c;
      type Baseline = { runs: Array<{ result: { manifest: { fusion?: { method: string; rrfK: number } } } }> };
      const result = await vscode.commands.executeCommand<Baseline>('retrievalLens.runBaseline', ['hybrid']);
      assert.deepEqual([result.runs[0].result.manifest.fusion?.method, result.runs[0].result.manifest.fusion?.rrfK], ['rrf', 7]);
      const view = await a.inspector.search({ query: 'QS-4091', k: 3, retrievers: ['hybrid'] });
      const e = view.columns.hybrid?.[0].explanation;
      assert.ok(e?.kind === 'hybrid' && e.method === 'rrf', 'the inspector fuses with the setting too');
      assert.equal(a.indexService.index, index, 'search settings need no rebuild');
      c = changed();
      await config.update('denseWeight', 5, vscode.ConfigurationTarget.Workspace);
      await c;
      assert.equal(index.searchDefaults.fusion?.denseWeight, undefined, 'an invalid value falls back to the default');
      c = changed();
      await config.update('keywordStemming', false, vscode.ConfigurationTarget.Workspace);
      await c;
      assert.match(a.indexService.getStatus().message ?? '', /index settings changed: run Build Index/);
    } finally {
      for (const key of ['fusion', 'rrfK', 'denseWeight', 'keywordStemming']) await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('follows files created, saved and deleted outside a build, by the same rules as a build', async () => {
    const a = await api();
    const index = a.indexService.index;
    assert.ok(index);
    const waitFor = async (what: string, ok: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await a.indexService.settled();
    };
    const fresh = path.join(root(), 'docs/guides/tracing.md');
    const excluded = path.join(root(), 'archive/tracing-v1.md');
    fs.writeFileSync(excluded, '# Tracing in v1\n\nSpans were exported over UDP.\n');
    fs.writeFileSync(fresh, '# Tracing\n\nQuillstream exports OpenTelemetry spans for every publish.\n');
    await waitFor('the new file is indexed', () => !!index.getDocument('docs/guides/tracing.md'));
    assert.equal(index.getDocument('archive/tracing-v1.md'), undefined, 'archive/** is excluded by the workspace setting');
    const hit = await index.search({ query: 'OpenTelemetry spans', k: 1, retrievers: ['keyword'] });
    assert.equal(hit.results.keyword?.[0].docId, 'docs/guides/tracing.md');

    // Saving an excluded file in the editor leaves it out too.
    const doc = await vscode.workspace.openTextDocument(excluded);
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '<!-- edited -->\n'));
    await doc.save();
    fs.appendFileSync(fresh, '\n## Sampling\n\nOne publish in a hundred is traced by default.\n');
    await waitFor('the edit is indexed', () => index.chunksOf('docs/guides/tracing.md').some((c) => c.text.includes('Sampling')));
    assert.equal(index.getDocument('archive/tracing-v1.md'), undefined);

    fs.rmSync(fresh);
    await waitFor('the deleted file leaves the index', () => !index.getDocument('docs/guides/tracing.md'));
    assert.equal(index.chunksOf('docs/guides/tracing.md').length, 0);
    fs.rmSync(excluded);
  });
});
