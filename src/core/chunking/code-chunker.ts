import type { SourceDocument } from '../corpus/document';
import type { Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { rangeChunker } from './range-chunker';
import { recursiveRanges } from './recursive-chunker';
import type { Range } from './text-spans';

/** Languages whose top level the code chunker reads; everything else falls back to recursive splitting. */
const DECLARATION: Record<string, RegExp> = {
  typescript: /^(?:export|default|declare|async|function|class|abstract|interface|type|enum|namespace|module|const|let|var)\b/,
  javascript: /^(?:export|default|async|function|class|const|let|var)\b/,
  python: /^(?:async[ \t]+def|def|class)\b/,
  go: /^(?:func|type|var|const)\b/,
  rust: /^(?:pub|fn|async|unsafe|impl|struct|enum|trait|mod|const|static|type|macro_rules!|extern)\b/,
  java: /^(?:public|private|protected|abstract|final|sealed|static|class|interface|enum|record|@interface)\b/,
  kotlin: /^(?:fun|class|interface|object|data|sealed|enum|abstract|open|private|internal|public|val|var)\b/,
  csharp: /^(?:public|private|protected|internal|static|abstract|sealed|partial|class|interface|enum|struct|record|namespace)\b/,
  scala: /^(?:def|class|object|trait|case|sealed|abstract|final|implicit|val|var)\b/,
  swift: /^(?:func|class|struct|enum|protocol|extension|public|private|internal|final|let|var)\b/,
  php: /^(?:function|class|interface|trait|enum|abstract|final)\b/,
  ruby: /^(?:def|class|module)\b/,
  // C and C++ declarations start with a type, so they are found by their blocks closing at the top level (below).
  c: /^(?:struct|enum|union|typedef)\b/,
  cpp: /^(?:struct|enum|union|typedef|class|namespace|template)\b/,
  shellscript: /^(?:function\b|[A-Za-z_][\w-]*[ \t]*\(\)[ \t]*\{?)/,
};
DECLARATION.typescriptreact = DECLARATION.typescript;
DECLARATION.javascriptreact = DECLARATION.javascript;

/** Lines directly above a declaration that belong to it: comments, decorators, annotations, attributes. */
const LEAD_BRACE = /^(?:\/\/|\/\*|\*|@|#\[)/;
const LEAD_PYTHON = /^(?:@|#)/;
const LEAD_RUBY = /^#/;

/**
 * Top-level declarations of source files, without a parser:
 * - Python (and Ruby) by indentation: a `def`, `async def` or `class` (Ruby: `def`, `class`, `module`) at column 0,
 *   outside triple-quoted strings, starts a block.
 * - Brace languages (ts/js/go/rs/java/kotlin/c#/scala/swift/php/c/c++/shell) by brace depth, tracked with a small
 *   lexer that skips strings, template literals, raw strings, char literals and comments: a line at depth 0 starts
 *   a block when it begins at column 0 with a declaration keyword of its language (DECLARATION), or when the line
 *   before it closed a block back to depth 0 (that finds C functions, whose first word is a type).
 * - In both, a top-level line at column 0 after a blank line starts a block too (top-level statements separated by
 *   blank lines), unless it begins with a closing bracket.
 * Comments, decorators, annotations and attributes directly above a declaration stay with it. Consecutive flat
 * blocks (every line at the top level and at column 0: imports, constants) stay together. Blocks over `maxSize` characters, and documents in other languages,
 * are split recursively (blank lines first, which in code usually fall between members).
 */
export function codeBlockRanges(doc: SourceDocument, maxSize: number): Range[] {
  const { text, bodyStart } = doc;
  const language = doc.language;
  const decl = DECLARATION[language];
  if (!decl) return recursiveRanges(text, bodyStart, text.length, maxSize, 0);
  const indentation = language === 'python' || language === 'ruby';
  const lead = language === 'python' ? LEAD_PYTHON : language === 'ruby' ? LEAD_RUBY : LEAD_BRACE;
  const lines = lineStarts(text, bodyStart);
  const state = indentation ? pythonTopLevel(text, lines) : braceTopLevel(text, lines, language);
  const lineText = (i: number) => text.slice(lines[i], i + 1 < lines.length ? lines[i + 1] : text.length).replace(/\r?\n$/, '');
  const starts: number[] = [];
  let closed = false;
  let afterBlank = false;
  for (let i = 0; i < lines.length; i++) {
    const t = lineText(i);
    const blank = !t.trim();
    const opener = !/^[\s}\])]/.test(t);
    if (state.topLevel[i] && !blank && (decl.test(t) || (opener && (closed || afterBlank)))) {
      let k = i;
      while (k > 0 && lead.test(lineText(k - 1).trimStart()) && state.topLevel[k - 1]) k--;
      if (!starts.length || starts[starts.length - 1] < k) starts.push(k);
    }
    if (!blank) closed = state.closesBlock[i];
    afterBlank = blank;
  }
  if (!starts.length || starts[0] !== 0) starts.unshift(0);
  // Blocks as line ranges; runs of flat blocks (imports, constants) are kept together.
  const blocks: Array<{ first: number; end: number; flat: boolean }> = [];
  for (let b = 0; b < starts.length; b++) {
    const first = starts[b];
    const end = b + 1 < starts.length ? starts[b + 1] : lines.length;
    const flat = isFlat(first, end, lineText, state.topLevel);
    const prev = blocks[blocks.length - 1];
    if (prev && prev.flat && flat) prev.end = end;
    else blocks.push({ first, end, flat });
  }
  const offset = (line: number) => (line < lines.length ? lines[line] : text.length);
  return blocks.flatMap(({ first, end }): Range[] => {
    const [s, e] = [offset(first), offset(end)];
    return e - s <= maxSize ? [[s, e]] : recursiveRanges(text, s, e, maxSize, 0);
  });
}

/** A block whose every line sits at the top level at column 0: imports, constants, one-line statements. */
function isFlat(a: number, b: number, lineText: (i: number) => string, topLevel: boolean[]): boolean {
  for (let i = a; i < b; i++) {
    const t = lineText(i);
    if (t.trim() && (!topLevel[i] || /^\s/.test(t))) return false;
  }
  return true;
}

function lineStarts(text: string, from: number): number[] {
  const out: number[] = [];
  for (let p = from; p < text.length; ) {
    out.push(p);
    const nl = text.indexOf('\n', p);
    p = nl < 0 ? text.length : nl + 1;
  }
  return out;
}

interface TopLevel {
  /** Line i starts at the top level (depth 0, outside strings and comments). */
  topLevel: boolean[];
  /** Line i ends a block: it started nested and returned to depth 0. */
  closesBlock: boolean[];
}

/** Python/Ruby: every line is top level unless it starts inside a triple-quoted string; indentation decides the rest. */
function pythonTopLevel(text: string, lines: number[]): TopLevel {
  const topLevel: boolean[] = [];
  const closesBlock: boolean[] = [];
  let inTriple: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = text.slice(lines[i], i + 1 < lines.length ? lines[i + 1] : text.length);
    topLevel.push(inTriple === null && !/^[ \t]/.test(line));
    closesBlock.push(false);
    for (const m of line.matchAll(/"""|'''|#.*$/gm)) {
      if (m[0][0] === '#') {
        if (inTriple === null) break;
        continue;
      }
      if (inTriple === null) inTriple = m[0];
      else if (inTriple === m[0]) inTriple = null;
    }
  }
  return { topLevel, closesBlock };
}

/** Brace languages: depth of `{}` at each line start, skipping comments, strings and char literals. */
function braceTopLevel(text: string, lines: number[], language: string): TopLevel {
  const topLevel: boolean[] = [];
  const closesBlock: boolean[] = [];
  let depth = 0;
  let mode: 'code' | 'block-comment' | 'template' | 'raw' = 'code';
  const backtickMultiline = language === 'typescript' || language === 'typescriptreact' || language === 'javascript' || language === 'javascriptreact' || language === 'go' || language === 'kotlin';
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i];
    const end = i + 1 < lines.length ? lines[i + 1] : text.length;
    topLevel.push(depth === 0 && mode === 'code');
    const startDepth = depth;
    let sawClose = false;
    for (let p = start; p < end; p++) {
      const c = text[p];
      if (mode === 'block-comment') {
        if (c === '*' && text[p + 1] === '/') {
          mode = 'code';
          p++;
        }
        continue;
      }
      if (mode === 'template' || mode === 'raw') {
        if (c === '\\' && mode === 'template') p++;
        else if (c === '`') mode = 'code';
        continue;
      }
      if (c === '/' && text[p + 1] === '/') break;
      if (c === '#' && (language === 'shellscript' || language === 'php') && (p === start || /\s/.test(text[p - 1]))) break;
      if (c === '/' && text[p + 1] === '*') {
        mode = 'block-comment';
        p++;
        continue;
      }
      if (c === '`' && backtickMultiline) {
        mode = language === 'go' ? 'raw' : 'template';
        continue;
      }
      if (c === '"' || c === "'") {
        if (c === "'" && language === 'rust') {
          const lit = /^'(?:\\.[^']*|[^'\\])'/.exec(text.slice(p, Math.min(end, p + 12)));
          if (lit) p += lit[0].length - 1;
          continue; // a lifetime ('a) otherwise
        }
        let q = p + 1;
        while (q < end && text[q] !== c && text[q] !== '\n') q += text[q] === '\\' ? 2 : 1;
        p = q;
        continue;
      }
      if (c === '{') depth++;
      else if (c === '}') {
        depth = Math.max(0, depth - 1);
        sawClose = true;
      }
    }
    closesBlock.push(sawClose && depth === 0 && mode === 'code' && startDepth > 0);
  }
  return { topLevel, closesBlock };
}

export function createCodeChunker(config: Extract<ChunkerConfig, { kind: 'code' }>, counter: TokenCounter): Chunker {
  return rangeChunker(config, counter, (doc) => codeBlockRanges(doc, config.maxSize));
}
