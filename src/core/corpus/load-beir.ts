import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDocument, sha256 } from './build-document';
import type { Corpus, SourceDocument } from './document';
import { InputError } from '../io/input-error';
import { readJsonl } from './jsonl';

export function beirCorpusFile(dir: string): string | undefined {
  for (const name of ['corpus.jsonl', 'corpus.jsonl.gz']) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return f;
  }
  return undefined;
}

export function isBeirFolder(dir: string): boolean {
  return beirCorpusFile(dir) !== undefined;
}

/** A BEIR corpus.jsonl(.gz): `{_id, title, text}` per line → documents with id `_id`, path `beir:<_id>`. */
export async function loadBeirCorpus(dir: string): Promise<Corpus> {
  const file = beirCorpusFile(dir);
  if (!file) throw new InputError(path.join(dir, 'corpus.jsonl'), undefined, 'no corpus.jsonl or corpus.jsonl.gz in this folder');
  const mtimeMs = fs.statSync(file).mtimeMs;
  const documents: SourceDocument[] = [];
  const seen = new Set<string>();
  for await (const { value, line } of readJsonl(file)) {
    const id = value._id;
    if (typeof id !== 'string' && typeof id !== 'number') throw new InputError(file, line, 'missing "_id"');
    const docId = String(id);
    if (seen.has(docId)) throw new InputError(file, line, `duplicate _id "${docId}"`);
    seen.add(docId);
    if (typeof value.text !== 'string') throw new InputError(file, line, `"text" of ${docId} is not a string`);
    if (value.title !== undefined && typeof value.title !== 'string') throw new InputError(file, line, `"title" of ${docId} is not a string`);
    const title = (value.title as string | undefined) ?? '';
    const { doc } = buildDocument(`beir:${docId}`, value.text, {
      language: 'plaintext',
      mtimeMs,
      size: Buffer.byteLength(title) + Buffer.byteLength(value.text),
      contentHash: sha256(`${title}\u0000${value.text}`),
    });
    documents.push({ ...doc, id: docId, title });
  }
  return { root: path.resolve(dir), documents, skipped: [] };
}
