import { execFileSync } from 'node:child_process';
import type { ChunkerConfig } from '../chunking/chunk';
import type { ModelInfo } from '../embed/embedder';
import type { FusionConfig, KeywordConfig, RerankConfig, RetrieverName } from '../retrieve/types';

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
  corpusHash: string;
  documents: number;
  chunks: number;
  queries: number;
  gitCommit: string | null;
  createdAt: string;
}

/** The workspace's git commit, or null when it is not a git checkout (never throws). */
export function gitCommit(dir: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}
