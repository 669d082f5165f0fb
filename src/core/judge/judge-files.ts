import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalTarget } from '../eval/eval-target';
import { JUDGE_LABELS_PATH } from './judge-labels';

/**
 * Where the judge's answer cache and labels live: beside the eval set in a workspace; for a BEIR folder (often
 * read-only, and with no .retrieval-lens of its own) in the user cache, under a hash of the folder's path.
 */
export function judgeFiles(target: Pick<EvalTarget, 'kind' | 'root'>): { cache: string; labels: string } {
  if (target.kind === 'workspace') return { cache: path.join(target.root, '.retrieval-lens', 'judge', 'answers.jsonl'), labels: path.join(target.root, JUDGE_LABELS_PATH) };
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const dir = path.join(base, 'retrieval-lens', crypto.createHash('sha1').update(target.root).digest('hex').slice(0, 10), 'judge');
  return { cache: path.join(dir, 'answers.jsonl'), labels: path.join(dir, 'judge-labels.jsonl') };
}
