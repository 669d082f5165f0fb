/**
 * Text from the workspace (documents, headings, file names, query texts and ids, notes, settings, engine answers)
 * made inert for the workbench surfaces that interpret it: Markdown (hovers, tooltips), `[label](target)` links
 * (notifications and dialogs) and `$(icon)` syntax (quick picks). No editor import: unit-tested on its own;
 * safe-markdown.ts turns the fragments into editor MarkdownStrings.
 *
 * VS Code's own MarkdownString.appendText is not enough: it escapes neither `<` nor `:`, `.`, `@`, `|` or `&`, so a
 * bare `http://host/x` becomes a link (GFM autolink), `a@b.co` a mailto link, `&lt;` an entity and an HTML tag is
 * dropped from what is shown instead of being shown.
 */

/**
 * A piece of Markdown that is safe to render: built only in this module, from fixed text and escaped workspace
 * pieces. The class is not exported (only its type), and its private member makes the type nominal, so no other
 * module can make one from a string.
 */
class Fragment {
  private readonly madeHere = true;
  constructor(readonly value: string) {}

  static is(v: unknown): v is Fragment {
    return v instanceof Fragment && v.madeHere;
  }
}
export type { Fragment as MarkdownFragment };
type MarkdownFragment = Fragment;

/** Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and then it is literal text. */
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/**
 * `text` as Markdown that renders as exactly that text on one line: every ASCII punctuation character escaped (no
 * emphasis, link, image, autolink, HTML, entity, table, heading, quote or list can start), every run of whitespace
 * that holds a line break (or any run of whitespace at all) one space, so a piece can neither end the paragraph it
 * is in nor open a block of its own.
 */
export function escapeMarkdownText(text: string): string {
  return String(text).replace(/\s+/g, ' ').replace(ASCII_PUNCTUATION, '\\$&');
}

/** The longest run of `ch` in `text`. */
function longestRun(text: string, ch: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/**
 * `text` as a code span (shown verbatim in a monospace font): the fence is longer than any backtick run inside, so
 * the text cannot close it; line breaks become spaces (a code span shows them as spaces anyway).
 */
export function markdownCodeSpan(text: string): MarkdownFragment {
  const flat = String(text).replace(/[\r\n]+/g, ' ');
  if (!flat) return new Fragment('');
  const fence = '`'.repeat(longestRun(flat, '`') + 1);
  // A space pad keeps a leading or trailing backtick off the fence (CommonMark strips one space each side).
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ')) ? ' ' : '';
  return new Fragment(`${fence}${pad}${flat}${pad}${fence}`);
}

/**
 * `text` as a fenced code block: the fence is longer than any backtick run anywhere in the text (not only at a line
 * start: a closing fence may be indented), at least three; `\r\n` and `\r` become `\n`. The info string is fixed.
 */
export function markdownCodeBlock(text: string, language: 'text' | 'json' | 'markdown' = 'text'): MarkdownFragment {
  const body = String(text).replace(/\r\n?/g, '\n');
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return new Fragment(`\n\n${fence}${language}\n${body}\n${fence}\n\n`);
}

/** A value put into a Markdown template: text (escaped), a number (as text) or a fragment built here (as is). */
export type MarkdownValue = string | number | MarkdownFragment;

/**
 * Tagged template for Markdown: the literal parts are ours and are Markdown; every `${value}` is escaped text
 * unless it is a MarkdownFragment (a code span or block, or another `md` result).
 *
 *     md`**Query:** ${query.text}`   // the query text is shown, never rendered
 */
export function md(strings: TemplateStringsArray, ...values: MarkdownValue[]): MarkdownFragment {
  let out = strings[0];
  values.forEach((v, i) => {
    out += (Fragment.is(v) ? v.value : escapeMarkdownText(String(v))) + strings[i + 1];
  });
  return new Fragment(out);
}

/** Fragments joined by `separator` (fixed Markdown of ours). */
export function joinMarkdown(parts: readonly MarkdownFragment[], separator: string): MarkdownFragment {
  return new Fragment(parts.map((p) => p.value).join(separator));
}

/**
 * Text for a notification or dialog message. The workbench turns `[label](https://…)`, `[label](command:…)` and
 * `[label](file:…)` in those messages into links (a command link runs the command on click), so a zero-width space
 * goes between `]` and `(`: the text reads the same, and no link is made.
 */
export function plainMessageText(text: string): string {
  return String(text).replace(/\](?=\s*\()/g, ']\u200B');
}

/**
 * Text for a surface that renders `$(name)` as an icon (quick pick labels, descriptions and details, status bar
 * text): `$(` escaped as `\$(`, which the workbench shows as a literal `$(`.
 */
export function escapeThemeIcons(text: string): string {
  return String(text).replace(/\$\(/g, '\\$(');
}
