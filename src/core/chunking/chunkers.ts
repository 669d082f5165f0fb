import type { SourceDocument } from '../corpus/document';
import { CODE_LANGUAGES } from '../corpus/language';
import type { Chunk, Chunker, ChunkerConfig, TokenCounter } from './chunk';
import { chunkerKey } from './chunker-key';
import { approximateTokenCounter } from './approximate-token-counter';
import { makeChunks } from './make-chunks';
import { mergePieces, splitPieces } from './recursive-split';
import { sentenceRanges, type Range } from './text-spans';

export const CHUNKER_DEFAULTS: Record<ChunkerConfig['kind'], ChunkerConfig> = {
  'fixed-chars': { kind: 'fixed-chars', size: 800, overlap: 100 },
  'fixed-tokens': { kind: 'fixed-tokens', size: 200, overlap: 20 },
  recursive: { kind: 'recursive', size: 800, overlap: 100 },
  markdown: { kind: 'markdown', maxSize: 1500, minSize: 0 },
  'sentence-window': { kind: 'sentence-window', sentences: 3, overlap: 1 },
  code: { kind: 'code', maxSize: 1500 },
  'whole-document': { kind: 'whole-document' },
};

/** Builds the chunker a config names. Token-based chunkers use `counter` (the model's tokenizer when available). */
export function createChunker(config: ChunkerConfig, counter: TokenCounter = approximateTokenCounter): Chunker {
  validate(config);
  const key = chunkerKey(config);
  const chars = (_t: string) => (s: number, e: number) => e - s;
  const ranges = (doc: SourceDocument): Range[] => {
    const s = doc.bodyStart;
    const e = doc.text.length;
    const t = doc.text;
    switch (config.kind) {
      case 'whole-document':
        return [[s, e]];
      case 'fixed-chars': {
        const out: Range[] = [];
        for (let p = s; p < e; p += config.size - config.overlap) {
          out.push([p, Math.min(e, p + config.size)]);
          if (p + config.size >= e) break;
        }
        return out;
      }
      case 'fixed-tokens':
        return fixedTokens(t, s, e, config.size, config.overlap, counter);
      case 'recursive':
        return mergePieces(splitPieces(t, s, e, config.size, chars(t)), config.size, config.overlap, chars(t));
      case 'sentence-window': {
        const sentences = sentenceRanges(t, s, e);
        const out: Range[] = [];
        const step = config.sentences - config.overlap;
        for (let i = 0; i < sentences.length; i += step) {
          const last = Math.min(sentences.length, i + config.sentences) - 1;
          out.push([sentences[i][0], sentences[last][1]]);
          if (last === sentences.length - 1) break;
        }
        return out;
      }
      case 'markdown':
        return markdownSections(doc, config.maxSize, config.minSize ?? 0);
      case 'code':
        return codeBlocks(doc, config.maxSize);
    }
  };
  return {
    key,
    config,
    chunk: (doc: SourceDocument): Chunk[] => makeChunks(doc, ranges(doc), key, counter),
  };
}

function validate(c: ChunkerConfig): void {
  const positive = (n: number, name: string) => {
    if (!Number.isFinite(n) || n <= 0) throw new Error(`chunker ${c.kind}: ${name} must be a positive number, got ${n}`);
  };
  switch (c.kind) {
    case 'fixed-chars':
    case 'fixed-tokens':
    case 'recursive':
      positive(c.size, 'size');
      if (!(c.overlap >= 0 && c.overlap < c.size)) throw new Error(`chunker ${c.kind}: overlap must be ≥ 0 and < size (${c.size}), got ${c.overlap}`);
      break;
    case 'sentence-window':
      positive(c.sentences, 'sentences');
      if (!(c.overlap >= 0 && c.overlap < c.sentences)) throw new Error(`chunker sentence-window: overlap must be ≥ 0 and < sentences, got ${c.overlap}`);
      break;
    case 'markdown':
    case 'code':
      positive(c.maxSize, 'maxSize');
      break;
  }
}

const WORD = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

/**
 * Windows of at most `size` tokens under `counter`, stepping back `overlap` tokens. Boundaries fall between
 * word/punctuation segments, so offsets stay exact characters whatever the tokenizer.
 */
