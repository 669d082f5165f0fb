import { readTextLines } from '../io/text-lines';
import { InputError } from '../io/input-error';

/**
 * Streams a .jsonl file (gzip detected by its content, as every line reader here does): each non-blank line parsed
 * as a JSON object, with its line number. Unreadable files, corrupt gzip and malformed lines are InputErrors naming
 * the file and line.
 */
export async function* readJsonl(file: string): AsyncGenerator<{ value: Record<string, unknown>; line: number }> {
  for await (const { text, line } of readTextLines(file)) {
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
}
