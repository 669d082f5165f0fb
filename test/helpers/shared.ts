import * as fs from 'node:fs';
import * as path from 'node:path';

/** Repository root (this file lives in test/helpers). */
export const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * The read-only shared folder with SciFact and the random-weight model fixtures: $RETRIEVAL_LENS_SHARED, else
 * ../shared beside the checkout. Undefined in a clone that has neither: suites that need it skip with a notice.
 */
export function sharedDir(): string | undefined {
  const candidates = [process.env.RETRIEVAL_LENS_SHARED, path.resolve(repoRoot, '..', 'shared')];
  for (const c of candidates) {
    if (c && fs.existsSync(path.join(c, 'data'))) return c;
  }
  return undefined;
}

export function scifactDir(): string | undefined {
  const s = sharedDir();
  const d = s && path.join(s, 'data', 'scifact');
  return d && fs.existsSync(path.join(d, 'corpus.jsonl.gz')) ? d : undefined;
}

export function sharedModelDir(name: 'minilm-shape-random' | 'cross-encoder-shape-random'): string | undefined {
  const s = sharedDir();
  const d = s && path.join(s, 'models', name);
  return d && fs.existsSync(path.join(d, 'config.json')) ? d : undefined;
}

/** For node:test's `skip` option: a reason string when shared data is absent, so the skip is visible in output. */
export function skipUnlessShared(what: string, dir: string | undefined): string | false {
  return dir ? false : `${what} not found: set RETRIEVAL_LENS_SHARED or place ../shared beside the checkout`;
}

export const demoDir = path.join(repoRoot, 'demo');
