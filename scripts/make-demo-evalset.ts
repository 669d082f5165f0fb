/**
 * Writes demo/.retrieval-lens/evalset.jsonl from the human-written list below: each judgment names a file and a
 * quote; the script finds the quote (it must occur exactly once) and stores a text-quote selector with offsets.
 * Run: node --import tsx scripts/make-demo-evalset.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDocument } from '../src/core/corpus/build-document';
import { makeSpanTarget } from '../src/core/eval/span-anchor';
import type { EvalQuery, Grade, Split } from '../src/core/eval/evalset-types';
import type { MetadataFilter } from '../src/core/retrieve/types';

const demo = path.join(__dirname, '..', 'demo');

interface Spec {
  id: string;
  text: string;
  split: Split;
  filter?: MetadataFilter;
  judgments: Array<{ doc: string; quote: string; grade: Grade; note?: string }>;
}

const SPECS: Spec[] = [
  { id: 'rotate-keys', split: 'eval', text: 'how do I rotate an API key without downtime', judgments: [{ doc: 'docs/guides/authentication.md', grade: 3, quote: 'Rotation is a two-step process so that no\nclient is cut off' }] },
  { id: 'sso', split: 'eval', text: 'can we use single sign-on with our OpenID Connect provider', judgments: [{ doc: 'docs/guides/authentication.md', grade: 3, quote: 'Quillstream supports any\nOpenID Connect provider' }] },
  { id: 'backoff', split: 'eval', text: 'what backoff do the SDKs use when retrying', judgments: [{ doc: 'docs/guides/retries.md', grade: 3, quote: 'Retries wait with exponential backoff and full jitter' }] },
  { id: 'max-inflight', split: 'eval', text: '--max-inflight', judgments: [{ doc: 'docs/guides/retries.md', grade: 3, quote: 'The `--max-inflight` flag (SDK option `maxInflight`) limits how many publish requests one client has\noutstanding.', note: 'designed: exact-match' }] },
  { id: 'qs-4091', split: 'eval', text: 'QS-4091', judgments: [{ doc: 'docs/troubleshooting/error-codes.md', grade: 3, quote: 'The consumer sent a lease token for a partition that has since been assigned to another member of its group.', note: 'designed: exact-match' }] },
  { id: 'qs-4012', split: 'eval', text: 'QS-4012 clock', judgments: [{ doc: 'docs/troubleshooting/error-codes.md', grade: 3, quote: 'the clock on the client machine is usually wrong by more than five\nminutes', note: 'designed: exact-match' }] },
  { id: 'same-message-again', split: 'eval', text: 'why do my consumers keep getting the same message twice', judgments: [{ doc: 'docs/guides/delivery-semantics.md', grade: 3, quote: 'a consumer can see the same event again after a failure', note: 'designed: semantic (paraphrase, no shared words)' }] },
  { id: 'retention-cloud', split: 'eval', text: 'how long are events kept before deletion', filter: { frontMatter: { product: 'cloud' } }, judgments: [{ doc: 'docs/guides/data-retention.md', grade: 3, quote: 'every topic keeps events for **7 days** by default' }] },
  { id: 'retention-self-hosted', split: 'eval', text: 'is there a maximum retention period on our own brokers', filter: { frontMatter: { product: 'cloud' } }, judgments: [{ doc: 'docs/guides/data-retention-self-hosted.md', grade: 3, quote: 'Self-hosted clusters have no upper limit on retention', note: 'designed: filtered-out (the cloud filter removes the self-hosted page)' }] },
  { id: 'v1-migration', split: 'eval', text: 'how to migrate from stream keys to API keys', judgments: [{ doc: 'archive/v1-migration.md', grade: 3, quote: 'replace the `X-Stream-Key` header with `Authorization: Bearer <key>`', note: 'designed: missing-document (archive/ is excluded)' }] },
  { id: 'session-vs-heartbeat', split: 'eval', text: 'what happens to my consumer if heartbeats stop for longer than the session timeout', judgments: [
    { doc: 'docs/reference/configuration.md', grade: 3, quote: 'the\nbroker evicts it from the group and triggers a rebalance', note: 'designed: chunking (buried in a long page)' },
    { doc: 'docs/reference/configuration.md', grade: 2, quote: 'The session\ntimeout must be at least three times the heartbeat interval' },
  ] },
  { id: 'static-membership', split: 'eval', text: 'how can a restarting pod rejoin the consumer group without a rebalance', judgments: [{ doc: 'docs/guides/consumer-groups.md', grade: 3, quote: 'Static membership: give each member a stable `member_id`', note: 'designed: chunking (one sentence diluted in a long section)' }] },
  { id: 'hwm-behind', split: 'eval', text: 'how far behind the newest record is a consumer group', judgments: [{ doc: 'docs/internal/runbook-lag.md', grade: 2, quote: "a group's committed LSN trails the HWM by more than 100,000 records", note: 'designed: semantic (needs HWM/LSN knowledge)' }, { doc: 'docs/troubleshooting/slow-consumers.md', grade: 2, quote: 'shows, per partition, the newest offset, the committed offset and the difference' }] },
  { id: 'dlq', split: 'eval', text: 'where do webhook events go when my endpoint keeps failing', judgments: [{ doc: 'docs/guides/webhooks.md', grade: 3, quote: "the event goes to the subscription's dead-letter queue" }] },
  { id: 'batch-size', split: 'eval', text: 'when does the SDK send a batch', judgments: [{ doc: 'docs/guides/batching.md', grade: 3, quote: 'a batch is sent when it holds 500 events, reaches 1 MiB, or has waited 50 ms' }] },
  { id: 'partition-count', split: 'eval', text: 'can I reduce the number of partitions of a topic', judgments: [{ doc: 'docs/api/topics.md', grade: 3, quote: 'Partition counts can only grow.', note: 'designed: ranking (many pages mention partitions)' }] },
  { id: 'disk-full', split: 'eval', text: 'brokers refuse writes because storage is almost exhausted', judgments: [{ doc: 'docs/guides/data-retention-self-hosted.md', grade: 2, quote: "When a broker's disk is more than 90% full it refuses new publishes with `QS-5070`" }, { doc: 'docs/troubleshooting/error-codes.md', grade: 2, quote: "Self-hosted only: a broker's disk is over 90% full." }] },
  { id: 'acks', split: 'eval', text: 'can an acknowledged publish be lost', judgments: [{ doc: 'docs/reference/configuration.md', grade: 3, quote: 'With `leader`, a publish can be acknowledged and then lost if the leader fails before replicating it.' }, { doc: 'docs/guides/delivery-semantics.md', grade: 2, quote: 'An event that was acknowledged to its producer is never lost' }] },
  { id: 'schema-reject', split: 'eval', text: 'events rejected because they do not match the schema', judgments: [{ doc: 'docs/guides/schema-registry.md', grade: 3, quote: 'the broker rejects events that do not match it with\n`QS-4220`' }] },
  { id: 'proxy', split: 'eval', text: 'does the SDK work behind a corporate proxy', judgments: [{ doc: 'docs/troubleshooting/connectivity.txt', grade: 3, quote: 'the SDKs honour HTTPS_PROXY.' }] },
  { id: 'sev1', split: 'eval', text: 'who do I page for a full outage', judgments: [{ doc: 'docs/internal/oncall.rst', grade: 3, quote: 'Page the incident commander at once.' }] },
  // Train split: labeled while reading, used only for training-data export, never for the eval numbers.
  { id: 't-idempotency-key', split: 'train', text: 'stop producer retries from creating new events', judgments: [{ doc: 'docs/guides/delivery-semantics.md', grade: 3, quote: 'Producers may attach an **idempotency key** to each publish.' }] },
  { id: 't-compression', split: 'train', text: 'how much bandwidth does compression save', judgments: [{ doc: 'docs/guides/batching.md', grade: 3, quote: 'Compression usually cuts bandwidth by 70% for JSON\nevents' }] },
  { id: 't-rate-limit', split: 'train', text: 'what should I do when I am rate limited', judgments: [{ doc: 'docs/troubleshooting/error-codes.md', grade: 3, quote: 'Wait for the number of seconds in `Retry-After`' }] },
  { id: 't-rebalance', split: 'train', text: 'why does my consumer group pause all the time', judgments: [{ doc: 'docs/guides/consumer-groups.md', grade: 3, quote: 'Frequent rebalances usually mean members are too slow between\npolls or have timeouts set too tight' }] },
  { id: 't-webhook-signature', split: 'train', text: 'verify that a webhook came from Quillstream', judgments: [{ doc: 'docs/guides/webhooks.md', grade: 3, quote: 'an HMAC-SHA256 over `t + "." + body`' }] },
  { id: 't-hot-partition', split: 'train', text: 'one consumer does all the work while others idle', judgments: [{ doc: 'docs/troubleshooting/slow-consumers.md', grade: 3, quote: 'one key receiving most events pins all of them to one member' }] },
  { id: 't-tokens', split: 'train', text: 'kubernetes workload identity tokens', judgments: [{ doc: 'docs/guides/authentication.md', grade: 3, quote: 'exchange their workload identity for a token that lives 15 minutes' }] },
  { id: 't-auto-commit', split: 'train', text: 'is auto commit safe', judgments: [{ doc: 'docs/reference/configuration.md', grade: 3, quote: 'Auto-commit can\ncommit events your handler has not finished' }] },
];

const lines: string[] = [];
for (const spec of SPECS) {
  const q: EvalQuery = { id: spec.id, text: spec.text, split: spec.split, judgments: [] };
  if (spec.filter) q.filter = spec.filter;
  for (const j of spec.judgments) {
    const text = buildDocument(j.doc, fs.readFileSync(path.join(demo, j.doc), 'utf8')).doc.text;
    const at = text.indexOf(j.quote);
    if (at < 0) throw new Error(`${spec.id}: quote not found in ${j.doc}: ${JSON.stringify(j.quote)}`);
    if (text.indexOf(j.quote, at + 1) >= 0) throw new Error(`${spec.id}: quote occurs more than once in ${j.doc}`);
    q.judgments.push({ grade: j.grade, target: makeSpanTarget(j.doc, text, at, at + j.quote.length), ...(j.note ? { note: j.note } : {}) });
  }
  lines.push(JSON.stringify(q));
}
const out = path.join(demo, '.retrieval-lens', 'evalset.jsonl');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `// Quillstream demo eval set: one query per line (see docs/EVALSET.md). Generated by scripts/make-demo-evalset.ts.\n${lines.join('\n')}\n`);
console.log(`wrote ${SPECS.length} queries to ${out}`);
