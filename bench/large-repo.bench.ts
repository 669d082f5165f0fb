import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import { CHUNKER_DEFAULTS } from '../src/core/chunking/chunker-registry';
import { loadFolderCorpus } from '../src/core/corpus/load-folder';
import { ENGLISH_STOP_WORDS } from '../src/core/store/keyword-index';
import { WorkspaceIndex } from '../src/core/index/workspace-index';
import { requireScifact } from './bench-lib';
import { writeLargeRepoWorkspace } from './large-repo-workspace';

/**
 * Large repositories, keyword index only (what `retrieval-lens search --retriever bm25` does), against bare
 * MiniSearch on the same chunk texts with the same tokenizer and term processing (so the same postings):
 *   - cold build: read the workspace, chunk, index, save — against MiniSearch addAll + JSON.stringify + write;
 *   - open and answer one query: read the workspace and open the saved index — against readFile + loadJSON;
 *   - size on disk.
 * Every measurement is a child process of its own (peak RSS per process: process.resourceUsage().maxRSS), ours
 * and bare alternated, ROUNDS rounds, the best time of each kept; ratios are within this one run.
 * LARGE_REPO_LIMIT=n keeps n abstracts per folder (the full workspace is 4 × 5,183 = 20,732 files).
 * LARGE_REPO_BEFORE=<checkout> adds a third side, the index code of another checkout (e.g. `git worktree add
 * ../before <commit>` with node_modules linked), run the same way: "before" against "ours" in the same run.
 */
const ROUNDS = Number(process.env.LARGE_REPO_ROUNDS ?? 2);
const LIMIT = Number(process.env.LARGE_REPO_LIMIT ?? Infinity);
const QUERY = 'cancer cells respond to inflammation';
const CHUNKER = CHUNKER_DEFAULTS.markdown;

interface Measured {
  ms: number;
  rssMb: number;
  [k: string]: number;
}

/** The same tokenizer and term processing as KeywordIndex (keyword-index.ts), in plain MiniSearch options. */
function bareOptions() {
  return {
    fields: ['title', 'text'],
    storeFields: [],
    tokenize: (text: string) => text.match(/[\p{L}\p{N}_]+/gu) ?? [],
    processTerm: (term: string) => {
      const t = term.toLowerCase();
      return ENGLISH_STOP_WORDS.has(t) ? null : stemmer(t);
    },
    searchOptions: { boost: { title: 0.5, text: 1 }, bm25: { k: 0.9, b: 0.4, d: 0 }, combineWith: 'OR' as const },
  };
}

function rssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** One measurement, in this (child) process; prints its result as JSON on the last line. */
/** The longest gap between 2 ms timer ticks while `fn` runs (on a loaded machine it holds other processes' time too). */
async function longestGap<T>(fn: () => Promise<T>): Promise<[T, number]> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 2);
  try {
    const r = await fn();
    longest = Math.max(longest, performance.now() - last);
    return [r, longest];
  } finally {
    clearInterval(timer);
  }
}

