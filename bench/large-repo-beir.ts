import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/** The rows of a BEIR corpus file (gzipped JSON lines): id, title and text. */
export async function readBeirJsonl(file: string): Promise<Array<{ _id: string; title: string; text: string }>> {
  const raw = fs.readFileSync(file);
  const text = file.endsWith('.gz') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
}
