import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../io/input-error';
import { readJsonl } from '../corpus/jsonl';
import { writeFileAtomic } from '../io/atomic-write';
import { readLines } from '../io/read-lines';
import type { Qrels } from './evalset-types';
import { addQrel } from './trec-io';

export interface BeirQuery {
  id: string;
  text: string;
}

export async function readBeirQueries(file: string): Promise<BeirQuery[]> {
  const out: BeirQuery[] = [];
  const seen = new Set<string>();
  for await (const { value, line } of readJsonl(file)) {
    if (typeof value._id !== 'string' && typeof value._id !== 'number') throw new InputError(file, line, 'missing "_id"');
    if (typeof value.text !== 'string') throw new InputError(file, line, `"text" of query ${value._id} is not a string`);
    const id = String(value._id);
    if (seen.has(id)) throw new InputError(file, line, `duplicate query _id "${id}"`);
    seen.add(id);
    out.push({ id, text: value.text });
  }
  return out;
}

/** BEIR qrels TSV with the header `query-id corpus-id score`. */
export function readBeirQrels(file: string): Qrels {
  const lines = readLines(file);
  const header = lines[0]?.trim().split('\t');
  if (!header || header[0] !== 'query-id' || header[1] !== 'corpus-id' || header[2] !== 'score') {
    throw new InputError(file, 1, 'expected the header "query-id<TAB>corpus-id<TAB>score"');
  }
  const qrels: Qrels = new Map();
  lines.slice(1).forEach((raw, i) => {
    if (!raw.trim()) return;
    const f = raw.trim().split('\t');
    if (f.length !== 3) throw new InputError(file, i + 2, `expected 3 tab-separated fields, got ${f.length}`);
    addQrel(qrels, { file, line: i + 2 }, f[0], f[1], f[2], 'score');
  });
  return qrels;
}

/** qrels.tsv, else qrels/test.tsv, else qrels.trec in a BEIR folder. */
export function beirQrelsFile(dir: string): string | undefined {
  return ['qrels.tsv', path.join('qrels', 'test.tsv')].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
}

/** qrels/train.tsv of the standard BEIR layout: its queries form the train split (the eval qrels stay as above). */
export function beirTrainQrelsFile(dir: string): string | undefined {
  const f = path.join(dir, 'qrels', 'train.tsv');
  return fs.existsSync(f) ? f : undefined;
}

export function writeBeir(dir: string, data: { corpus?: Array<{ _id: string; title: string; text: string }>; queries: BeirQuery[]; qrels: Qrels }): void {
  fs.mkdirSync(path.join(dir, 'qrels'), { recursive: true });
  if (data.corpus) writeFileAtomic(path.join(dir, 'corpus.jsonl'), data.corpus.map((d) => JSON.stringify(d)).join('\n') + '\n');
  writeFileAtomic(path.join(dir, 'queries.jsonl'), data.queries.map((q) => JSON.stringify({ _id: q.id, text: q.text })).join('\n') + '\n');
  const rows = ['query-id\tcorpus-id\tscore'];
  for (const [q, m] of data.qrels) for (const [d, g] of m) rows.push(`${q}\t${d}\t${g}`);
  writeFileAtomic(path.join(dir, 'qrels', 'test.tsv'), rows.join('\n') + '\n');
}
