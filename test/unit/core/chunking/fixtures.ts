import { buildDocument } from '../../../../src/core/corpus/build-document';
import type { SourceDocument } from '../../../../src/core/corpus/document';

/** Hand-made documents covering front matter, code fences, tables, long sections, html and code. */
export function fixtureDocs(): SourceDocument[] {
  const md = [
    '---',
    'title: Retry guide',
    'product: cloud',
    '---',
    '# Retries',
    '',
    'Clients retry failed publishes with exponential backoff. The first retry waits 200 ms. Each later retry doubles the wait, up to 30 s.',
    '',
    '## Configuration',
    '',
    '| key | default | meaning |',
    '| --- | --- | --- |',
    '| retry.max | 5 | attempts before giving up |',
    '| retry.base_ms | 200 | first wait |',
    '',
    '```bash',
    'qs publish --max-inflight 64 --retries 5',
    'qs publish --dry-run',
    '```',
    '',
    '## Empty section',
    '',
    '## Long section',
    '',
    ...Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1} explains one more detail of the retry budget, e.g. how jitter spreads load. It also mentions Dr. Smith's rule of thumb, v2.1 behaviour and other abbreviations.`),
  ].join('\n');
  const txt = 'A single line without punctuation ' + 'word '.repeat(300);
  return [
    buildDocument('retries.md', md).doc,
    buildDocument('notes.txt', txt).doc,
    buildDocument('page.html', '<h1>Title</h1><p>First paragraph here.</p><p>Second paragraph, longer, with more text to split.</p>').doc,
    buildDocument('lib.py', 'import os\n\n@decorator\ndef f(x):\n    return x\n\nclass C:\n    def m(self):\n        pass\n').doc,
  ];
}
