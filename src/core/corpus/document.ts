/**
 * A document as the rest of the core sees it. `text` is the exact text every offset in the system refers to:
 * for md/txt/rst/adoc/code it is the file's content decoded as UTF-8 (front matter included — chunkers skip the
 * range [0, bodyStart)); for html it is the extracted text. For BEIR documents it is `text` and `title` is separate.
 */
export interface SourceDocument {
  /** Stable id: the workspace-relative POSIX path for files (e.g. `guides/auth.md`), the `_id` for BEIR documents. */
  id: string;
  /** Workspace-relative POSIX path; for BEIR documents `beir:<_id>`. */
  path: string;
  /** Absolute filesystem path when the document came from a file. */
  absPath?: string;
  /** Title: front-matter `title`, else the first level-1 heading, else the BEIR title, else the file name. */
  title: string;
  text: string;
  /** VS Code language id style: markdown, plaintext, html, restructuredtext, asciidoc, typescript, python, ... */
  language: string;
  /** Size of the source file in bytes (for BEIR: UTF-8 bytes of title + text). */
  size: number;
  mtimeMs: number;
  /** sha256 hex of the source bytes. */
  contentHash: string;
  /** Parsed markdown front matter (empty object when none). */
  frontMatter: Record<string, unknown>;
  /** Offset in `text` where the body starts (after front matter); 0 when there is none. */
  bodyStart: number;
  /** Headings in document order with their offsets in `text` (markdown, rst, adoc, html). */
  headings: Heading[];
}

export interface Heading {
  level: number;
  text: string;
  /** [start, end) of the heading line in `text`. */
  start: number;
  end: number;
}

export type SkipReason =
  | 'binary'
  | 'invalid-utf8'
  | 'too-large'
  | 'unreadable'
  | 'symlink-loop'
  | 'unsupported-type'
  | 'excluded'
  | 'gitignored'
  | 'parse-error';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  /** Human readable, e.g. "3,145,728 bytes exceeds the 2,097,152-byte limit". */
  detail: string;
}

export interface Corpus {
  /** Absolute root folder the paths are relative to. */
  root: string;
  documents: SourceDocument[];
  skipped: SkippedFile[];
}
