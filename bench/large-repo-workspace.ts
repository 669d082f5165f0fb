import * as fs from 'node:fs';
import * as path from 'node:path';
import { readBeirJsonl } from './large-repo-beir';

export const LARGE_REPO_FOLDERS = ['guides', 'reference', 'archive', 'notes'];

/**
 * The large documentation-like workspace of the large-repo bench: every SciFact abstract as a markdown file
 * (`# title`, blank line, abstract) in each of four folders (5,183 × 4 = 20,732 files, about 31 MB of text).
 * `limit` keeps the first that many abstracts per folder (a smaller workspace of the same kind).
 */
export async function writeLargeRepoWorkspace(scifact: string, root: string, limit = Infinity): Promise<{ files: number; bytes: number }> {
  const docs = (await readBeirJsonl(path.join(scifact, 'corpus.jsonl.gz'))).slice(0, limit);
  let files = 0;
  let bytes = 0;
  for (const folder of LARGE_REPO_FOLDERS) {
    fs.mkdirSync(path.join(root, folder), { recursive: true });
    for (const d of docs) {
      const body = `# ${d.title.trim() || d._id}\n\n${d.text}\n`;
      fs.writeFileSync(path.join(root, folder, `${d._id}.md`), body);
      files++;
      bytes += Buffer.byteLength(body);
    }
  }
  return { files, bytes };
}
