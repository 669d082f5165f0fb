import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, requireScifact } from './bench-lib';
import { readBeirJsonl } from './large-repo-beir';

/**
 * What a diagnosis costs against one cold index, through the CLI as a user runs it (each command a child process,
 * USE-lite, the default model processes): `search --retriever dense` on a fresh index folder (one cold index), then
 * `diagnose` on another fresh folder (the baseline index, three what-if chunker indexes, the evaluation, the
 * misses, the trial adapter). Workspace: the first LARGE_REPO_DIAGNOSE_DOCS SciFact abstracts (default 1,500) as
 * markdown files, with an eval set of the SciFact queries judged on them (document-level judgments from the qrels).
 * LARGE_REPO_BEFORE=<checkout> runs the same two commands with that checkout's CLI too, in the same run.
 */
const DOCS = Number(process.env.LARGE_REPO_DIAGNOSE_DOCS ?? 1500);
function cli(checkout: string, args: string[]): { ms: number; stderr: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(checkout, 'src', 'cli', 'main.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`retrieval-lens ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { ms, stderr: r.stderr };
}

async function main(): Promise<void> {
  const scifact = requireScifact('large-repo diagnose');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-large-diag-'));
  const ws = path.join(work, 'workspace');
  try {
    const docs = (await readBeirJsonl(path.join(scifact, 'corpus.jsonl.gz'))).slice(0, DOCS);
    fs.mkdirSync(path.join(ws, '.retrieval-lens'), { recursive: true });
    for (const d of docs) fs.writeFileSync(path.join(ws, `${d._id}.md`), `# ${d.title.trim() || d._id}\n\n${d.text}\n`);
    const have = new Set(docs.map((d) => d._id));
    const qrels = new Map<string, string[]>();
    for (const line of fs.readFileSync(path.join(scifact, 'qrels.tsv'), 'utf8').split('\n').slice(1)) {
      const [q, doc, grade] = line.trim().split('\t');
      if (q && have.has(doc) && Number(grade) > 0) qrels.set(q, [...(qrels.get(q) ?? []), doc]);
    }
    const queries = fs.readFileSync(path.join(scifact, 'queries.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { _id: string; text: string });
    const judged = queries.filter((q) => qrels.has(q._id));
    const evalset = judged.map((q, i) => ({ id: `q${q._id}`, text: q.text, split: i % 3 === 2 ? 'train' : 'eval', judgments: (qrels.get(q._id) ?? []).map((d) => ({ grade: 1, target: { type: 'document', docId: `${d}.md` } })) }));
    fs.writeFileSync(path.join(ws, '.retrieval-lens', 'evalset.jsonl'), evalset.map((e) => JSON.stringify(e)).join('\n') + '\n');
    console.log(`large-repo diagnose: ${docs.length} SciFact abstracts as files, ${evalset.length} judged queries; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${new Date().toISOString()})`);
    const sides: Array<[string, string]> = [['ours', repoRoot]];
    if (process.env.LARGE_REPO_BEFORE) sides.push(['before', process.env.LARGE_REPO_BEFORE]);
    const rows: Array<Record<string, string>> = [];
    for (const [side, checkout] of sides) {
      const cold = cli(checkout, ['search', ws, 'cancer cells respond to inflammation', '--retriever', 'dense', '--index-dir', path.join(work, `${side}-cold`)]);
      console.log(`  ${side}: cold index + one dense query ${(cold.ms / 1000).toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}`);
      const diag = cli(checkout, ['diagnose', ws, '--index-dir', path.join(work, `${side}-diagnose`), '--json', path.join(work, `${side}-report.json`)]);
      console.log(`  ${side}: diagnose ${(diag.ms / 1000).toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}`);
      rows.push({ code: side, 'cold index (search --retriever dense), s': (cold.ms / 1000).toFixed(1), 'diagnose, s': (diag.ms / 1000).toFixed(1), 'diagnose / cold index': (diag.ms / cold.ms).toFixed(2) });
    }
    console.log(`\n## Diagnose (baseline + 3 what-if chunkers + evaluation) against one cold index, ${docs.length} documents (USE-lite)`);
    console.table(rows);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
