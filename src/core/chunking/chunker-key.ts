import * as crypto from 'node:crypto';
import type { ChunkerConfig } from './chunk';

/** A readable, canonical key: the same config always gives the same key, e.g. `recursive:overlap=100,size=800`. */
export function chunkerKey(config: ChunkerConfig): string {
  const params = Object.entries(config)
    .filter(([k, v]) => k !== 'kind' && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return params ? `${config.kind}:${params}` : config.kind;
}

/** Stable chunk id from document id, chunker key and offsets. */
export function chunkId(docId: string, key: string, start: number, end: number): string {
  return crypto.createHash('sha1').update(`${docId}\u0000${key}\u0000${start}\u0000${end}`).digest('hex').slice(0, 16);
}