async function child(role: string, root: string, dir: string): Promise<Measured> {
  const chunksFile = path.join(dir, 'chunk-texts.json');
  const bareFile = path.join(dir, 'bare', 'minisearch.json');
  const [side, what] = role.split('-');
  if (side === 'ours' || side === 'before') {
    const storageDir = path.join(dir, side);
    const before = process.env.LARGE_REPO_BEFORE;
    const code =
      side === 'before' && before
        ? {
            loadFolderCorpus: ((await import(path.join(before, 'src/core/corpus/load-folder.ts'))) as typeof import('../src/core/corpus/load-folder')).loadFolderCorpus,
            WorkspaceIndex: ((await import(path.join(before, 'src/core/index/workspace-index.ts'))) as typeof import('../src/core/index/workspace-index')).WorkspaceIndex,
          }
        : { loadFolderCorpus, WorkspaceIndex };
    const t0 = performance.now();
    const corpus = await code.loadFolderCorpus(root);
    const readMs = performance.now() - t0;
    if (what === 'build') fs.rmSync(storageDir, { recursive: true, force: true });
    const t1 = performance.now();
    const [r, gapMs] = await longestGap(() => code.WorkspaceIndex.openOrBuild(corpus, { chunker: CHUNKER, storageDir }));
    const indexMs = performance.now() - t1;
    const t2 = performance.now();
    const hits = (await r.index.search({ query: QUERY, k: 10, retrievers: ['keyword'] })).results.keyword ?? [];
    const queryMs = performance.now() - t2;
    if (what === 'open' && r.rebuilt) throw new Error(`the saved index was rebuilt: ${r.rebuilt}`);
    const result = { ms: performance.now() - t0, readMs, indexMs, queryMs, gapMs, chunks: r.index.chunkMap.size, hits: hits.length, rssMb: rssMb() };
    if (role === 'ours-build' && !fs.existsSync(chunksFile)) {
      // The chunk texts bare MiniSearch indexes: exactly ours (id, title field, text); written after measuring.
      const rows = [...r.index.allChunks()].map((c) => ({ id: c.id, title: [r.index.getDocument(c.docId)?.title, ...c.headingPath].join(' '), text: c.text }));
      fs.writeFileSync(chunksFile, JSON.stringify(rows));
    }
    return result;
  }
  if (role === 'bare-build') {
    const rows = JSON.parse(fs.readFileSync(chunksFile, 'utf8')) as Array<{ id: string; title: string; text: string }>;
    const rssBefore = rssMb();
    const t0 = performance.now();
    const ms = new MiniSearch(bareOptions());
    ms.addAll(rows);
    const addMs = performance.now() - t0;
    const t1 = performance.now();
    const json = JSON.stringify(ms);
    const stringifyMs = performance.now() - t1;
    fs.mkdirSync(path.dirname(bareFile), { recursive: true });
    fs.writeFileSync(bareFile, json);
    return { ms: performance.now() - t0, addMs, stringifyMs, chunks: rows.length, rssMb: rssMb(), rssBeforeMb: rssBefore };
  }
  if (role === 'bare-open') {
    const t0 = performance.now();
    const ms = MiniSearch.loadJSON(await fs.promises.readFile(bareFile, 'utf8'), bareOptions());
    const hits = ms.search(QUERY).slice(0, 10);
    return { ms: performance.now() - t0, chunks: ms.documentCount, hits: hits.length, rssMb: rssMb() };
  }
  throw new Error(`unknown role ${role}`);
}

