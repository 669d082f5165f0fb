import { Parser } from 'htmlparser2';
import type { Heading } from './document';

const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'header', 'footer', 'main', 'nav', 'aside', 'li', 'ul', 'ol', 'table', 'tr',
  'pre', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'br', 'hr', 'dt', 'dd', 'dl', 'figure', 'figcaption',
]);
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head']);

/**
 * Extracts readable text from HTML: block elements become line breaks, script/style/head are dropped, entities
 * decoded. Headings are recorded with offsets into the extracted text, which is what every chunk offset refers to.
 */
export function htmlToText(html: string): { text: string; headings: Heading[]; title: string } {
  let text = '';
  let skipDepth = 0;
  let titleText = '';
  let inTitle = false;
  const headings: Heading[] = [];
  const open: Array<{ level: number; start: number }> = [];
  const newline = () => {
    if (text && !text.endsWith('\n')) text += '\n';
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        if (SKIP.has(name)) skipDepth++;
        if (skipDepth) return;
        if (BLOCK.has(name)) newline();
        const h = /^h([1-6])$/.exec(name);
        if (h) open.push({ level: Number(h[1]), start: text.length });
      },
      ontext(data) {
        if (inTitle) titleText += data;
        if (skipDepth) return;
        const collapsed = data.replace(/\s+/g, ' ');
        if (collapsed === ' ' && (text.endsWith('\n') || text.endsWith(' ') || !text)) return;
        text += text.endsWith('\n') || !text ? collapsed.trimStart() : collapsed;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        if (SKIP.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth) return;
        if (/^h[1-6]$/.test(name)) {
          const h = open.pop();
          if (h) {
            const raw = text.slice(h.start);
            const lead = raw.length - raw.trimStart().length;
            const body = raw.trim();
            if (body) headings.push({ level: h.level, text: body, start: h.start + lead, end: h.start + lead + body.length });
          }
        }
        if (BLOCK.has(name)) newline();
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return { text: text.trimEnd(), headings, title: titleText.trim() };
}
