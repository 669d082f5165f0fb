import type { Heading } from './document';

/** Markdown ATX (`## Title`) and setext headings, ignoring fenced code blocks. Offsets are of the heading line. */
export function markdownHeadings(text: string, from = 0): Heading[] {
  const headings: Heading[] = [];
  // CommonMark: a fence closes with the same character, at least as long as the opening, and nothing after it.
  let fence: string | null = null;
  let prev: { start: number; end: number; text: string } | null = null;
  for (const line of lines(text, from)) {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line.text);
    if (fenceMatch) {
      if (fence === null) {
        fence = fenceMatch[1];
        prev = null;
        continue;
      }
      if (fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length && !fenceMatch[2].trim()) {
        fence = null;
        continue;
      }
    }
    if (fence !== null) continue;
    const atx = /^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$/.exec(line.text);
    if (atx) {
      headings.push({ level: atx[1].length, text: atx[2].trim(), start: line.start, end: line.end });
      prev = null;
      continue;
    }
    const setext = /^ {0,3}(=+|-+)[ \t]*$/.exec(line.text);
    if (setext && prev && prev.text.trim() && !/^\s*([-*+]|\d+\.)\s/.test(prev.text)) {
      headings.push({ level: setext[1][0] === '=' ? 1 : 2, text: prev.text.trim(), start: prev.start, end: line.end });
      prev = null;
      continue;
    }
    prev = line.text.trim() ? line : null;
  }
  return headings;
}

/** reStructuredText: a title line underlined (optionally overlined) with punctuation; levels by first-seen order. */
export function rstHeadings(text: string): Heading[] {
  const headings: Heading[] = [];
  const order: string[] = [];
  const all = [...lines(text, 0)];
  for (let i = 1; i < all.length; i++) {
    const under = /^([=\-`:'"~^_*+#<>])\1{2,}\s*$/.exec(all[i].text);
    const title = all[i - 1];
    if (!under || !title.text.trim() || /^([=\-`:'"~^_*+#<>])\1{2,}\s*$/.test(title.text)) continue;
    if (under[0].trim().length < title.text.trim().length) continue;
    const overlined = i >= 2 && all[i - 2].text.trim() === under[0].trim();
    const key = (overlined ? 'o' : 'u') + under[1];
    if (!order.includes(key)) order.push(key);
    headings.push({ level: order.indexOf(key) + 1, text: title.text.trim(), start: title.start, end: all[i].end });
  }
  return headings;
}

/** AsciiDoc: `= Title`, `== Section`, ... outside `----` listing blocks. */
export function asciidocHeadings(text: string): Heading[] {
  const headings: Heading[] = [];
  let inBlock = false;
  for (const line of lines(text, 0)) {
    if (/^(-{4,}|\.{4,}|={4,})\s*$/.test(line.text)) {
      inBlock = !inBlock;
      continue;
    }
    if (inBlock) continue;
    const m = /^(={1,6})[ \t]+(.+?)\s*$/.exec(line.text);
    if (m) headings.push({ level: m[1].length, text: m[2], start: line.start, end: line.end });
  }
  return headings;
}

function* lines(text: string, from: number): Generator<{ text: string; start: number; end: number }> {
  let start = from;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const lineEnd = end > start && text[end - 1] === '\r' ? end - 1 : end;
    yield { text: text.slice(start, lineEnd), start, end: lineEnd };
    start = end + 1;
  }
}