function run(role: string, root: string, dir: string): Measured {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, role, root, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`${role} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = JSON.parse(last) as Measured;
  console.log(`  ${role}: ${(m.ms / 1000).toFixed(2)} s, peak RSS ${m.rssMb.toFixed(0)} MB, load ${os.loadavg()[0].toFixed(1)}  ${JSON.stringify(m)}`);
  return m;
}

function diskMb(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((s, e) => s + fs.statSync(path.join(e.parentPath, e.name)).size, 0) / 2 ** 20;
}

function best(runs: Measured[]): Measured {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

async function main(): Promise<void> {
  const [role, root, dir] = process.argv.slice(2);
  if (role) {
    console.log(JSON.stringify(await child(role, root, dir)));
    return;
  }
  const scifact = requireScifact('large-repo');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-large-repo-'));
  const ws = path.join(work, 'workspace');
  try {
    const t = performance.now();
    const { files, bytes } = await writeLargeRepoWorkspace(scifact, ws, LIMIT);
    console.log(`large-repo: ${files} markdown files, ${(bytes / 2 ** 20).toFixed(1)} MB of text, written in ${((performance.now() - t) / 1000).toFixed(1)} s; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${new Date().toISOString()})`);
    type Side = 'ours' | 'bare' | 'before';
    const builds: Record<Side, Measured[]> = { ours: [], bare: [], before: [] };
    const opens: Record<Side, Measured[]> = { ours: [], bare: [], before: [] };
    const sides: Side[] = process.env.LARGE_REPO_BEFORE ? ['ours', 'bare', 'before'] : ['ours', 'bare'];
    for (let round = 0; round < ROUNDS; round++) {
      // Ours first in round 0 (it writes the chunk texts bare indexes), then alternated.
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) builds[side].push(run(`${side}-build`, ws, work));
      for (const side of order) opens[side].push(run(`${side}-open`, ws, work));
    }
    const ob = best(builds.ours);
    const bb = best(builds.bare);
    const oo = best(opens.ours);
    const bo = best(opens.bare);
    const before = builds.before.length ? { build: best(builds.before), open: best(opens.before), disk: diskMb(path.join(work, 'before')) } : null;
    const oursDisk = diskMb(path.join(work, 'ours'));
    const bareDisk = diskMb(path.join(work, 'bare'));
    const textMb = bytes / 2 ** 20;
    const per10k = (mb: number) => (mb / ob.chunks) * 10_000;
    console.log(`\n## Large repository, keyword only: ${files} files, ${ob.chunks} chunks (${CHUNKER.kind} chunker defaults), best of ${ROUNDS}, load average ${os.loadavg()[0].toFixed(1)} at the end`);
    console.table([
      { measure: 'cold build (s)', ours: (ob.ms / 1000).toFixed(1), bare: (bb.ms / 1000).toFixed(1), 'ours / bare': (ob.ms / bb.ms).toFixed(2), note: `ours: read ${(ob.readMs / 1000).toFixed(1)} s + index and save ${(ob.indexMs / 1000).toFixed(1)} s; bare: addAll ${(bb.addMs / 1000).toFixed(1)} s + stringify ${(bb.stringifyMs / 1000).toFixed(1)} s (texts given)` },
      { measure: 'cold build peak RSS (MB)', ours: ob.rssMb.toFixed(0), bare: bb.rssMb.toFixed(0), 'ours / bare': (ob.rssMb / bb.rssMb).toFixed(2), note: `bare holds ${bb.rssBeforeMb.toFixed(0)} MB before adding (the chunk texts)` },
      { measure: 'open + first query (s)', ours: (oo.ms / 1000).toFixed(2), bare: (bo.ms / 1000).toFixed(2), 'ours / bare': (oo.ms / bo.ms).toFixed(2), note: `ours: read the workspace ${(oo.readMs / 1000).toFixed(2)} s + open ${(oo.indexMs / 1000).toFixed(2)} s + query ${(oo.queryMs / 1000).toFixed(2)} s; bare: readFile + loadJSON + search` },
      { measure: 'open index + first query, workspace read excluded (s)', ours: ((oo.indexMs + oo.queryMs) / 1000).toFixed(2), bare: (bo.ms / 1000).toFixed(2), 'ours / bare': ((oo.indexMs + oo.queryMs) / bo.ms).toFixed(2), note: 'bare has no workspace to read' },
      { measure: 'open + first query peak RSS (MB)', ours: oo.rssMb.toFixed(0), bare: bo.rssMb.toFixed(0), 'ours / bare': (oo.rssMb / bo.rssMb).toFixed(2), note: `ours includes the workspace's documents in memory; per 10k chunks: ${per10k(oo.rssMb).toFixed(0)} MB` },
      { measure: 'on disk (MB)', ours: oursDisk.toFixed(1), bare: bareDisk.toFixed(1), 'ours / bare': (oursDisk / bareDisk).toFixed(2), note: `corpus text ${textMb.toFixed(1)} MB: ours ${(oursDisk / textMb).toFixed(2)}× the text; per 10k chunks ${per10k(oursDisk).toFixed(1)} MB` },
    ]);
    console.log(`longest event-loop gap while opening: ours ${oo.gapMs.toFixed(0)} ms (a gap on a loaded machine includes time given to other processes)`);
    if (before) {
      console.log(`\n## The same against the code before (LARGE_REPO_BEFORE), same run`);
      console.table([
        { measure: 'cold build (s)', before: (before.build.ms / 1000).toFixed(1), ours: (ob.ms / 1000).toFixed(1), 'before / ours': (before.build.ms / ob.ms).toFixed(2) },
        { measure: 'cold build peak RSS (MB)', before: before.build.rssMb.toFixed(0), ours: ob.rssMb.toFixed(0), 'before / ours': (before.build.rssMb / ob.rssMb).toFixed(2) },
        { measure: 'open + first query (s)', before: (before.open.ms / 1000).toFixed(2), ours: (oo.ms / 1000).toFixed(2), 'before / ours': (before.open.ms / oo.ms).toFixed(2) },
        { measure: 'open index + first query, workspace read excluded (s)', before: ((before.open.indexMs + before.open.queryMs) / 1000).toFixed(2), ours: ((oo.indexMs + oo.queryMs) / 1000).toFixed(2), 'before / ours': ((before.open.indexMs + before.open.queryMs) / (oo.indexMs + oo.queryMs)).toFixed(2) },
        { measure: 'open + first query peak RSS (MB)', before: before.open.rssMb.toFixed(0), ours: oo.rssMb.toFixed(0), 'before / ours': (before.open.rssMb / oo.rssMb).toFixed(2) },
        { measure: 'on disk (MB)', before: before.disk.toFixed(1), ours: oursDisk.toFixed(1), 'before / ours': (before.disk / oursDisk).toFixed(2) },
      ]);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
