import * as crypto from 'node:crypto';
import type { Heading, SourceDocument } from './document';
import { parseFrontMatter } from './front-matter';
import { asciidocHeadings, markdownHeadings, rstHeadings } from './headings';
import { htmlToText } from './html-text';
import { languageOf } from './language';

export function sha256(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export interface BuiltDocument {
  doc: SourceDocument;
  /** A problem worth showing that did not stop the load (e.g. bad front matter), with its 1-based line. */
  warning?: { line: number; message: string };
}

/** Builds a SourceDocument from decoded text; `path` is the workspace-relative POSIX path and the id. */
export function buildDocument(
  path: string,
  text: string,
  meta: { absPath?: string; size?: number; mtimeMs?: number; contentHash?: string; language?: string } = {},
): BuiltDocument {
  const language = meta.language ?? languageOf(path) ?? 'plaintext';
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  let body = text;
  let headings: Heading[] = [];
  let frontMatter: Record<string, unknown> = {};
  let bodyStart = 0;
  let title = '';
  let warning: BuiltDocument['warning'];
  if (language === 'markdown' || language === 'mdx') {
    const fm = parseFrontMatter(text);
    frontMatter = fm.data;
    bodyStart = fm.bodyStart;
    if (fm.error) warning = fm.error;
    headings = markdownHeadings(text, bodyStart);
  } else if (language === 'restructuredtext') {
    headings = rstHeadings(text);
  } else if (language === 'asciidoc') {
    headings = asciidocHeadings(text);
  } else if (language === 'html') {
    const h = htmlToText(text);
    body = h.text;
    headings = h.headings;
    title = h.title;
  }
  if (typeof frontMatter.title === 'string' && frontMatter.title.trim()) title = frontMatter.title.trim();
  if (!title) title = headings.find((h) => h.level === 1)?.text ?? fileName;
  return {
    doc: {
      id: path,
      path,
      absPath: meta.absPath,
      title,
      text: body,
      language,
      size: meta.size ?? Buffer.byteLength(text),
      mtimeMs: meta.mtimeMs ?? Date.now(),
      contentHash: meta.contentHash ?? sha256(text),
      frontMatter,
      bodyStart,
      headings,
    },
    warning,
  };
}
