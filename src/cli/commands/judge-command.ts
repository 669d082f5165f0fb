import * as path from 'node:path';
import { ChatClient } from '../../core/embed/chat-client';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { formatDuration } from '../../core/index/progress-eta';
import { judgesOf, measureAgreement, VALIDATION_RULE, type Agreement } from '../../core/judge/agreement';
import { AnswerCache } from '../../core/judge/answer-cache';
import { judgeFiles } from '../../core/judge/judge-files';
import { loadJudgeLabels, reanchorJudgeLabels, removeJudgeLabels, saveJudgeLabels } from '../../core/judge/judge-labels';
import { estimateJudgeRun, pairsFromPool, runJudge, type JudgeRunResult } from '../../core/judge/run-judge';
import { PROMPT_VERSION } from '../../core/judge/umbrela-prompt';
import { environmentSecrets } from '../../core/io/secret-source';
import { availableRetrievers } from '../../core/retrieve/types';
import { resolveChatEndpoint, confirmSending } from '../chat-consent';
import { loadTarget, UsageError, withModels, type CliIO } from '../cli-context';
import { parseCommand } from '../parse-command';
import { progressLine } from '../progress-line';
import { interruptSignal } from './external-retriever-args';
import { localPoolRankings, poolK, poolQueries, poolRetrievers } from './pool-command';
import { LOCAL_INDEX_OPTIONS, RETRIEVAL_OPTIONS, RETRIEVAL_USAGE, retrievalFromArgs } from './retrieval-args';

export const judgeUsage = `retrieval-lens judge <workspace> --endpoint NAME [--queue pooled|all] [--max-pairs N] [--yes] [--agreement] [--json FILE]
    [--k N] [--retrievers bm25,dense,hybrid] [--split eval|train|all] [--model ID|PATH|use-lite] [--index-dir DIR] ${RETRIEVAL_USAGE}
  retrieval-lens judge <workspace> --agreement [--json FILE] ...   agreement of the judge labels already made with the human labels
  retrieval-lens judge <workspace> --remove-labels                  delete every judge label (the eval set is not touched)
    --endpoint NAME  a chat endpoint of retrievalLens.chatEndpoints; it receives query and passage text (asked first unless --yes)
    --queue          pooled: the passages no human judged (default); all: every pooled passage, human-judged ones too (for agreement)
    --max-pairs N    judge at most N pairs (in judging-queue order)`;

const n = (x: number) => x.toLocaleString('en-US');

