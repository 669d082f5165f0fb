import type { ChatMessage } from '../embed/chat-client';

/**
 * The prompt that asks a chat model for the questions a user would type to find one chunk: synthetic training
 * queries (generate-queries). Versioned like the judge's prompt: changing a character of it is a new version, and
 * answers are cached under the version id, so an old answer is never read as an answer to a new prompt.
 *
 * It asks for the words a user would use rather than the passage's own (synthetic queries copy words, which flatters
 * BM25: the bias figure in query-bias.ts measures how much they still do), and, when the eval set has real queries,
 * shows up to three of them for their style only.
 */
export const QUERY_PROMPT_VERSION = 'synth-queries-v1';

export const QUERY_SYSTEM_PROMPT = `You write the search queries that users of a documentation search type. You are given one passage from the documentation. Write the queries a user who needs this passage would type into the search box, before they have read it.
Write them as users do: short, in their own words, often a question or a few keywords, with the words a user knows rather than the passage's own terms. Each query must be answered by the passage. Do not mention "the passage" or "the document".
Reply with exactly the number of lines asked for and nothing else, each in this form:
Query: <the query>`;

/** The passage is cut to this many characters, as the judge's is (about 2,000 tokens). */
export const MAX_GENERATION_PASSAGE_CHARS = 8_000;

/** Longest query kept from an answer; a longer line is not a query a user types (counted as malformed). */
export const MAX_GENERATED_QUERY_CHARS = 300;

export function queryMessages(passage: string, perChunk: number, examples: readonly string[]): ChatMessage[] {
  const text = passage.length > MAX_GENERATION_PASSAGE_CHARS ? `${passage.slice(0, MAX_GENERATION_PASSAGE_CHARS)} …` : passage;
  const style = examples.length ? `Queries real users typed, for their style only (not their topic):\n${examples.map((e) => `- ${e}`).join('\n')}\n\n` : '';
  return [
    { role: 'system', content: QUERY_SYSTEM_PROMPT },
    { role: 'user', content: `${style}Write ${perChunk} ${perChunk === 1 ? 'query' : 'different queries'}.\n\nPassage:\n${text}` },
  ];
}

export type ParsedQueries = { ok: true; queries: string[] } | { ok: false; detail: string };

const QUERY_LINE = /^query\s*:\s*(.+)$/i;

/**
 * Strict: the answer, trimmed, must be exactly `perChunk` lines `Query: <text>` (case and spaces around the colon
 * aside), each text non-empty, at most MAX_GENERATED_QUERY_CHARS characters, without a line break. Anything else —
 * prose, numbering, Markdown, fewer or more lines — is malformed and gives no query; nothing is guessed.
 */
export function parseQueries(answer: string, perChunk: number): ParsedQueries {
  const text = answer.trim();
  const short = JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
  const lines = text ? text.split(/\r?\n/) : [];
  if (lines.length !== perChunk) return { ok: false, detail: `${lines.length} lines, ${perChunk} asked for: ${short}` };
  const queries: string[] = [];
  for (const line of lines) {
    const m = QUERY_LINE.exec(line.trim());
    const q = m?.[1].trim() ?? '';
    if (!m || !q) return { ok: false, detail: `not "Query: <text>": ${short}` };
    if (q.length > MAX_GENERATED_QUERY_CHARS) return { ok: false, detail: `a query of ${q.length} characters (at most ${MAX_GENERATED_QUERY_CHARS})` };
    queries.push(q);
  }
  return { ok: true, queries };
}
