import * as crypto from 'node:crypto';
import type { Chunk } from '../chunking/chunk';
import type { SourceDocument } from '../corpus/document';
import { addUsage, emptyUsage, estimatePromptTokens, mapBounded, type ChatClient, type ChatUsage } from '../embed/chat-client';
import type { EvalQuery, Grade, Split } from '../eval/evalset-types';
import { displayForm, matchKey, mergeNearDuplicates, NEAR_DUPLICATE_RULE } from '../eval/query-log';
import { seededRandom } from '../eval/significance';
import { ProgressEta } from '../index/progress-eta';
import { answerKey, sha256, type AnswerCache } from './answer-cache';
import { parseQueries, queryMessages, QUERY_PROMPT_VERSION } from './query-prompt';
import { spanTarget, type JudgeEstimate, type JudgeProgress } from './run-judge';

/**
 * Synthetic training queries: for each sampled chunk (sample-chunks.ts) the chat endpoint is asked for the queries
 * a user would type to find it (query-prompt.ts), each answer read from the cache or asked (bounded concurrency,
 * retries and cancel: ChatClient) and parsed strictly (a malformed answer is counted and listed, never guessed).
 * The queries are then de-duplicated by the query-log import's rules (query-log.ts: the match key, the loose key
 * and the one-edit near-duplicate rule), against each other and against every query already in the eval set, and
 * become eval-set queries with `source: "synthetic"`, in the train split, their chunk the positive span.
 *
 * Grade 2 ("highly relevant"), not 3: the chunk is relevant by construction — the question was written from it —
 * but no one has checked that it holds the exact and whole answer, which is what 3 says on the eval set's scale
 * (the TREC scale the judge uses too); a generator often asks something its passage answers only in part. Grade 2
 * is relevant for every reader (training pairs and metrics take grade ≥ 1) and leaves 3 to a human who checked.
 */
export const SYNTHETIC_GRADE: Grade = 2;

/** Synthetic queries teach; real queries judge: they go to the train split unless the user moves them. */
export const SYNTHETIC_SPLIT: Split = 'train';

/** Style examples shown to the generator: at most this many real queries. */
export const MAX_STYLE_EXAMPLES = 3;

/** Tokens of an answer of one query line, for the estimate before a job ("Query: " and a dozen words). */
export const QUERY_ANSWER_TOKENS_ESTIMATE = 20;

/**
 * Up to three real queries of the eval set, as style examples: from query logs or traces when there are any, else
 * hand-typed ones, else imported ones; never synthetic. A seeded pick from the candidates in id order, so the
 * same eval set and seed give the same examples (and so the same prompt, and cached answers stay valid).
 */
