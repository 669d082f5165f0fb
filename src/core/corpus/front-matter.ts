import { parseDocument } from 'yaml';

export interface FrontMatter {
  data: Record<string, unknown>;
  /** Offset where the body starts (after the closing `---` line), 0 without front matter. */
  bodyStart: number;
  /** A YAML error with its 1-based line in the file. */
  error?: { line: number; message: string };
}

const OPEN = /^---[ \t]*\r?\n/;
const CLOSE = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m;

/** Markdown front matter: a `---` block at the very start of the file, parsed as YAML. */
export function parseFrontMatter(text: string): FrontMatter {
  const open = OPEN.exec(text);
  if (!open) return { data: {}, bodyStart: 0 };
  const rest = text.slice(open[0].length);
  const close = CLOSE.exec(rest);
  if (!close) return { data: {}, bodyStart: 0 };
  const yamlText = rest.slice(0, close.index);
  const bodyStart = open[0].length + close.index + close[0].length;
  const doc = parseDocument(yamlText, { prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = 1 + yamlText.slice(0, e.pos[0]).split('\n').length; // +1: the opening --- line
    return { data: {}, bodyStart, error: { line, message: e.message.split('\n')[0] } };
  }
  const data = doc.toJS() as unknown;
  if (data === null || data === undefined) return { data: {}, bodyStart };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { data: {}, bodyStart, error: { line: 2, message: 'front matter is not a mapping of fields' } };
  }
  return { data: data as Record<string, unknown>, bodyStart };
}
