import * as path from 'node:path';
import * as vscode from 'vscode';
import { AnswerCache } from '../../core/judge/answer-cache';
import { estimateGeneration, runGeneration, SYNTHETIC_GRADE, SYNTHETIC_SPLIT } from '../../core/judge/generate-queries';
import { queryBiasLine } from '../../core/judge/query-bias';
import { QUERY_PROMPT_VERSION } from '../../core/judge/query-prompt';
import { applyGeneration, DEFAULT_GENERATION, generatedAnswersFile, sampleFrom } from '../../core/judge/synthetic-job';
import { readConfig } from '../config';
import { plainMessageText } from '../safe-markdown';
import { confirmChatSend, pickChatClient } from './chat-endpoint-pick';
import type { CommandFactory } from './registry';

export interface GenerateQueriesArgs {
  endpoint?: string;
  count?: number;
  seed?: number;
  perChunk?: number;
}

export interface GenerateQueriesResult {
  added: number;
  dropped: number;
  malformed: number;
  requested: number;
  fromCache: number;
  totalTokens: number;
}

/**
 * "Generate Training Queries…" (command palette, the Eval Set view, and a folder's context menu in the explorer):
 * the CLI's generate-queries over the index's own chunks — a seeded sample stratified by folder and section (only
 * the folder's documents when run from a folder), a chat endpoint asked for the queries a user would type for each,
 * after a modal naming the host and how much text leaves the machine; the new queries go to the eval set as
 * synthetic, in the train split, with their chunk as the positive span. Trusted workspaces only.
 */
export const generateTrainingQueries: CommandFactory = (s) => async (folder?: vscode.Uri, argsArg?: GenerateQueriesArgs) => {
  const purpose = 'Generate Training Queries';
  const root = s.root;
  if (!root) {
    void vscode.window.showErrorMessage('Retrieval Lens: open a folder first.');
    return undefined;
  }
  const under = folder instanceof vscode.Uri ? path.relative(root, folder.fsPath).split(path.sep).join('/') : undefined;
  if (under?.startsWith('..')) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${folder?.fsPath} is outside the workspace folder.`));
    return undefined;
  }
  const client = await pickChatClient(s, purpose, argsArg?.endpoint);
  if (!client) return undefined;
  const index = s.indexService.index;
  if (!index) {
    void vscode.window.showErrorMessage('Retrieval Lens: build the index first (Retrieval Lens: Build Index): queries are written for its chunks.');
    return undefined;
  }
  let count = argsArg?.count;
  if (count === undefined) {
    const typed = await vscode.window.showInputBox({ title: `${purpose}${under ? ` in ${under}` : ''}`, prompt: 'How many chunks to write a query for (sampled across folders and sections)', value: String(DEFAULT_GENERATION.count), validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 ? undefined : 'A positive whole number') });
    if (typed === undefined) return undefined;
    count = Number(typed);
  }
  const options = { count, seed: argsArg?.seed ?? DEFAULT_GENERATION.seed, perChunk: argsArg?.perChunk ?? DEFAULT_GENERATION.perChunk };
  const evalSet = s.evalSet.load();
  if (!evalSet) return undefined;
  const { sample, settings } = sampleFrom(index.allChunks(), evalSet.all(), options, under || undefined);
  if (!sample.chunks.length) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${under ? `${under}: ` : ''}no chunk of at least 8 words to write queries for.`));
    return undefined;
  }
  const cache = AnswerCache.load(generatedAnswersFile(root));
  for (const p of cache.problems) s.log.warn(p);
  const est = estimateGeneration(sample.chunks, cache, client.config.model, settings);
  s.log.info(`${purpose}: ${sample.chunks.length} chunks sampled (seed ${options.seed}) from ${sample.foldersSampled} of ${sample.folders} folders; ${est.cached} cached, ${est.toSend} to send to ${client.destination} (model ${client.config.model}, prompt ${QUERY_PROMPT_VERSION}); about ${est.promptTokens} prompt + ${est.completionTokens} answer tokens`);
  if (!(await confirmChatSend(client, 'chunks', est))) {
    s.log.info(`${purpose}: not confirmed; nothing sent`);
    return undefined;
  }
  try {
    const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Retrieval Lens: writing queries with ${client.name}`, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort(new Error('cancelled')));
      let last = 0;
      return runGeneration(sample.chunks, client, cache, settings, {
        signal: abort.signal,
        onProgress: (p) => {
          const pct = (100 * p.done) / Math.max(1, p.total);
          progress.report({ increment: pct - last, message: `${p.done}/${p.total} chunks${p.etaMs ? ` · about ${Math.ceil(p.etaMs / 1000)} s left` : ''}` });
          last = pct;
        },
      });
    });
    const { plan, bias } = applyGeneration(evalSet, run, index.docs.values(), client.config.model, { stemming: readConfig().keyword.stemming });
    const lines = [
      `${purpose}: ${plan.added.length} added to the ${SYNTHETIC_SPLIT} split (source synthetic, grade ${SYNTHETIC_GRADE} on their chunk), ${plan.dropped.length} dropped as duplicates, ${run.malformed.length} malformed answers`,
      `requests ${run.requested} (${client.retries} retried), ${run.fromCache} from cache; tokens ${run.usage.promptTokens} prompt + ${run.usage.completionTokens} completion = ${run.usage.totalTokens}`,
      ...run.malformed.map((m) => `  malformed: ${m.docId}: ${m.detail}`),
      ...plan.dropped.map((d) => `  dropped "${d.text}": ${d.kind === 'same' ? 'the same as' : 'a near-duplicate of'} "${d.of}"`),
      queryBiasLine(bias),
    ];
    for (const l of lines) s.log.info(l);
    void vscode.window.showInformationMessage(plainMessageText(`Retrieval Lens: ${plan.added.length} synthetic training queries added (${plan.dropped.length} duplicates dropped, ${run.malformed.length} malformed answers, ${run.fromCache} from cache, ${run.usage.totalTokens} tokens).`), 'Show Details').then((a) => {
      if (a === 'Show Details') s.log.show();
    });
    const result: GenerateQueriesResult = { added: plan.added.length, dropped: plan.dropped.length, malformed: run.malformed.length, requested: run.requested, fromCache: run.fromCache, totalTokens: run.usage.totalTokens };
    return result;
  } catch (e) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${purpose}: ${e instanceof Error ? e.message : e} (answers received so far are cached)`));
    return undefined;
  }
};