export function styleExamples(queries: readonly EvalQuery[], seed: number, max = MAX_STYLE_EXAMPLES): string[] {
  const tiers = [(q: EvalQuery) => q.source === 'log' || q.source === 'trace', (q: EvalQuery) => q.source === undefined, (q: EvalQuery) => q.source === 'import'];
  for (const tier of tiers) {
    const pool = queries.filter(tier).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (!pool.length) continue;
    const rnd = seededRandom(seed);
    const a = [...pool];
    for (let i = 0; i < Math.min(max, a.length); i++) {
      const j = i + Math.floor(rnd() * (a.length - i));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a.slice(0, max).map((q) => displayForm(q.text));
  }
  return [];
}

export interface GenerationSettings {
  perChunk: number;
  examples: string[];
}

function generationKey(model: string, chunk: Chunk, s: GenerationSettings): string {
  // The "query" part of the key is what else shapes the prompt: how many queries and which examples.
  return answerKey(model, QUERY_PROMPT_VERSION, JSON.stringify({ perChunk: s.perChunk, examples: s.examples }), sha256(chunk.text));
}

/** What a run would send, before anything is sent: the chunks not answered before and an estimate of their tokens. */
export function estimateGeneration(chunks: readonly Chunk[], cache: AnswerCache, model: string, s: GenerationSettings): JudgeEstimate {
  const e: JudgeEstimate = { pairs: chunks.length, cached: 0, toSend: 0, promptTokens: 0, completionTokens: 0, passageChars: 0 };
  for (const c of chunks) {
    if (cache.get(generationKey(model, c, s))) {
      e.cached++;
      continue;
    }
    e.toSend++;
    e.promptTokens += estimatePromptTokens(queryMessages(c.text, s.perChunk, s.examples));
    e.completionTokens += QUERY_ANSWER_TOKENS_ESTIMATE * s.perChunk;
    e.passageChars += c.text.length;
  }
  return e;
}

export interface GeneratedQuery {
  text: string;
  chunk: Chunk;
}

export interface MalformedGeneration {
  chunkId: string;
  docId: string;
  detail: string;
  fromCache: boolean;
}

export interface GenerationRun {
  chunks: number;
  /** Queries parsed from well-formed answers, in chunk order. */
  generated: GeneratedQuery[];
  fromCache: number;
  requested: number;
  malformed: MalformedGeneration[];
  usage: ChatUsage;
  savedUsage: ChatUsage;
}

export async function runGeneration(
  chunks: readonly Chunk[],
  client: ChatClient,
  cache: AnswerCache,
  s: GenerationSettings,
  options: { signal?: AbortSignal; onProgress?: (p: JudgeProgress) => void; now?: () => number } = {},
): Promise<GenerationRun> {
  const model = client.config.model;
  const run: GenerationRun = { chunks: chunks.length, generated: [], fromCache: 0, requested: 0, malformed: [], usage: emptyUsage(), savedUsage: emptyUsage() };
  const eta = new ProgressEta(options.now);
  const report = (done: number) => options.onProgress?.({ done, total: chunks.length, etaMs: eta.update('generate', done, chunks.length).etaMs });
  report(0);
  const answers = await mapBounded(
    chunks,
    client.concurrency,
    async (c) => {
      const key = generationKey(model, c, s);
      const hit = cache.get(key);
      if (hit) {
        run.fromCache++;
        addUsage(run.savedUsage, hit.usage);
        return { c, content: hit.content, fromCache: true };
      }
      const a = await client.complete(queryMessages(c.text, s.perChunk, s.examples), options.signal);
      run.requested++;
      addUsage(run.usage, a.usage);
      cache.put({ key, model, promptVersion: QUERY_PROMPT_VERSION, content: a.content, usage: a.usage, at: new Date().toISOString() });
      return { c, content: a.content, fromCache: false };
    },
    { signal: options.signal, onDone: (done) => report(done) },
  );
  for (const { c, content, fromCache } of answers) {
    const parsed = parseQueries(content, s.perChunk);
    if (!parsed.ok) run.malformed.push({ chunkId: c.id, docId: c.docId, detail: parsed.detail, fromCache });
    else for (const text of parsed.queries) run.generated.push({ text: displayForm(text), chunk: c });
  }
  return run;
}

export interface DroppedQuery {
  text: string;
  /** The query it repeats: another generated one, or one already in the eval set (its text). */
  of: string;
  existing: boolean;
  kind: 'same' | 'near';
}

export interface SyntheticPlan {
  added: EvalQuery[];
  dropped: DroppedQuery[];
  rule: string;
}

export function syntheticQueryId(key: string): string {
  return `syn-${crypto.createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 10)}`;
}

/**
 * The generated queries to add: the import's rules decide what is a duplicate. Same match key (case, Unicode form
 * and spacing folded) as an existing or an earlier generated query: dropped. Then NEAR_DUPLICATE_RULE, with every
 * existing query ranked before every generated one (so a near-duplicate of an existing query is the one dropped).
 */
export function planSyntheticQueries(generated: readonly GeneratedQuery[], existing: readonly EvalQuery[], docs: ReadonlyMap<string, SourceDocument>, meta: { model: string; at?: string }): SyntheticPlan {
  const dropped: DroppedQuery[] = [];
  const existingByKey = new Map<string, string>();
  for (const q of existing) if (!existingByKey.has(matchKey(q.text))) existingByKey.set(matchKey(q.text), q.text);
  const firstByKey = new Map<string, GeneratedQuery>();
  for (const g of generated) {
    const key = matchKey(g.text);
    const ex = existingByKey.get(key);
    const earlier = firstByKey.get(key);
    if (ex !== undefined) dropped.push({ text: g.text, of: ex, existing: true, kind: 'same' });
    else if (earlier) dropped.push({ text: g.text, of: earlier.text, existing: false, kind: 'same' });
    else firstByKey.set(key, g);
  }
  const groups = [
    ...[...existingByKey].map(([key, text], i) => ({ text: displayForm(text), key, count: 2, firstLine: i })),
    ...[...firstByKey].map(([key, g], i) => ({ text: g.text, key, count: 1, firstLine: existingByKey.size + i })),
  ].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { queries: reps } = mergeNearDuplicates(groups);
  const keep = new Set<string>();
  for (const r of reps) {
    const repIsExisting = existingByKey.has(r.key);
    if (!repIsExisting) keep.add(r.key);
    for (const text of r.merged) {
      const k = matchKey(text);
      if (firstByKey.has(k)) dropped.push({ text, of: r.text, existing: repIsExisting, kind: 'near' });
    }
  }
  const ids = new Set(existing.map((q) => q.id));
  const at = meta.at ?? new Date().toISOString();
  const added: EvalQuery[] = [];
  for (const [key, g] of firstByKey) {
    if (!keep.has(key)) continue;
    const doc = docs.get(g.chunk.docId);
    if (!doc) continue;
    let id = syntheticQueryId(key);
    for (let n = 2; ids.has(id); n++) id = `${syntheticQueryId(key)}-${n}`;
    ids.add(id);
    added.push({
      id,
      text: g.text,
      split: SYNTHETIC_SPLIT,
      source: 'synthetic',
      judgments: [{ grade: SYNTHETIC_GRADE, target: spanTarget(doc, g.chunk.start, g.chunk.end), createdAt: at, note: `synthetic: written from this chunk by ${meta.model} (${QUERY_PROMPT_VERSION})` }],
    });
  }
  return { added, dropped, rule: NEAR_DUPLICATE_RULE };
}
