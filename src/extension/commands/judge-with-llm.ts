import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { AnswerCache } from '../../core/judge/answer-cache';
import { judgeFiles } from '../../core/judge/judge-files';
import { loadJudgeLabels, removeJudgeLabels, saveJudgeLabels } from '../../core/judge/judge-labels';
import { agreementBadge } from '../../core/judge/queue-text';
import { estimateJudgeRun, pairFromItem, runJudge, type JudgePair } from '../../core/judge/run-judge';
import { PROMPT_VERSION } from '../../core/judge/umbrela-prompt';
import { plainMessageText } from '../safe-markdown';
import { confirmChatSend, pickChatClient } from './chat-endpoint-pick';
import type { CommandFactory } from './registry';
import type { Services } from '../services';
import { plural } from '../../protocol/words';

export interface JudgeWithLlmResult {
  pairs: number;
  graded: number;
  fromCache: number;
  malformed: number;
  requested: number;
  totalTokens: number;
}

/**
 * "Judge Pooled Queue with LLM…": the CLI's `judge` over the Eval Set view's pooled queue (the passages no human has
 * judged; the queue is built first when it is not). Trusted workspaces only; one of retrievalLens.chatEndpoints,
 * picked; a modal naming the host, the pairs and the characters of document text before anything is sent; progress
 * with cancel (answers received so far are cached and their labels kept). The grades go to the judge's own file —
 * never the eval set — and show beside the passages ("judge: 2"); a human still grades with 0–3 as before.
 */
export const judgeQueueWithLlm: CommandFactory = (s) => async (argsArg?: { endpoint?: string }) => judgeWithLlm(s, 'Judge Pooled Queue with LLM', argsArg?.endpoint);

/**
 * "Judge with LLM…" on Eval Set query rows (one, or a multi-selection): the same run as Judge Pooled Queue with LLM,
 * over the pooled passages of those queries only. VS Code passes the clicked node and the selection.
 */
export const judgeQueriesWithLlm: CommandFactory = (s) => async (node?: unknown, nodes?: unknown) => {
  const ids = new Set((Array.isArray(nodes) && nodes.length ? nodes : [node]).map(queryIdOf).filter((id): id is string => !!id));
  if (!ids.size) {
    void vscode.window.showInformationMessage('Retrieval Lens: select one or more queries in the Eval Set view, then Judge with LLM… from their context menu.');
    return undefined;
  }
  return judgeWithLlm(s, 'Judge with LLM', undefined, ids);
};

/** The query id of an Eval Set node: a query row, or a query header of the judging queue. */
function queryIdOf(n: unknown): string | undefined {
  const node = n as { kind?: string; query?: { id?: unknown }; queryId?: unknown } | undefined;
  if (node?.kind === 'query' && typeof node.query?.id === 'string') return node.query.id;
  if (node?.kind === 'pool-query' && typeof node.queryId === 'string') return node.queryId;
  return undefined;
}

