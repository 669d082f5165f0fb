import * as fs from 'node:fs';
import { InputError } from './input-error';

/** A text file's lines; an unreadable file is an InputError naming it, never a bare fs error. */
export function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/);
  } catch (e) {
    throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
}
