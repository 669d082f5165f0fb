import * as path from 'node:path';
import type { SourceDocument } from '../../../../src/core/corpus/document';
import { loadDocumentFromText } from '../../../../src/core/corpus/load-document-from-text';
import { loadFolderCorpus } from '../../../../src/core/corpus/load-folder';

export const fixturesDir = path.join(__dirname, 'fixtures');

/**
 * TypeScript source used as a code fixture. Kept as a string because a .ts file under test/ would be type-checked
 * and linted as part of the project.
 */
export const SERVER_TS = `import * as http from 'node:http';
import { handler } from './handler';

const PORT = 8080;

/** Starts the server. */
export function start(port = PORT): http.Server {
  const template = \`{ not a brace \${port} }\`;
  return http.createServer(handler).listen(port, () => console.log(template));
}

export class Registry {
  private items = new Map<string, number>();

  add(name: string): void {
    // a } in a comment
    this.items.set(name, this.items.size);
  }
}

export interface Options {
  port: number;
}
`;

/**
 * Hand-made documents: every file in fixtures/ (markdown with front matter, tables, fences, setext headings, CRLF
 * line endings, emoji and CJK, html, rst, adoc, abbreviation-heavy prose, python/go/rust/java/c) plus a TypeScript
 * buffer loaded the way the editor loads unsaved text. Sorted by id.
 */
export async function fixtureDocs(): Promise<SourceDocument[]> {
  const corpus = await loadFolderCorpus(fixturesDir);
  if (corpus.skipped.length) throw new Error(`fixtures not loaded: ${JSON.stringify(corpus.skipped)}`);
  return [...corpus.documents, loadDocumentFromText('server.ts', SERVER_TS).doc].sort((a, b) => (a.id < b.id ? -1 : 1));
}
