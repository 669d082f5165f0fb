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
    let at = Math.min(e.pos[0], Math.max(0, yamlText.trimEnd().length - 1));
    // An unclosed quote is reported at the end of the input; name the line where the quote opened instead.
    const quote = /Missing closing (["'])quote/.exec(e.message);
    if (quote) at = Math.max(0, yamlText.lastIndexOf(quote[1], at));
    const line = 1 + yamlText.slice(0, at).split('\n').length; // +1: the opening --- line
    return { data: {}, bodyStart, error: { line, message: e.message.split('\n')[0] } };
  }
  const data = doc.toJS() as unknown;
  if (data === null || data === undefined) return { data: {}, bodyStart };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { data: {}, bodyStart, error: { line: 2, message: 'front matter is not a mapping of fields' } };
  }
  return { data: data as Record<string, unknown>, bodyStart };
}
