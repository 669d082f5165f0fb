import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import type { ChunkerConfig } from '../chunking/chunk';
import type { ModelInfo } from '../embed/embedder';
import type { FusionConfig, RerankConfig, RetrieverName } from '../retrieve/types';
import type { KeywordConfig } from '../store/keyword-types';

/** Everything needed to compare two runs later: what retrieved, over which corpus, when. */
export interface RunManifest {
  tool: string;
  retriever: RetrieverName;
  level: 'doc' | 'chunk';
  k: number;
  chunker: ChunkerConfig;
  chunkerKey: string;
  keyword: KeywordConfig;
  fusion?: FusionConfig;
  rerank?: RerankConfig & { model: ModelInfo | null };
  model: ModelInfo | null;
  /** The query adapter the dense leg ran with (its id), when one was applied. */
  queryAdapter?: string;
  corpusHash: string;
  documents: number;
  chunks: number;
  queries: number;
  gitCommit: string | null;
  createdAt: string;
  /**
   * Which settings the run used (CLI runs): the workspace's own .vscode/settings.json (its restricted settings
   * applied only when the user trusted it), a file the user named with --settings, or none.
   */
  settings?: { source: 'workspace' | 'file' | 'none'; file: string | null; restrictedApplied: boolean; ignored: string[] };
}

/** The workspace's git commit, or null when it is not a git checkout (never throws). */
export function gitCommit(dir: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

/**
 * Saves one evaluation run (metrics, per-query values, manifest) as `<dir>/<time>-<retriever>-<level>.json`, the
 * same shape as `eval --metrics-out`, so any two runs compare later with `retrieval-lens compare`. A run with a
 * query adapter is named `<retriever>+adapter` (its manifest's queryAdapter names which).
 */
export function saveRun(
  dir: string,
  run: { all: Record<string, number>; perQuery: Record<string, Record<string, number>>; manifest: Pick<RunManifest, 'createdAt' | 'level'> & { retriever: string; queryAdapter?: string } },
): string {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = run.manifest.createdAt.replace(/[:.]/g, '-');
  const name = `${run.manifest.retriever}${run.manifest.queryAdapter ? '+adapter' : ''}`;
  const file = path.join(dir, `${stamp}-${name.replace(/[^\w.+-]+/g, '_')}-${run.manifest.level}.json`);
  writeFileAtomic(file, JSON.stringify({ all: run.all, per_query: run.perQuery, manifest: run.manifest }, null, 1));
  return file;
}

/** Where a workspace keeps its saved runs. */
export const RUNS_DIR = '.retrieval-lens/runs';
