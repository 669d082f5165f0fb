import { approximateTokenCounter } from '../chunking/approximate-token-counter';

/**
 * The order a padded model (transformers.js) embeds a call's texts in: longest first by the approximate token
 * count, ties in input order. A batch is padded to its longest text, so batches of texts of like length waste less
 * work on padding (SciFact's first 1,000 documents as 1,810 markdown chunks, in groups of 256 and batches of 32:
 * 754k token positions in input order, 477k in this order, 430k by the model's own tokenizer; the attention's
 * squared term 317M → 164M); longest first also leaves the short batches for the end, where they even out the
 * processes. The approximation and not the tokenizer, so the pool (which has no tokenizer) and a model process cut
 * the same batches from the same texts: the vectors stay the same bits whatever the process count.
 * Returns the permutation: position k of the embedding order holds input `order[k]`.
 */
export function lengthFirstOrder(texts: readonly string[]): number[] {
  const key = texts.map((t) => approximateTokenCounter.count(t));
  return texts.map((_, i) => i).sort((a, b) => key[b] - key[a] || a - b);
}

/** Puts vectors computed in `order` back in input order. */
export function inInputOrder<T>(order: readonly number[], computed: readonly T[]): T[] {
  const out = new Array<T>(computed.length);
  order.forEach((input, k) => (out[input] = computed[k]));
  return out;
}
