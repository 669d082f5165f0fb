import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeMarkdownText, escapeThemeIcons, joinMarkdown, markdownCodeBlock, markdownCodeSpan, md, plainMessageText } from '../../../src/extension/markdown-escape';

/**
 * The escaped forms are rendered by a real CommonMark renderer (markdown-it, already installed with the packager),
 * with HTML on and linkify on (stricter than the workbench's hovers, which drop HTML): workspace text must come out
 * as exactly that text, with no element of its own.
 */
type Renderer = { render(src: string): string; renderInline(src: string): string };
// markdown-it ships no types and is not imported anywhere else: a typed require keeps it out of the build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MarkdownIt = require('markdown-it') as new (options: Record<string, unknown>) => Renderer;
const renderers: Array<[string, Renderer]> = [
  ['html + linkify', new MarkdownIt({ html: true, linkify: true })],
  ['no html + linkify', new MarkdownIt({ html: false, linkify: true })],
];

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** What a piece of text must render as: its characters, whitespace runs as one space (a paragraph drops them at its ends). */
const shown = (s: string) => escapeHtml(s.replace(/\s+/g, ' ').trim());
const shownAfter = (s: string) => escapeHtml(s.replace(/\s+/g, ' ').trimEnd());

const ORIGIN = 'http://127.0.0.1:9';
const HOSTILE = [
  `![x](${ORIGIN}/p.png)`,
  `[cmd](command:workbench.action.quit)`,
  `[cmd](command:workbench.action.quit "title")`,
  `[[nested](${ORIGIN}/a)](${ORIGIN}/b)`,
  `![a[b]c](${ORIGIN}/c) and [x][ref]\n\n[ref]: ${ORIGIN}/r`,
  `<img src="${ORIGIN}/i.png" onerror="alert(1)">`,
  `<script>alert(1)</script>`,
  `<${ORIGIN}/autolink>`,
  `<mailto:a@b.co>`,
  `bare ${ORIGIN}/p.png and https://127.0.0.1:9/s.png and www.example.com and a@b.co`,
  `&lt;img src=x&gt; &amp; &#60; &#x3C; &copy;`,
  'a `code` span and ``two `` ticks and ``` three',
  '```\nfenced\n```',
  '**bold** __bold__ *em* _em_ ~~del~~ ~sub~',
  '# heading',
  '## heading ##',
  '> quote',
  '- item',
  '+ item',
  '* item',
  '1. item',
  '1) item',
  '| a | b |\n|---|---|\n| 1 | 2 |',
  'title\n===',
  'title\n---',
  '---',
  '***',
  '    indented code',
  '\tindented code',
  'line one\n# heading\n> quote\n- item\n1. item\n| a |',
  'line one\r\nline two\rline three\u2028four',
  'trailing two spaces  \nhard break',
  'backslash \\ at end \\',
  '\\*already escaped\\*',
  '$(zap) $(alert~spin) theme icons',
  '{{7*7}} ${x} %s :smile: @mention #123',
  'C:\\path\\to\\file.md',
  '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
];

