import * as fs from 'node:fs';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';
import { InputError } from './input-error';

/** True when the file starts with the gzip magic bytes (so a gzipped log is read whatever its name). */
export function isGzip(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Streams a text file's lines with 1-based line numbers; gzip is detected by content, a UTF-8 byte-order mark on the
 * first line is dropped. An unreadable or corrupt file is an InputError naming it (and the line reached).
 */
export async function* readTextLines(file: string): AsyncGenerator<{ text: string; line: number }> {
  let input: NodeJS.ReadableStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    if (fs.statSync(file).isDirectory()) throw new Error('is a folder');
    const raw = fs.createReadStream(file);
    input = isGzip(file) ? raw.pipe(zlib.createGunzip()) : raw;
  } catch (e) {
    throw new InputError(file, undefined, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      yield { text: line === 1 ? text.replace(/^\uFEFF/, '') : text, line };
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, line + 1, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
}

/**
 * RFC 4180 CSV records over a line stream: commas inside double quotes, doubled quotes ("") as a literal quote, and
 * quoted fields spanning lines. Each record carries the line it starts on; an unterminated quote at the end of the
 * input is reported as an error record instead of swallowing the rest of the file silently.
 */
export async function* readCsvRecords(lines: AsyncIterable<{ text: string; line: number }>): AsyncGenerator<{ fields: string[]; line: number; raw: string } | { error: string; line: number; raw: string }> {
  let pending: { text: string; line: number } | undefined;
  for await (const l of lines) {
    const text = pending ? `${pending.text}\n${l.text}` : l.text;
    const start = pending ? pending.line : l.line;
    const parsed = parseCsvRecord(text);
    if (parsed === 'open') {
      pending = { text, line: start };
      continue;
    }
    pending = undefined;
    if (typeof parsed === 'string') yield { error: parsed, line: start, raw: text };
    else yield { fields: parsed, line: start, raw: text };
  }
  if (pending) yield { error: 'unterminated quoted field (a " is never closed)', line: pending.line, raw: pending.text };
}

/** One CSV record: its fields, 'open' when a quoted field continues on the next line, or an error message. */
export function parseCsvRecord(text: string): string[] | 'open' | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return 'open';
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      fields.push(value);
      if (i < text.length && text[i] !== ',') return `unexpected character after a closing quote at column ${i + 1}`;
    } else {
      const next = text.indexOf(',', i);
      const value = next < 0 ? text.slice(i) : text.slice(i, next);
      if (value.includes('"')) return `a quote inside an unquoted field at column ${i + value.indexOf('"') + 1}`;
      fields.push(value);
      i = next < 0 ? text.length : next;
    }
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** A CSV field, quoted when it holds a comma, quote, line break or leading/trailing space. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
