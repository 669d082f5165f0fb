import { addUsage, emptyUsage, estimatePromptTokens, mapBounded, type ChatClient, type ChatUsage } from '../embed/chat-client';
import type { SourceDocument } from '../corpus/document';
import type { EvalQuery, Judgment } from '../eval/evalset-types';
import { buildPool, type NamedRanking, type PoolItem } from '../eval/pool';
import { ProgressEta } from '../index/progress-eta';
import { answerKey, sha256, type AnswerCache } from './answer-cache';
import type { JudgeLabel } from './judge-labels';
import { judgeMessages, parseGrade, PROMPT_VERSION } from './umbrela-prompt';

/**
 * The LLM judge over (query, passage) pairs: each pair's answer read from the cache or asked of the chat endpoint
 * (bounded concurrency, retries, cancel: ChatClient), parsed strictly (umbrela-prompt.ts), and turned into judge
 * labels with their source. A malformed or out-of-range answer gives no label: it is counted and listed.
 */
export interface JudgePair {
  queryId: string;
  query: string;
  passage: string;
  /** What a label on this pair points at: the passage as a span of its document (or the whole document). */
  target: Judgment['target'];
}

export const JUDGE_NAME = 'umbrela';

/** Tokens a grade answer takes ("Grade: 2" and the chat format's overhead), for the estimate before a job. */
export const ANSWER_TOKENS_ESTIMATE = 6;

/** A span target for [start, end) of a document, anchored as the eval set anchors labels (quote, 32 characters either side). */
export function spanTarget(doc: SourceDocument, start: number, end: number): Judgment['target'] {
  const s = Math.max(0, Math.min(start, doc.text.length));
  const e = Math.max(s, Math.min(end, doc.text.length));
  if (e <= s) return { type: 'document', docId: doc.id };
  return { type: 'span', docId: doc.id, start: s, end: e, exact: doc.text.slice(s, e), prefix: doc.text.slice(Math.max(0, s - 32), s), suffix: doc.text.slice(e, e + 32) };
}

/**
 * The pairs to judge from the pooled top K of each ranking. `queue: 'pooled'` takes the passages no human has judged
 * (the human judging queue); `'all'` every pooled passage, human-judged ones too (those give the overlap agreement
 * is measured on). Passages of documents not in `documents` are left out (nothing to show the judge).
 */
export function pairsFromPool(queries: EvalQuery[], rankings: NamedRanking[], k: number, documents: Iterable<SourceDocument>, queue: 'pooled' | 'all'): JudgePair[] {
  const docs = new Map<string, SourceDocument>();
  for (const d of documents) docs.set(d.id, d);
  const pooled = buildPool(queue === 'all' ? queries.map((q) => ({ ...q, judgments: [] })) : queries, rankings, k);
  const out: JudgePair[] = [];
  for (const item of pooled.items) {
    const pair = pairFromItem(item, docs.get(item.docId));
    if (pair) out.push(pair);
  }
  return out;
}

/** The judge pair of one pooled passage: its span of the document (undefined when the document is gone or the span is blank). */
export function pairFromItem(item: PoolItem, doc: SourceDocument | undefined): JudgePair | undefined {
  if (!doc) return undefined;
  const target = spanTarget(doc, item.start, item.end);
  const passage = target.type === 'span' ? target.exact : doc.text;
  if (!passage.trim()) return undefined;
  return { queryId: item.queryId, query: item.queryText, passage, target };
}

export interface JudgeEstimate {
  pairs: number;
  /** Answered before: no request. */
  cached: number;
  toSend: number;
  /** Estimated tokens of what would be sent (approximate tokenizer) and of the answers. */
  promptTokens: number;
  completionTokens: number;
  /** Characters of passage text that would leave the machine. */
  passageChars: number;
}

/** What a run would send, before anything is sent: the pairs not in the cache and an estimate of their tokens. */
export function estimateJudgeRun(pairs: JudgePair[], cache: AnswerCache, model: string): JudgeEstimate {
  const e: JudgeEstimate = { pairs: pairs.length, cached: 0, toSend: 0, promptTokens: 0, completionTokens: 0, passageChars: 0 };
  for (const p of pairs) {
    if (cache.get(answerKey(model, PROMPT_VERSION, p.query, sha256(p.passage)))) {
      e.cached++;
      continue;
    }
    e.toSend++;
    e.promptTokens += estimatePromptTokens(judgeMessages(p.query, p.passage));
    e.completionTokens += ANSWER_TOKENS_ESTIMATE;
    e.passageChars += p.passage.length;
  }
  return e;
}

export interface MalformedAnswer {
  queryId: string;
  docId: string;
  problem: 'malformed' | 'out-of-range';
  detail: string;
  fromCache: boolean;
}

export interface JudgeRunResult {
  pairs: number;
  /** Labels made (one per well-formed answer). */
  labels: JudgeLabel[];
  fromCache: number;
  requested: number;
  malformed: MalformedAnswer[];
  /** Tokens the service reported for this run's requests. */
  usage: ChatUsage;
  /** Tokens the cached answers had cost when they were first asked (not spent again). */
  savedUsage: ChatUsage;
}

export interface JudgeProgress {
  done: number;
  total: number;
  etaMs?: number;
}

export async function runJudge(
  pairs: JudgePair[],
  client: ChatClient,
  cache: AnswerCache,
  options: { signal?: AbortSignal; onProgress?: (p: JudgeProgress) => void; now?: () => number } = {},
): Promise<JudgeRunResult> {
  const model = client.config.model;
  const source = { judge: JUDGE_NAME, endpoint: client.name, model, promptVersion: PROMPT_VERSION };
  const result: JudgeRunResult = { pairs: pairs.length, labels: [], fromCache: 0, requested: 0, malformed: [], usage: emptyUsage(), savedUsage: emptyUsage() };
  const eta = new ProgressEta(options.now);
  const report = (done: number) => {
    const p = eta.update('judge', done, pairs.length);
    options.onProgress?.({ done, total: pairs.length, etaMs: p.etaMs });
  };
  report(0);
  const answers = await mapBounded(
    pairs,
    client.concurrency,
    async (p) => {
      const passageHash = sha256(p.passage);
      const key = answerKey(model, PROMPT_VERSION, p.query, passageHash);
      const hit = cache.get(key);
      if (hit) {
        result.fromCache++;
        addUsage(result.savedUsage, hit.usage);
        return { p, passageHash, content: hit.content, fromCache: true };
      }
      const a = await client.complete(judgeMessages(p.query, p.passage), options.signal);
      result.requested++;
      addUsage(result.usage, a.usage);
      cache.put({ key, model, promptVersion: PROMPT_VERSION, content: a.content, usage: a.usage, at: new Date().toISOString() });
      return { p, passageHash, content: a.content, fromCache: false };
    },
    { signal: options.signal, onDone: (done) => report(done) },
  );
  const at = new Date().toISOString();
  for (const { p, passageHash, content, fromCache } of answers) {
    const g = parseGrade(content);
    if (!g.ok) {
      result.malformed.push({ queryId: p.queryId, docId: p.target.docId, problem: g.problem, detail: g.detail, fromCache });
      continue;
    }
    result.labels.push({ queryId: p.queryId, judgment: { grade: g.grade, target: p.target, createdAt: at }, source, passageHash });
  }
  return result;
}