describe('escapeMarkdownText', () => {
  it('escapes every ASCII punctuation character and nothing else', () => {
    const punct = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
    for (const ch of punct) assert.equal(escapeMarkdownText(ch), `\\${ch}`, ch);
    assert.equal(escapeMarkdownText('abc XYZ 123 é 中文 😀'), 'abc XYZ 123 é 中文 😀');
  });

  it('makes a piece one line: whitespace runs (line breaks, tabs) become one space', () => {
    assert.equal(escapeMarkdownText('a\n\n# b\r\n\tc'), 'a \\# b c');
    assert.ok(!/[\r\n\t]/.test(escapeMarkdownText('x\ny\rz\u2028w\tv')));
  });

  for (const [name, r] of renderers) {
    it(`renders every hostile piece as its own text, inside a paragraph and at a block start (${name})`, () => {
      for (const text of HOSTILE) {
        const inline = md`**Query:** ${text}`.value;
        assert.equal(r.render(inline), `<p><strong>Query:</strong> ${shownAfter(text)}</p>\n`, JSON.stringify(text));
        const alone = md`${text}`.value;
        assert.equal(r.render(alone), `<p>${shown(text)}</p>\n`, JSON.stringify(text));
        const listItem = md`- ${text}`.value;
        assert.equal(r.render(listItem), `<ul>\n<li>${shown(text)}</li>\n</ul>\n`, JSON.stringify(text));
      }
    });
  }

  it('VS Code appendText alone would not do: its escape set leaves bare URLs, HTML and entities live', () => {
    // VS Code 1.100 MarkdownString.appendText: `text.replace(/[\\`*_{}[\]()#+\-!~]/g, '\\$&')` then `>` escaped.
    const appendText = (s: string) => s.replace(/[\\`*_{}[\]()#+\-!~]/g, '\\$&').replace(/>/g, '\\>');
    const r = renderers[0][1];
    assert.match(r.render(appendText(`see ${ORIGIN}/p.png`)), /<a href=/, 'a bare URL becomes a link');
    assert.match(r.render(appendText('&lt;b&gt;')), /&lt;b&gt;<\/p>/, 'an entity is decoded to the character it names');
    assert.match(r.render(appendText('<img src=x>')), /<img src=x/, 'an HTML tag is HTML');
    for (const s of [`see ${ORIGIN}/p.png`, '&lt;b&gt;', '<img src=x>']) assert.equal(r.render(md`${s}`.value), `<p>${shown(s)}</p>\n`);
  });
});

describe('markdownCodeSpan', () => {
  const cases = ['plain', 'a`b', 'a``b```c', '`start', 'end`', '`both`', ' both ', ' lead', `![i](${ORIGIN}/h1) [cmd](command:x) <img src="${ORIGIN}/h2">`, 'two\nlines'];
  for (const [name, r] of renderers) {
    it(`shows the text verbatim in a code span, whatever backticks it holds (${name})`, () => {
      for (const text of cases) {
        const out = r.renderInline(md`section: ${markdownCodeSpan(text)}`.value);
        assert.equal(out, `section: <code>${escapeHtml(text.replace(/[\r\n]+/g, ' '))}</code>`, JSON.stringify(text));
      }
    });
  }
  it('an empty text is an empty fragment', () => assert.equal(markdownCodeSpan('').value, ''));
});

describe('markdownCodeBlock', () => {
  const cases = [
    'plain passage',
    '```\nnot the end\n```',
    'indented closing fence:\n   ````````\nstill inside',
    'tildes\n~~~\n~~~~',
    `![x](${ORIGIN}/p.png)\n<script>alert(1)</script>\n# heading`,
    'windows\r\nline\rends',
    'a `span` and ``` a run',
  ];
  for (const [name, r] of renderers) {
    it(`keeps every line inside the block, none can close its fence (${name})`, () => {
      for (const text of cases) {
        const out = r.render(md`**doc**${markdownCodeBlock(text)}Press **0–3**`.value);
        const body = text.replace(/\r\n?/g, '\n');
        assert.equal(out, `<p><strong>doc</strong></p>\n<pre><code class="language-text">${escapeHtml(body)}\n</code></pre>\n<p>Press <strong>0–3</strong></p>\n`, JSON.stringify(text));
      }
    });
  }
  it('the fence is longer than any backtick run, at least three', () => {
    assert.match(markdownCodeBlock('x').value, /^\n\n```text\nx\n```\n\n$/);
    assert.match(markdownCodeBlock('a ````` b').value, /^\n\n``````text\n/);
  });
});

describe('md', () => {
  it('keeps its literal parts as Markdown, escapes strings and numbers, inserts fragments as they are', () => {
    const f = md`**${'*x*'}** ${1.5} ${markdownCodeSpan('a`b')} ${md`_${'_y_'}_`}`;
    assert.equal(f.value, '**\\*x\\*** 1\\.5 ``a`b`` _\\_y\\__');
    assert.equal(renderers[0][1].renderInline(f.value), '<strong>*x*</strong> 1.5 <code>a`b</code> <em>_y_</em>');
  });

  it('a look-alike object is escaped as text, not taken for a fragment', () => {
    const fake = { value: '![x](http://127.0.0.1:9/fake.png)' } as unknown as string;
    assert.equal(renderers[0][1].renderInline(md`${fake}`.value), '[object Object]');
  });

  it('joinMarkdown joins fragments with our own separator', () => {
    assert.equal(joinMarkdown([md`${'a*'}`, md`${'b_'}`], ' · ').value, 'a\\* · b\\_');
  });
});

describe('plainMessageText', () => {
  // The workbench's pattern for links in notification messages (VS Code 1.100, base/common/linkedText.ts).
  const LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
  it('leaves no [label](target) a notification would turn into a link, and reads the same', () => {
    const texts = [
      '[cmd](command:workbench.action.quit)',
      `[web](${ORIGIN}/x) and [file](file:///etc/passwd "title")`,
      '[a] (command:x) [b]  (https://x.y/z)',
      'nested [[x](command:a)](command:b)',
    ];
    for (const t of texts) {
      const out = plainMessageText(t);
      assert.equal(out.match(LINK), null, out);
      assert.equal(out.replace(/\u200B/g, ''), t);
    }
    assert.match('[cmd](command:workbench.action.quit)', LINK);
    assert.equal(plainMessageText('no links: a [b] c (d)'), 'no links: a [b] c (d)');
  });
});

describe('escapeThemeIcons', () => {
  // The workbench's icon pattern in labels (renderLabelWithIcons): `\$(name)` is shown as the literal `$(name)`.
  const ICON = /(\\)?\$\(([a-z0-9-]+?(?:~[a-z0-9-]*?)?)\)/gi;
  it('every $(name) is escaped, so none is an icon', () => {
    for (const t of ['$(zap)', '$(alert~spin) x $(add)', 'price $(5)', '\\$(already)', 'a $( b']) {
      const out = escapeThemeIcons(t);
      for (const m of out.matchAll(ICON)) assert.equal(m[1], '\\', `${t} → ${out}`);
    }
    assert.equal(escapeThemeIcons('no icons $ ( )'), 'no icons $ ( )');
  });
});
