import type { ChatMessage } from '../embed/chat-client';
import type { Grade } from '../eval/evalset-types';

/**
 * The judge's prompt: a graded 0–3 relevance assessment after UMBRELA (Upadhyay, Pradeep, Thakur, Craswell, Lin,
 * 2024, "UMBRELA: UMbrela is the (Open-Source Reproduction of the) Bing RELevance Assessor", arXiv:2406.06519),
 * which uses the TREC Deep Learning / RAG scale: 0 irrelevant, 1 related, 2 highly relevant, 3 perfectly relevant.
 * The wording is ours. Changing a single character of it is a new version: answers are cached and labels recorded
 * under the version id, so an old answer is never read as an answer to a new prompt.
 */
export const PROMPT_VERSION = 'umbrela-v1';

export const JUDGE_SYSTEM_PROMPT = `You are a relevance assessor for a search engine. You are given a search query and one passage. Decide how well the passage answers the query, on this scale:
3 = perfectly relevant: the passage is about the query and contains its exact answer.
2 = highly relevant: the passage answers the query, but the answer is partial, unclear, or buried in unrelated text.
1 = related: the passage is on the query's topic but does not answer it.
0 = irrelevant: the passage has nothing to do with the query.
Judge only what the passage says, not what you know. Read the query for the user's intent, then check that the passage is trustworthy and on point for it.
Reply with one line and nothing else, exactly in this form:
Grade: N
where N is 0, 1, 2 or 3.`;

/** The passage is cut to this many characters (about 2,000 tokens), so one long chunk is not a bill. */
export const MAX_PASSAGE_CHARS = 8_000;

export function judgeMessages(query: string, passage: string): ChatMessage[] {
  const text = passage.length > MAX_PASSAGE_CHARS ? `${passage.slice(0, MAX_PASSAGE_CHARS)} …` : passage;
  return [
    { role: 'system', content: JUDGE_SYSTEM_PROMPT },
    { role: 'user', content: `Query: ${query}\n\nPassage:\n${text}` },
  ];
}

/** A parsed answer: a grade, or why there is none. Nothing is guessed: anything but the asked-for line is malformed. */
export type ParsedGrade = { ok: true; grade: Grade } | { ok: false; problem: 'malformed' | 'out-of-range'; detail: string };

const GRADE_LINE = /^grade\s*:\s*(-?\d+(?:\.\d+)?)$/i;

/**
 * Strict: the answer, trimmed, must be one line `Grade: N` (case and spaces around the colon aside; surrounding
 * Markdown bold or backticks are not accepted). N must be the integer 0, 1, 2 or 3: another number is
 * "out-of-range"; anything else — prose, two grades, an empty answer — is "malformed".
 */
export function parseGrade(answer: string): ParsedGrade {
  const text = answer.trim();
  const short = JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
  if (text.includes('\n')) return { ok: false, problem: 'malformed', detail: `more than one line: ${short}` };
  const m = GRADE_LINE.exec(text);
  if (!m) return { ok: false, problem: 'malformed', detail: `not "Grade: N": ${short}` };
  if (/^[0-3]$/.test(m[1])) return { ok: true, grade: Number(m[1]) as Grade };
  return { ok: false, problem: 'out-of-range', detail: `grade ${m[1]} is not 0, 1, 2 or 3` };
}
