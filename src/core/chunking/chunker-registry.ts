import type { Chunker, ChunkerConfig, ChunkerKind, TokenCounter } from './chunk';
import { approximateTokenCounter } from './approximate-token-counter';
import { createCodeChunker } from './code-chunker';
import { createFixedCharsChunker } from './fixed-chars-chunker';
import { createFixedTokensChunker } from './fixed-tokens-chunker';
import { createMarkdownChunker } from './markdown-chunker';
import { createRecursiveChunker } from './recursive-chunker';
import { createSentenceWindowChunker } from './sentence-window-chunker';
import { createWholeDocumentChunker } from './whole-document-chunker';

/** Each chunker's default config (sizes in characters, tokens for fixed-tokens, sentences for sentence-window). */
export const CHUNKER_DEFAULTS: Record<ChunkerKind, ChunkerConfig> = {
  'fixed-chars': { kind: 'fixed-chars', size: 800, overlap: 100 },
  'fixed-tokens': { kind: 'fixed-tokens', size: 200, overlap: 20 },
  recursive: { kind: 'recursive', size: 800, overlap: 100 },
  markdown: { kind: 'markdown', maxSize: 1500, minSize: 0 },
  'sentence-window': { kind: 'sentence-window', sentences: 3, overlap: 1 },
  code: { kind: 'code', maxSize: 1500 },
  'whole-document': { kind: 'whole-document' },
};

/**
 * A chunker's defaults with a size and overlap applied where the chunker has them: size is `size` (characters or
 * tokens), `maxSize` (markdown, code) or `sentences` (sentence-window); overlap applies to chunkers that overlap.
 * Undefined keeps the chunker's own default (the defaults differ per chunker). The editor and the CLI both build
 * their chunker here, so the same settings give the same chunks.
 */
export function sizedChunkerConfig(kind: ChunkerKind, size?: number, overlap?: number): ChunkerConfig {
  const base = { ...CHUNKER_DEFAULTS[kind] } as Record<string, unknown>;
  if (size !== undefined) {
    if ('size' in base) base.size = size;
    else if ('maxSize' in base) base.maxSize = size;
    else if ('sentences' in base) base.sentences = size;
  }
  if (overlap !== undefined && 'overlap' in base) base.overlap = overlap;
  return base as ChunkerConfig;
}

/**
 * Builds the chunker a config names; throws a clear Error for an invalid config (sizes not positive, overlap not
 * below size). `counter` measures chunk tokens (the embedding model's tokenizer when available) and places
 * fixed-tokens boundaries; without it the approximate counter is used.
 */
export function createChunker(config: ChunkerConfig, counter: TokenCounter = approximateTokenCounter): Chunker {
  validateChunkerConfig(config);
  switch (config.kind) {
    case 'whole-document':
      return createWholeDocumentChunker(config, counter);
    case 'fixed-chars':
      return createFixedCharsChunker(config, counter);
    case 'fixed-tokens':
      return createFixedTokensChunker(config, counter);
    case 'recursive':
      return createRecursiveChunker(config, counter);
    case 'sentence-window':
      return createSentenceWindowChunker(config, counter);
    case 'markdown':
      return createMarkdownChunker(config, counter);
    case 'code':
      return createCodeChunker(config, counter);
    default: {
      const kind: string = (config as { kind: string }).kind;
      throw new Error(`unknown chunker "${kind}" (known: ${Object.keys(CHUNKER_DEFAULTS).join(', ')})`);
    }
  }
}

export function validateChunkerConfig(c: ChunkerConfig): void {
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
      if (!Number.isInteger(c.sentences)) throw new Error(`chunker sentence-window: sentences must be a whole number, got ${c.sentences}`);
      if (!(Number.isInteger(c.overlap) && c.overlap >= 0 && c.overlap < c.sentences)) throw new Error(`chunker sentence-window: overlap must be a whole number ≥ 0 and < sentences (${c.sentences}), got ${c.overlap}`);
      if (c.maxChars !== undefined && !(Number.isInteger(c.maxChars) && c.maxChars > 0)) throw new Error(`chunker sentence-window: maxChars must be a whole number > 0, got ${c.maxChars}`);
      break;
    case 'markdown':
      positive(c.maxSize, 'maxSize');
      if (c.minSize !== undefined && !(c.minSize >= 0)) throw new Error(`chunker markdown: minSize must be ≥ 0, got ${c.minSize}`);
      break;
    case 'code':
      positive(c.maxSize, 'maxSize');
      break;
  }
}
