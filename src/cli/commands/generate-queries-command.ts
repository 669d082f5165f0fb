import * as path from 'node:path';
import { ChatClient } from '../../core/embed/chat-client';
import { EvalSetFile } from '../../core/eval/evalset-file';
import { formatDuration } from '../../core/index/progress-eta';
import { writeFileAtomic } from '../../core/io/atomic-write';
import { AnswerCache } from '../../core/judge/answer-cache';
import { estimateGeneration, runGeneration, SYNTHETIC_GRADE, SYNTHETIC_SPLIT, type GenerationRun } from '../../core/judge/generate-queries';
import { queryBiasLine } from '../../core/judge/query-bias';
import { QUERY_PROMPT_VERSION } from '../../core/judge/query-prompt';
import { applyGeneration, DEFAULT_GENERATION, generatedAnswersFile, prepareGeneration } from '../../core/judge/synthetic-job';
import { environmentSecrets } from '../../core/io/secret-source';
import { confirmSending, resolveChatEndpoint } from '../chat-consent';
import { loadTarget, UsageError, type CliIO } from '../cli-context';
import { parseCommand } from '../parse-command';
import { progressLine } from '../progress-line';
import { interruptSignal } from './external-retriever-args';
import { RETRIEVAL_OPTIONS, retrievalFromArgs } from './retrieval-args';

export const generateQueriesUsage = `retrieval-lens generate-queries <workspace> --endpoint NAME [--count N] [--seed N] [--per-chunk N] [--folder DIR] [--yes] [--dry-run] [--json FILE]
    [--chunker KIND] [--chunk-size N] [--chunk-overlap N] [--stemming on|off] [--settings FILE] [--trust-workspace]
    --endpoint NAME  a chat endpoint of retrievalLens.chatEndpoints; it receives the sampled chunks' text (asked first unless --yes)
    --count N        chunks to write queries for (default ${DEFAULT_GENERATION.count}), sampled across folders and sections with --seed (default ${DEFAULT_GENERATION.seed})
    --per-chunk N    queries asked for each chunk (default ${DEFAULT_GENERATION.perChunk})
    --folder DIR     sample only the documents under DIR (relative to the workspace)
    --dry-run        print the sample and the estimate; send nothing, write nothing
  The queries go to the eval set with source "synthetic", in the ${SYNTHETIC_SPLIT} split, their chunk labelled grade ${SYNTHETIC_GRADE}.`;

const n = (x: number) => x.toLocaleString('en-US');
const positive = (flag: string, v: string | undefined, fallback: number, min = 1): number => {
  const x = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(x) || x < min) throw new UsageError(`--${flag} must be an integer of at least ${min}, got "${v}"`);
  return x;
};

