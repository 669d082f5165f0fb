import * as crypto from 'node:crypto';
import type { ChunkerConfig } from '../chunking/chunk';
import { chunkerKey } from '../chunking/chunker-key';
import type { KeywordConfig } from '../store/keyword-types';

/**
 * The one rule that names an index folder, for the editor, the CLI and every variant a diagnosis builds: one folder
 * per chunker, keyword settings and embedding model, so switching between them keeps each index. The name is
 * readable (chunker key and model, file-safe) and ends in a hash of the whole combination, so long or similar keys
 * never collide.
 */
export function indexFolderName(chunker: ChunkerConfig, keyword: Partial<KeywordConfig>, model: string | undefined): string {
  const kw = Object.keys(keyword).sort().map((k) => `${k}=${JSON.stringify(keyword[k as keyof KeywordConfig])}`).join(',');
  const key = chunkerKey(chunker);
  const hash = crypto.createHash('sha1').update(`${key}\u0000${model ?? ''}\u0000${kw}`).digest('hex').slice(0, 10);
  const readable = `${key}__${model ?? 'none'}`.replace(/[^\w.=,-]+/g, '_').slice(0, 100);
  return `${readable}__${hash}`;
}
