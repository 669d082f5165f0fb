import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sizedChunkerConfig } from '../../src/core/chunking/chunker-registry';
import { loadFolderCorpus } from '../../src/core/corpus/load-folder';
import { WorkspaceIndex } from '../../src/core/index/workspace-index';
import { CharTrigramEmbedder } from '../helpers/char-ngram-embedder';
import { startEmbeddingsServer, type TestServer } from '../helpers/protocol-servers';
import { demoDir } from '../helpers/shared';
import { findWebview, openWorkbench, runCommand, screenshot, type Workbench } from './harness';

const QUERY = 'rotating api keys without downtime';

/**
 * The local index embedded by a team's embeddings service: an OpenAI-compatible `/v1/embeddings` server started here
 * (backed by a character-trigram model, so the vectors can be recomputed in this process), named as the index's
 * model in the workspace settings. Nothing is sent before the user allows that endpoint in the workbench.
 */
describe('The local index over an OpenAI-compatible embeddings endpoint, in a real VS Code', () => {
  let server: TestServer;
  let wb: Workbench;
  let page: Page;

  before(async () => {
    server = await startEmbeddingsServer(new CharTrigramEmbedder());
    wb = await openWorkbench('embedding-endpoint', {
      settings: {
        'retrievalLens.embeddingModel': 'team-embeddings',
        'retrievalLens.embeddingEndpoints': { 'team-embeddings': { url: `${server.url}/v1`, model: 'trigram-256', batchSize: 32 } },
      },
    });
    page = wb.page;
  });
  after(async () => {
    await wb?.close();
    await server?.close();
  });

  it('asks before sending any document, then indexes through the endpoint and ranks as the same model here', async () => {
    await runCommand(page, 'Retrieval Lens: Open Query Inspector');
    let f = await findWebview(page, '#build-index');
    await f.locator('#build-index').click();
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'embeddings endpoint "team-embeddings"' });
    await dialog.waitFor({ timeout: 60_000 });
    const port = new URL(server.url).port;
    assert.match(await dialog.innerText(), new RegExp(`make the embeddings endpoint "team-embeddings" the index's model\\. Send the workspace's documents and your queries to the embeddings endpoint POST http://127\\.0\\.0\\.1:${port}/v1\\?`));
    assert.equal(server.requests.length, 0, 'no document or probe is sent before the user agrees');
    await dialog.locator('a.monaco-button', { hasText: 'Allow' }).click();
    f = await findWebview(page, 'header.status[data-state="ready"]', 120_000);

    // Recomputed here: the same chunks, the same model in this process, the same dense search.
    const corpus = await loadFolderCorpus(demoDir, { exclude: ['archive/**'] });
    const { index } = await WorkspaceIndex.build(corpus, { chunker: sizedChunkerConfig('markdown'), embedder: new CharTrigramEmbedder() });
    const embedded = server.requests.flatMap((r) => (JSON.parse(r.body) as { input: string[] }).input);
    // One dimension probe, then every chunk once.
    assert.equal(embedded.length, index.chunkMap.size + 1, `${embedded.length} inputs for ${index.chunkMap.size} chunks`);
    assert.ok(server.requests.every((r) => (JSON.parse(r.body) as { model: string }).model === 'trigram-256'));

    await f.locator('#query input').fill(QUERY);
    await f.locator('#search').click();
    await f.locator('.column[data-retriever="dense"] .hit').first().waitFor({ timeout: 60_000 });
    const shown = await f.locator('.column[data-retriever="dense"] .hit').evaluateAll((els) => els.map((e) => e.getAttribute('data-chunk')));
    const here = (await index.search({ query: QUERY, k: shown.length, retrievers: ['dense'] })).results.dense ?? [];
    assert.deepEqual(shown, here.map((h) => h.chunkId), 'the dense column ranks as the same model in this process');
    assert.equal(JSON.parse(server.requests.at(-1)!.body).input[0], QUERY, 'the query is embedded by the endpoint too');
    await screenshot(page, 'embedding-endpoint-index');
  });
});