/** Synthetic training queries: a chat model writes the questions a user would type for sampled chunks. */
export async function generateQueriesCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    endpoint: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    'per-chunk': { type: 'string' },
    folder: { type: 'string' },
    yes: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'string' },
    chunker: RETRIEVAL_OPTIONS.chunker,
    'chunk-size': RETRIEVAL_OPTIONS['chunk-size'],
    'chunk-overlap': RETRIEVAL_OPTIONS['chunk-overlap'],
    stemming: RETRIEVAL_OPTIONS.stemming,
    settings: RETRIEVAL_OPTIONS.settings,
    'trust-workspace': RETRIEVAL_OPTIONS['trust-workspace'],
  });
  if (positionals.length !== 1) throw new UsageError(`generate-queries takes one workspace folder\n${generateQueriesUsage}`);
  if (!values.endpoint) throw new UsageError(`generate-queries needs --endpoint NAME\n${generateQueriesUsage}`);
  const count = positive('count', values.count, DEFAULT_GENERATION.count);
  const seed = values.seed === undefined ? DEFAULT_GENERATION.seed : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  const perChunk = positive('per-chunk', values['per-chunk'], DEFAULT_GENERATION.perChunk);
  if (perChunk > 10) throw new UsageError(`--per-chunk must be at most 10, got ${perChunk}`);

  const target = await loadTarget(positionals[0], values, io);
  if (target.kind !== 'workspace') throw new UsageError(`${target.root} is a BEIR folder: generate queries into a workspace folder's eval set`);
  // The endpoint first: an untrusted workspace's endpoints are refused before anything else is done.
  const endpoint = resolveChatEndpoint(target, values.endpoint);
  const evalSet = EvalSetFile.forWorkspace(target.root);
  const retrieval = retrievalFromArgs(values, target);
  const folder = values.folder ? path.relative(target.root, path.resolve(target.root, values.folder)).split(path.sep).join('/') : undefined;
  if (folder?.startsWith('..')) throw new UsageError(`--folder ${values.folder}: not inside the workspace`);
  const { sample, settings } = prepareGeneration(target.corpus.documents, evalSet.all(), retrieval.chunker, { count, seed, perChunk }, folder || undefined);
  if (!sample.chunks.length) throw new UsageError(`${folder ? `${folder}: ` : ''}no chunk of at least 8 words to write queries for`);
  io.out(`generate-queries: ${n(sample.chunks.length)} chunks sampled (seed ${seed}) from ${sample.foldersSampled} of ${sample.folders} folders${sample.tooShort ? `, ${n(sample.tooShort)} chunks too short to ask about left out` : ''}; ${perChunk} ${perChunk === 1 ? 'query' : 'queries'} each; ${settings.examples.length} real queries as style examples`);

  const cache = AnswerCache.load(generatedAnswersFile(target.root));
  for (const p of cache.problems.slice(0, 5)) io.err(p);
  const client = await ChatClient.create(values.endpoint, endpoint, environmentSecrets).catch((e: unknown) => {
    throw new UsageError(`cannot use the chat endpoint: ${e instanceof Error ? e.message : e}`);
  });
  const est = estimateGeneration(sample.chunks, cache, endpoint.model, settings);
  io.out(`${n(est.cached)} answered before (cached), ${n(est.toSend)} to send to ${client.destination} (model ${endpoint.model}, prompt ${QUERY_PROMPT_VERSION})`);
  io.out(`estimate: about ${n(est.promptTokens)} prompt + ${n(est.completionTokens)} answer tokens (approximate tokenizer; the service's own counts follow the run), ${n(est.passageChars)} characters of document text`);
  if (values['dry-run']) {
    for (const c of sample.chunks.slice(0, 20)) io.out(`  ${c.docId}${c.headingPath.length ? ` › ${c.headingPath.join(' › ')}` : ''} [${c.start}, ${c.end})`);
    if (sample.chunks.length > 20) io.out(`  … and ${n(sample.chunks.length - 20)} more`);
    io.out('dry run: nothing sent, the eval set was not changed');
    return 0;
  }
  if (!(await confirmSending(io, { toSend: est.toSend, what: 'chunks', destination: client.destination, yes: values.yes === true }))) return 2;

  const line = progressLine(io);
  const { signal, release } = interruptSignal();
  let run: GenerationRun;
  try {
    run = await runGeneration(sample.chunks, client, cache, settings, {
      signal,
      onProgress: (p) => line.update(`writing queries for ${n(p.done)}/${n(p.total)} chunks${p.etaMs ? ` · about ${formatDuration(p.etaMs)} left` : ''}`, `${Math.floor((10 * p.done) / Math.max(1, p.total))}`),
    });
  } finally {
    line.done();
    release();
  }
  const { plan, bias } = applyGeneration(evalSet, run, target.corpus.documents, endpoint.model, { stemming: retrieval.keyword.stemming });
  const ofEach = plan.dropped.filter((d) => !d.existing).length;
  io.out(`generated ${n(run.generated.length)} queries for ${n(run.chunks - run.malformed.length)} chunks: ${n(plan.added.length)} added to the ${SYNTHETIC_SPLIT} split (source synthetic, grade ${SYNTHETIC_GRADE} on their chunk), ${n(plan.dropped.length)} dropped as duplicates (${n(ofEach)} of each other, ${n(plan.dropped.length - ofEach)} of queries already in the eval set), ${n(run.malformed.length)} malformed answers (no query)`);
  io.out(`requests: ${n(run.requested)} answered, ${n(client.requests)} sent, ${n(client.retries)} retried, ${n(run.fromCache)} from cache; tokens (as the service counts them): ${n(run.usage.promptTokens)} prompt + ${n(run.usage.completionTokens)} completion = ${n(run.usage.totalTokens)}`);
  for (const m of run.malformed.slice(0, 10)) io.out(`  malformed: ${m.docId} (chunk ${m.chunkId}): ${m.detail}${m.fromCache ? ' (cached answer)' : ''}`);
  if (run.malformed.length > 10) io.out(`  … and ${n(run.malformed.length - 10)} more (--json lists all)`);
  for (const d of plan.dropped.slice(0, 10)) io.out(`  dropped "${d.text}": ${d.kind === 'same' ? 'the same as' : 'a near-duplicate of'} ${d.existing ? 'the eval set query ' : ''}"${d.of}"`);
  io.out(queryBiasLine(bias));
  if (plan.added.length) io.out(`wrote ${evalSet.file}`);
  if (values.json) {
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    const json = {
      promptVersion: QUERY_PROMPT_VERSION,
      endpoint: values.endpoint,
      model: endpoint.model,
      seed,
      count,
      perChunk,
      split: SYNTHETIC_SPLIT,
      grade: SYNTHETIC_GRADE,
      sample: { chunks: sample.chunks.map((c) => ({ id: c.id, docId: c.docId, start: c.start, end: c.end, headingPath: c.headingPath })), folders: sample.folders, foldersSampled: sample.foldersSampled, tooShort: sample.tooShort },
      examples: settings.examples,
      estimate: est,
      run: { chunks: run.chunks, generated: run.generated.length, fromCache: run.fromCache, requested: run.requested, malformed: run.malformed, usage: run.usage, savedUsage: run.savedUsage },
      added: plan.added.map((q) => ({ id: q.id, text: q.text })),
      dropped: plan.dropped,
      duplicateRule: plan.rule,
      bias: { ...bias, synthetic: { ...bias.synthetic, share: num(bias.synthetic.share) }, real: { ...bias.real, share: num(bias.real.share) }, difference: num(bias.difference) },
    };
    writeFileAtomic(values.json, JSON.stringify(json, null, 1) + '\n');
    io.out(`wrote ${values.json}`);
  }
  return 0;
}