/** Relative to the current folder when inside it, else absolute. */
function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Runs the LLM judge over the pooled judging queue, stores its grades apart from the humans', and reports agreement. */
export async function judgeCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    endpoint: { type: 'string' },
    queue: { type: 'string', default: 'pooled' },
    'max-pairs': { type: 'string' },
    yes: { type: 'boolean', default: false },
    agreement: { type: 'boolean', default: false },
    'remove-labels': { type: 'boolean', default: false },
    json: { type: 'string' },
    k: { type: 'string', default: '10' },
    retrievers: { type: 'string', default: availableRetrievers({ dense: true, rerank: false }).join(',') },
    split: { type: 'string', default: 'all' },
    ...LOCAL_INDEX_OPTIONS,
    ...RETRIEVAL_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError(`judge takes one workspace folder\n${judgeUsage}`);
  if (values.queue !== 'pooled' && values.queue !== 'all') throw new UsageError(`--queue must be pooled or all, got "${values.queue}"`);
  const k = poolK(values);
  const maxPairs = values['max-pairs'] === undefined ? Infinity : Number(values['max-pairs']);
  if (!(Number.isInteger(maxPairs) && maxPairs >= 1) && maxPairs !== Infinity) throw new UsageError(`--max-pairs must be a positive integer, got "${values['max-pairs']}"`);
  if (values['remove-labels'] && (values.endpoint || values.agreement)) throw new UsageError('--remove-labels runs alone (no --endpoint or --agreement)');
  if (!values['remove-labels'] && !values.endpoint && !values.agreement) throw new UsageError(`judge needs --endpoint NAME (to judge), --agreement or --remove-labels\n${judgeUsage}`);
  const retrievers = poolRetrievers(values);

  const target = await loadTarget(positionals[0], values, io, { requireQueries: true });
  const files = judgeFiles(target);
  if (values['remove-labels']) {
    const removed = removeJudgeLabels(files.labels);
    io.out(`removed ${n(removed)} judge labels (${shortPath(files.labels)}); human labels are untouched`);
    return 0;
  }

  // The endpoint first: a name the settings do not hold (or an untrusted workspace's) stops before any index work.
  const endpoint = values.endpoint ? resolveChatEndpoint(target, values.endpoint) : undefined;
  const queries = poolQueries(target, values.split as string);
  const retrieval = retrievalFromArgs(values, target);

  return withModels(target, values, io, async (models) => {
    const rankings = await localPoolRankings(target, retrieval, models, values['index-dir'], io, { retrievers, queries, k });
    const report: { run?: ReturnType<typeof runSummary>; agreement?: ReturnType<typeof agreementJson>[] } = {};

    if (endpoint && values.endpoint) {
      const all = pairsFromPool(queries, rankings, k, target.corpus.documents, values.queue as 'pooled' | 'all');
      const pairs = all.slice(0, maxPairs);
      const cache = AnswerCache.load(files.cache);
      for (const p of cache.problems.slice(0, 5)) io.err(p);
      const client = await ChatClient.create(values.endpoint, endpoint, environmentSecrets).catch((e: unknown) => {
        throw new UsageError(`cannot use the chat endpoint: ${e instanceof Error ? e.message : e}`);
      });
      const est = estimateJudgeRun(pairs, cache, endpoint.model);
      io.out(`judge: ${n(pairs.length)} pairs (${values.queue} queue${pairs.length < all.length ? `, first ${n(pairs.length)} of ${n(all.length)}` : ''}), ${n(est.cached)} answered before (cached), ${n(est.toSend)} to send to ${client.destination} (model ${endpoint.model}, prompt ${PROMPT_VERSION})`);
      io.out(`estimate: about ${n(est.promptTokens)} prompt + ${n(est.completionTokens)} answer tokens (approximate tokenizer; the service's own counts follow the run), ${n(est.passageChars)} characters of document text`);
      if (!(await confirmSending(io, { toSend: est.toSend, what: 'query/passage pairs', noun: 'pairs', destination: client.destination, yes: values.yes === true }))) return 2;
      const line = progressLine(io);
      const { signal, release } = interruptSignal();
      let result: JudgeRunResult;
      try {
        result = await runJudge(pairs, client, cache, {
          signal,
          onProgress: (p) => line.update(`judging ${n(p.done)}/${n(p.total)} pairs${p.etaMs ? ` · about ${formatDuration(p.etaMs)} left` : ''}`, `${Math.floor((10 * p.done) / Math.max(1, p.total))}`),
        });
      } finally {
        line.done();
        release();
      }
      const added = saveJudgeLabels(files.labels, result.labels);
      io.out(`judged ${n(result.pairs)} pairs: ${n(result.labels.length)} graded (${n(added)} new labels in ${shortPath(files.labels)}), ${n(result.fromCache)} from cache, ${n(result.malformed.length)} malformed or out of range (no label)`);
      io.out(`requests: ${n(result.requested)} answered, ${n(client.requests)} sent, ${n(client.retries)} retried; tokens (as the service counts them): ${n(result.usage.promptTokens)} prompt + ${n(result.usage.completionTokens)} completion = ${n(result.usage.totalTokens)}${result.fromCache ? `; ${n(result.savedUsage.totalTokens)} tokens not spent again thanks to the cache` : ''}`);
      for (const m of result.malformed.slice(0, 10)) io.out(`  ${m.problem}: query ${m.queryId}, ${m.docId}: ${m.detail}${m.fromCache ? ' (cached answer)' : ''}`);
      if (result.malformed.length > 10) io.out(`  … and ${n(result.malformed.length - 10)} more (--json lists all)`);
      report.run = runSummary(values.endpoint, endpoint.model, result, est);
    }

    if (values.agreement) {
      const anchored = reanchorJudgeLabels(loadJudgeLabels(files.labels), new Map(target.corpus.documents.map((d) => [d.id, d])));
      if (anchored.stale) io.err(`${n(anchored.stale)} judge labels no longer match their document's text (edited since): left out of agreement`);
      const labels = anchored.labels.filter((l) => !l.judgment.stale);
      const judges = judgesOf(labels);
      if (!judges.length) io.out('agreement: no judge labels yet (judge --endpoint NAME makes them)');
      report.agreement = judges.map((j) => {
        const a = measureAgreement(target.queries, labels, j, rankings);
        for (const l of agreementLines(a, k)) io.out(l);
        return agreementJson(a);
      });
    }
    if (values.json) {
      writeFileAtomic(values.json, JSON.stringify({ promptVersion: PROMPT_VERSION, validationRule: VALIDATION_RULE, ...report }, null, 1) + '\n');
      io.out(`wrote ${values.json}`);
    }
    return 0;
  });
}

function runSummary(endpoint: string, model: string, r: JudgeRunResult, estimate: ReturnType<typeof estimateJudgeRun>) {
  return { endpoint, model, promptVersion: PROMPT_VERSION, pairs: r.pairs, graded: r.labels.length, fromCache: r.fromCache, requested: r.requested, malformed: r.malformed, usage: r.usage, savedUsage: r.savedUsage, estimate };
}

/** κ and τ as JSON numbers, null where undefined. */
function agreementJson(a: Agreement) {
  const num = (x: number) => (Number.isFinite(x) ? x : null);
  return { ...a, kappa: num(a.kappa), tau: num(a.tau), labelsUsed: 'configurations[].judge is scored with judge labels only; configurations[].human with human labels only' };
}

export function agreementLines(a: Agreement, k: number): string[] {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'undefined');
  const lines = [`agreement of judge ${a.judge} with the human labels: weighted κ (quadratic) = ${f(a.kappa)} on ${a.pairs} pairs graded by both`, `  ${a.validation.verdict}`];
  if (a.pairs) {
    lines.push('  confusion (rows: human grade, columns: judge grade 0 1 2 3):');
    a.confusion.forEach((row, h) => lines.push(`    ${h}: ${row.map((c) => String(c).padStart(5)).join('')}`));
  }
  if (a.configurations.length) {
    lines.push(`  nDCG@10 (document level) on the ${a.configurationQueries} queries with both kinds of labels — human labels vs judge labels (marked as such):`);
    for (const c of a.configurations) lines.push(`    ${c.retriever.padEnd(10)} human ${c.human.toFixed(3)}   judge-labelled ${c.judge.toFixed(3)}`);
    lines.push(`  Kendall's τ-b between the two orders of ${a.configurations.length} retrievers (top ${k} pooled): ${f(a.tau)}`);
  }
  return lines;
}
