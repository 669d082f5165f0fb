import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approximateTokenCounter } from '../../../../src/core/chunking/approximate-token-counter';
import { inInputOrder, lengthFirstOrder } from '../../../../src/core/embed/batch-order';

describe('batch order for padded models', () => {
  it('longest first by the approximate token count, ties in input order, and back to input order', () => {
    const texts = ['short', 'a much longer text with many words in it', 'mid length text', 'tiny', 'mid length txt!', ''];
    const order = lengthFirstOrder(texts);
    assert.deepEqual([...order].sort((a, b) => a - b), texts.map((_, i) => i), 'a permutation: every input once');
    const counts = order.map((i) => approximateTokenCounter.count(texts[i]));
    for (let k = 1; k < counts.length; k++) assert.ok(counts[k - 1] >= counts[k], `not longest first at ${k}: ${counts.join(', ')}`);
    assert.equal(order[0], 1);
    // 'short' and 'tiny' count one token each: the earlier input goes first.
    assert.ok(order.indexOf(0) < order.indexOf(3));
    const computed = order.map((i) => `vector of ${texts[i]}`);
    assert.deepEqual(inInputOrder(order, computed), texts.map((t) => `vector of ${t}`));
  });
});
