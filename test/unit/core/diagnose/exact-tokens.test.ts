import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactTokens, exactTokensIn, occursVerbatim, tokenKind } from '../../../../src/core/diagnose/exact-tokens';

const kinds = (q: string) => exactTokens(q).map((t) => `${t.kind}:${t.token}`);

describe('identifier-like tokens (what makes a miss exact-match)', () => {
  it('finds each token kind', () => {
    assert.deepEqual(kinds('QS-4091'), ['code:QS-4091']);
    assert.deepEqual(kinds('QS-4012 clock'), ['code:QS-4012']);
    assert.deepEqual(kinds('is sha256 or ipv6 supported on s3'), ['code:sha256', 'code:ipv6', 'code:s3']);
    assert.deepEqual(kinds('what does max_poll_records do'), ['snake_case:max_poll_records']);
    assert.deepEqual(kinds('MAX_RETRIES default'), ['snake_case:MAX_RETRIES']);
    assert.deepEqual(kinds('set maxInflight on the producer'), ['camelCase:maxInflight']);
    assert.deepEqual(kinds('OpenID Connect provider'), ['camelCase:OpenID']);
    assert.deepEqual(kinds('what is retention.ms'), ['dotted:retention.ms']);
    assert.deepEqual(kinds('a.b.c'), ['dotted:a.b.c']);
    assert.deepEqual(kinds('breaking changes in 1.2.3'), ['version:1.2.3']);
    assert.deepEqual(kinds('migrate to v2'), ['version:v2']);
    assert.deepEqual(kinds('--max-inflight'), ['flag:--max-inflight']);
    assert.deepEqual(kinds('errors that say "payload too large"'), ['quoted:payload too large']);
    assert.deepEqual(kinds('the `acks` setting'), ['quoted:acks']);
    assert.deepEqual(kinds("what does 'at least once' mean"), ['quoted:at least once']);
    assert.deepEqual(kinds('what is `max_poll_records`'), ['quoted:max_poll_records', 'snake_case:max_poll_records']);
  });

  it('keeps a token whole through the punctuation around it, and drops a sentence-final period', () => {
    assert.deepEqual(kinds('What does QS-4091 mean?'), ['code:QS-4091']);
    assert.deepEqual(kinds('(see retention.ms).'), ['dotted:retention.ms']);
    assert.deepEqual(kinds('upgrade to 1.2.3.'), ['version:1.2.3']);
    assert.deepEqual(kinds('set it in settings.json.'), ['dotted:settings.json']);
  });

  it('finds nothing in natural language', () => {
    for (const q of [
      'who do I page for a full outage',
      'can an acknowledged publish be lost',
      'how do I rotate an API key without downtime',
      'what backoff do the SDKs use when retrying',
      'why do my consumers keep getting the same message twice.',
      'The end.',
      'use a fallback, e.g. a retry',
      'i.e. the broker',
      'wait 10ms or 24h for the 2nd retry, 4KiB batches, 3x faster',
      "don't retry, it's the consumer's job",
      'is 1.5 the ratio',
      'well-known single-sign-on flow',
    ]) assert.deepEqual(kinds(q), [], q);
  });

  it('classifies single words', () => {
    assert.equal(tokenKind('outage'), undefined);
    assert.equal(tokenKind('API'), undefined);
    assert.equal(tokenKind('e.g.'), undefined);
    assert.equal(tokenKind('4091'), undefined, 'a bare number is not an identifier');
    assert.equal(tokenKind('E1234'), 'code');
  });

  it('counts a token only when it occurs verbatim, case-insensitively, as a whole token', () => {
    assert.ok(occursVerbatim('QS-4091', '## qs-4091: clock skew'));
    assert.ok(!occursVerbatim('QS-40', 'QS-4091'));
    assert.ok(!occursVerbatim('v2', 'v21 is out'));
    assert.ok(occursVerbatim('payload too large', 'the server says payload\n too large'));
    assert.ok(occursVerbatim('retention.ms', 'Set `retention.ms` to 0.'));
    assert.ok(!occursVerbatim('retention.ms', 'retention of 5 ms'));
    assert.deepEqual(exactTokensIn('QS-4091 and QS-9999', 'QS-4091 means a clock skew').map((t) => t.token), ['QS-4091']);
    assert.deepEqual(exactTokensIn('who do I page for a full outage', 'Page the on-call for a full outage.'), []);
  });
});