/** One judge run over the pooled queue, or over the pooled passages of `queryIds`: gate, modal, progress, cache. */
async function judgeWithLlm(s: Services, purpose: string, endpoint?: string, queryIds?: ReadonlySet<string>): Promise<JudgeWithLlmResult | undefined> {
  const root = s.root;
  if (!root) {
    void vscode.window.showErrorMessage('Retrieval Lens: open a folder first.');
    return undefined;
  }
  const client = await pickChatClient(s, purpose, endpoint);
  if (!client) return undefined;
  if (!s.judging.queue.built && !(await s.judging.build())) return undefined;
  const index = s.indexService.index;
  const pool = s.judging.queue.pool;
  if (!index || !pool) return undefined;
  const items = queryIds ? pool.items.filter((i) => queryIds.has(i.queryId)) : pool.items;
  const pairs = items.map((i) => pairFromItem(i, index.getDocument(i.docId))).filter((p): p is JudgePair => !!p);
  if (!pairs.length) {
    const what = !queryIds ? 'the judging queue is empty' : queryIds.size === 1 ? 'the selected query has no pooled passage left to judge' : 'the selected queries have no pooled passage left to judge';
    void vscode.window.showInformationMessage(plainMessageText(`Retrieval Lens: ${what}: nothing to judge.`));
    return undefined;
  }
  if (queryIds) s.log.info(`${purpose}: ${plural(queryIds.size, 'selected query', 'selected queries')}: ${[...queryIds].join(', ')}`);
  const files = judgeFiles({ kind: 'workspace', root });
  const cache = AnswerCache.load(files.cache);
  for (const p of cache.problems) s.log.warn(p);
  const est = estimateJudgeRun(pairs, cache, client.config.model);
  s.log.info(`${purpose}: ${pairs.length} pairs, ${est.cached} cached, ${est.toSend} to send to ${client.destination} (model ${client.config.model}, prompt ${PROMPT_VERSION}); about ${est.promptTokens} prompt + ${est.completionTokens} answer tokens, ${est.passageChars} characters of document text`);
  if (!(await confirmChatSend(client, 'query/passage pairs', est))) {
    s.log.info(`${purpose}: not confirmed; nothing sent`);
    return undefined;
  }
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Retrieval Lens: judging with ${client.name}`, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort(new Error('cancelled')));
      let last = 0;
      return runJudge(pairs, client, cache, {
        signal: abort.signal,
        onProgress: (p) => {
          const pct = (100 * p.done) / Math.max(1, p.total);
          progress.report({ increment: pct - last, message: `${p.done}/${p.total} pairs${p.etaMs ? ` · about ${Math.ceil(p.etaMs / 1000)} s left` : ''}` });
          last = pct;
        },
      });
    });
    const added = saveJudgeLabels(files.labels, result.labels);
    await s.judging.queue.refresh();
    const badge = agreementBadge(s.evalSet.queries(), loadJudgeLabels(files.labels));
    s.log.info(`${purpose}: ${result.pairs} pairs: ${result.labels.length} graded (${added} new labels), ${result.fromCache} from cache, ${result.malformed.length} malformed or out of range; requests ${result.requested} (${client.retries} retried); tokens ${result.usage.promptTokens} prompt + ${result.usage.completionTokens} completion = ${result.usage.totalTokens}`);
    for (const m of result.malformed) s.log.info(`  ${m.problem}: ${m.queryId} ${m.docId}: ${m.detail}${m.fromCache ? ' (cached answer)' : ''}`);
    if (badge) s.log.info(`agreement: ${badge}`);
    void vscode.window
      .showInformationMessage(plainMessageText(`Retrieval Lens: judged ${result.pairs} pairs — ${result.labels.length} graded, ${result.fromCache} from cache, ${result.malformed.length} malformed; ${result.usage.totalTokens} tokens.`), 'Show Details')
      .then((a) => {
        if (a === 'Show Details') s.log.show();
      });
    const r: JudgeWithLlmResult = { pairs: result.pairs, graded: result.labels.length, fromCache: result.fromCache, malformed: result.malformed.length, requested: result.requested, totalTokens: result.usage.totalTokens };
    return r;
  } catch (e) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${purpose}: ${e instanceof Error ? e.message : e} (answers received so far are cached)`));
    return undefined;
  }
}

/** "Remove All Judge Labels": deletes the judge's label file after a modal; the eval set (human grades) is not touched. */
export const removeAllJudgeLabels: CommandFactory = (s) => async () => {
  if (!s.root) return undefined;
  const file = judgeFiles({ kind: 'workspace', root: s.root }).labels;
  let count: number;
  try {
    count = loadJudgeLabels(file).length;
  } catch {
    count = NaN;
  }
  if (count === 0) {
    void vscode.window.showInformationMessage('Retrieval Lens: there are no judge labels.');
    return 0;
  }
  const answer = await vscode.window.showWarningMessage(plainMessageText(`Remove ${Number.isFinite(count) ? `all ${count}` : 'all'} judge labels?`), { modal: true, detail: 'Human labels in the eval set are not touched. Cached judge answers are kept, so judging again costs nothing.' }, 'Remove');
  if (answer !== 'Remove') return undefined;
  let removed = 0;
  try {
    removed = removeJudgeLabels(file);
  } catch {
    // An unreadable file is removed all the same: it holds judge labels only.
    fs.rmSync(file, { force: true });
  }
  s.log.info(`removed ${removed} judge labels (${file}); human labels untouched`);
  await s.judging.queue.refresh();
  return removed;
};
