import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256 } from '../corpus/build-document';
import type { ChatUsage } from '../embed/chat-client';

export { sha256 };

/**
 * Every answer a chat endpoint gave the judge, on disk, so a re-run asks nothing it asked before. An answer is
 * found by (the endpoint's model, the prompt version, the query text, the passage's hash): the same question to the
 * same model under the same prompt. Malformed answers are cached too (the model gave them; asking again at
 * temperature 0 costs tokens for the same answer) and are counted as malformed again when read.
 *
 * The file is JSON lines, appended as answers arrive (a cancelled run keeps what it paid for). It holds hashes, the
 * model's answer and its token counts; no query or passage text, and never a key.
 */
export interface CachedAnswer {
  key: string;
  model: string;
  promptVersion: string;
  content: string;
  usage: ChatUsage;
  at: string;
}

export function answerKey(model: string, promptVersion: string, query: string, passageHash: string): string {
  return sha256(JSON.stringify([model, promptVersion, query, passageHash]));
}

export class AnswerCache {
  private readonly answers = new Map<string, CachedAnswer>();
  /** Lines that could not be read (a write cut short by a crash), as "file:line: problem"; skipped, not fatal. */
  readonly problems: string[] = [];

  private constructor(readonly file: string) {}

  static load(file: string): AnswerCache {
    const cache = new AnswerCache(file);
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const a = JSON.parse(line) as CachedAnswer;
        if (typeof a.key !== 'string' || typeof a.content !== 'string') throw new Error('needs "key" and "content"');
        cache.answers.set(a.key, a);
      } catch (e) {
        cache.problems.push(`${file}:${i + 1}: skipped an unreadable cached answer (${e instanceof Error ? e.message : e})`);
      }
    });
    return cache;
  }

  get size(): number {
    return this.answers.size;
  }

  get(key: string): CachedAnswer | undefined {
    return this.answers.get(key);
  }

  /** Records an answer, in memory and appended to the file at once. */
  put(answer: CachedAnswer): void {
    this.answers.set(answer.key, answer);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, `${JSON.stringify(answer)}\n`);
  }
}
