import * as fs from 'node:fs';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';
import { InputError } from './input-error';

/** Streams a .jsonl or .jsonl.gz file: each non-blank line parsed as a JSON object, with its line number. */
export async function* readJsonl(file: string): AsyncGenerator<{ value: Record<string, unknown>; line: number }> {
  let input: NodeJS.ReadableStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    const raw = fs.createReadStream(file);
    input = file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
  } catch (e) {
    throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (!text.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new InputError(file, line, `invalid JSON: ${e instanceof Error ? e.message : e}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InputError(file, line, 'expected a JSON object');
      }
      yield { value: value as Record<string, unknown>, line };
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, line + 1, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
}
