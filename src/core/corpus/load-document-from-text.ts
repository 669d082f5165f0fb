import { buildDocument } from './build-document';
import type { SkippedFile, SourceDocument } from './document';

/** A loaded document and, when its front matter could not be parsed, a `parse-error` entry naming file and line. */
export interface LoadedDocument {
  doc: SourceDocument;
  warning?: SkippedFile;
}

/**
 * Builds a document from text already in memory (an editor buffer, saved or not). `relPath` is the
 * workspace-relative POSIX path and becomes the id; `stat` carries what the file system knows (absent for unsaved
 * buffers: size is then the UTF-8 length, mtime now, contentHash the sha256 of the UTF-8 text, which equals the
 * hash of the saved file's bytes when it has no BOM).
 */
export function loadDocumentFromText(
  relPath: string,
  text: string,
  stat?: { absPath?: string; size?: number; mtimeMs?: number; contentHash?: string },
): LoadedDocument {
  const built = buildDocument(relPath, text, stat);
  return {
    doc: built.doc,
    warning: built.warning && {
      path: relPath,
      reason: 'parse-error',
      detail: `${relPath}:${built.warning.line}: front matter ignored: ${built.warning.message}`,
    },
  };
}