function fixedTokens(text: string, start: number, end: number, size: number, overlap: number, counter: TokenCounter): Range[] {
  const segs: Range[] = [];
  for (const m of text.slice(start, end).matchAll(WORD)) segs.push([start + m.index, start + m.index + m[0].length]);
  const out: Range[] = [];
  const count = (i: number, j: number) => counter.count(text.slice(segs[i][0], segs[j][1]));
  let i = 0;
  while (i < segs.length) {
    // Largest j with count(i..j) <= size, by doubling then bisection (few tokenizer calls per chunk).
    let lo = i;
    let hi = i;
    let stepSize = 1;
    while (hi + 1 < segs.length && count(i, Math.min(segs.length - 1, hi + stepSize)) <= size) {
      lo = hi = Math.min(segs.length - 1, hi + stepSize);
      stepSize *= 2;
    }
    let top = Math.min(segs.length - 1, hi + stepSize);
    while (lo < top) {
      const mid = Math.ceil((lo + top) / 2);
      if (count(i, mid) <= size) lo = mid;
      else top = mid - 1;
    }
    const j = lo;
    out.push([segs[i][0], segs[j][1]]);
    if (j >= segs.length - 1) break;
    let next = j + 1;
    while (next - 1 > i && count(next - 1, j) <= overlap) next--;
    i = next;
  }
  return out;
}

/** One range per heading section; oversized sections split recursively; tiny ones merged forward up to maxSize. */
function markdownSections(doc: SourceDocument, maxSize: number, minSize: number): Range[] {
  const { text, bodyStart } = doc;
  const starts = [bodyStart, ...doc.headings.map((h) => h.start).filter((s) => s > bodyStart)];
  const sections: Range[] = starts.map((s, i) => [s, i + 1 < starts.length ? starts[i + 1] : text.length]);
  const merged: Range[] = [];
  for (const sec of sections) {
    const prev = merged[merged.length - 1];
    if (prev && prev[1] - prev[0] < minSize && sec[1] - prev[0] <= maxSize) prev[1] = sec[1];
    else merged.push([...sec]);
  }
  const len = (s: number, e: number) => e - s;
  return merged.flatMap(([s, e]) => (e - s <= maxSize ? [[s, e] as Range] : mergePieces(splitPieces(text, s, e, maxSize, len), maxSize, 0, len)));
}

/**
 * Top-level declarations of code files. Recognised at column 0: Python `def`/`class`/`async def` (with decorators),
 * and for brace languages lines starting with function/class/interface/type/enum/struct/impl/fn/func/def/const/let/
 * var/export/public/private/protected/static/abstract. Comments and decorators directly above stay with their
 * declaration. Non-code documents and oversized blocks fall back to recursive splitting.
 */
function codeBlocks(doc: SourceDocument, maxSize: number): Range[] {
  const { text, bodyStart } = doc;
  const len = (s: number, e: number) => e - s;
  const recursive = (s: number, e: number) => mergePieces(splitPieces(text, s, e, maxSize, len), maxSize, 0, len);
  if (!CODE_LANGUAGES.has(doc.language)) return recursive(bodyStart, text.length);
  const decl = doc.language === 'python'
    ? /^(?:async\s+def|def|class)\b/
    : /^(?:export|default|async|function|class|interface|type|enum|struct|impl|fn|func|def|const|let|var|public|private|protected|static|abstract|pub|module|namespace|package)\b/;
  const lead = doc.language === 'python' ? /^(?:@|#)/ : /^(?:\/\/|\/\*|\*|@|#\[)/;
  const lineStarts: number[] = [];
  for (let p = bodyStart; p < text.length; ) {
    lineStarts.push(p);
    const nl = text.indexOf('\n', p);
    p = nl < 0 ? text.length : nl + 1;
  }
  const cuts: number[] = [bodyStart];
  for (let i = 0; i < lineStarts.length; i++) {
    const line = text.slice(lineStarts[i], text.indexOf('\n', lineStarts[i]) < 0 ? text.length : text.indexOf('\n', lineStarts[i]));
    if (!decl.test(line)) continue;
    let k = i;
    while (k > 0 && lead.test(text.slice(lineStarts[k - 1], lineStarts[k] - 1).trimStart())) k--;
    const cut = lineStarts[k];
    if (cut > cuts[cuts.length - 1]) cuts.push(cut);
  }
  const blocks: Range[] = cuts.map((c, i) => [c, i + 1 < cuts.length ? cuts[i + 1] : text.length]);
  return blocks.flatMap(([s, e]) => (e - s <= maxSize ? [[s, e] as Range] : recursive(s, e)));
}
