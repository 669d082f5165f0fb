import { CHUNKER_DEFAULTS } from '../../core/chunking/chunker-registry';
import type { ChunkerKind } from '../../core/chunking/chunk';
import type { EvalTarget } from '../../core/eval/eval-target';
import type { EvalQuery } from '../../core/eval/evalset-types';
import { describeLevel, levelSupport, unscorableReason, type Level } from '../../core/eval/label-level';
import type { MetadataFilter, RetrieverName } from '../../core/retrieve/types';
import { checkSetting, defined, retrievalSettings, type RetrievalSettings, type WorkspaceSettings } from '../../core/settings/workspace-settings';
import { embedProcessesFromArgs, UsageError, type CliIO } from '../cli-context';

/** bm25 is the CLI's name for the keyword retriever. */
export function retrieverFromArg(v: string | undefined): RetrieverName {
  const map: Record<string, RetrieverName> = { bm25: 'keyword', keyword: 'keyword', dense: 'dense', hybrid: 'hybrid', rerank: 'rerank' };
  const r = map[v ?? 'bm25'];
  if (!r) throw new UsageError(`--retriever must be bm25, dense, hybrid or rerank, got "${v}"`);
  return r;
}

/**
 * Refuses a level no label can score (chunk level on document judgments only: every figure would be a 0.000 that was
 * never measured) and says which queries a chunk-level score of a mixed set rests on.
 */
export function checkLevel(queries: EvalQuery[], level: Level, split: 'eval' | 'train' | 'all', io: CliIO): void {
  const support = levelSupport(queries, split);
  const why = unscorableReason(level, support, split);
  if (why) throw new UsageError(`--level ${level}: ${why}`);
  if (level === 'chunk' && support.kind === 'mixed') io.err(`note: chunk level scores ${describeLevel('chunk', support)}; --level doc scores all of them`);
}

/** What an evaluation scores: the flags --level, --k and --split of eval and sweep-fusion. */
/** --model and --index-dir: the embedding model and the index folder of every command that opens the local index. */
export const LOCAL_INDEX_OPTIONS = {
  model: { type: 'string' },
  'index-dir': { type: 'string' },
} as const;

export const EVALUATION_OPTIONS = {
  level: { type: 'string', default: 'doc' },
  k: { type: 'string', default: '100' },
  split: { type: 'string', default: 'eval' },
} as const;

export function evaluationFromArgs(values: { level?: string; k?: string; split?: string }): { level: 'doc' | 'chunk'; depth: number; split: 'eval' | 'train' | 'all' } {
  const { level, k, split } = values;
  if (level !== 'doc' && level !== 'chunk') throw new UsageError(`--level must be doc or chunk, got "${level}"`);
  const depth = Number(k);
  if (!Number.isInteger(depth) || depth < 1) throw new UsageError(`--k must be a positive integer, got "${k}"`);
  if (split !== 'eval' && split !== 'train' && split !== 'all') throw new UsageError(`--split must be eval, train or all, got "${split}"`);
  return { level, depth, split };
}

/** The index and search flags every indexing command takes (spread into parseArgs options). */
export const RETRIEVAL_OPTIONS = {
  chunker: { type: 'string' },
  'chunk-size': { type: 'string' },
  'chunk-overlap': { type: 'string' },
  stemming: { type: 'string' },
  'stop-words': { type: 'string' },
  fusion: { type: 'string' },
  normalization: { type: 'string' },
  'rrf-k': { type: 'string' },
  'dense-weight': { type: 'string' },
  'rerank-base': { type: 'string' },
  'rerank-candidates': { type: 'string' },
  /** Read this settings file instead of <dir>/.vscode/settings.json (the user's own: applied whole). */
  settings: { type: 'string' },
  /** Apply the models, endpoints, retrievers and adapters the workspace's own settings name (see loadTarget). */
  'trust-workspace': { type: 'boolean' },
  /** Model processes embedding in parallel (retrievalLens.embeddingProcesses; default the cores, capped). */
  'embed-processes': { type: 'string' },
} as const;

/** What a command's usage line says for the shared flags; `retrieval-lens <command> --help` spells them out (FLAG_GROUPS). */
export const RETRIEVAL_USAGE = '[settings flags] [index flags] [fusion flags]';

/**
 * The flags many commands share, named once: printed under a command's own flags by `<command> --help` when its
 * usage names the group.
 */
export const FLAG_GROUPS: Array<{ name: string; lines: string[] }> = [
  {
    name: 'settings flags',
    lines: [
      '--settings FILE        read this settings file instead of <dir>/.vscode/settings.json (yours: applied whole)',
      '--trust-workspace      apply the models, endpoints, retrievers and adapters <dir>/.vscode/settings.json names',
      '                       (or RETRIEVAL_LENS_TRUST_WORKSPACE=1); untrusted by default, as in Restricted Mode',
    ],
  },
  {
    name: 'index flags',
    lines: [
      `--chunker NAME         ${Object.keys(CHUNKER_DEFAULTS).join(', ')} (default markdown)`,
      '--chunk-size N         the chunker\'s size; --chunk-overlap N its overlap',
      '--stemming on|off      keyword stemming; --stop-words on|off keyword stop words',
      '--embed-processes N    model processes embedding in parallel (default: the cores, capped)',
    ],
  },
  {
    name: 'fusion flags',
    lines: [
      '--fusion rrf|weighted  how hybrid fuses keyword and dense; --normalization min-max|z-score (weighted)',
      '--dense-weight W       the dense share of a weighted fusion (0..1); --rrf-k N the RRF constant',
      '--rerank-base bm25|dense|hybrid, --rerank-candidates N   what a cross-encoder reranks',
    ],
  },
  { name: 'filter flags', lines: ['--path GLOB, --exclude-path GLOB, --language L, --front-matter KEY=VALUE (each repeatable), --heading TEXT, --modified-after DATE'] },
];

export type RetrievalArgs = Partial<Record<Exclude<keyof typeof RETRIEVAL_OPTIONS, 'trust-workspace'>, string>>;

/**
 * The workspace's settings (.vscode/settings.json) with the flags over them. A flag is checked by the same rule as
 * its setting. `--chunker` picks a chunker afresh: the settings' size and overlap then no longer apply.
 */
export function retrievalFromArgs(values: RetrievalArgs, target: EvalTarget): RetrievalSettings {
  const flags: Array<[keyof RetrievalArgs, keyof WorkspaceSettings, (v: string) => unknown]> = [
    ['chunker', 'chunker', (v) => v],
    ['chunk-size', 'chunkSize', Number],
    ['chunk-overlap', 'chunkOverlap', Number],
    ['stemming', 'keywordStemming', onOff],
    ['stop-words', 'keywordStopWords', onOff],
    ['fusion', 'fusion', (v) => v],
    ['normalization', 'fusionNormalization', (v) => v],
    ['rrf-k', 'rrfK', Number],
    ['dense-weight', 'denseWeight', Number],
    ['rerank-base', 'rerankBase', (v) => (v === 'bm25' ? 'keyword' : v)],
    ['rerank-candidates', 'rerankCandidates', Number],
  ];
  const settings: Record<string, unknown> = { ...target.settings };
  if (values.chunker !== undefined) {
    delete settings.chunkSize;
    delete settings.chunkOverlap;
  }
  for (const [flag, key, parse] of flags) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const value = parse(raw);
    const problem = checkSetting(key, value);
    if (problem) throw new UsageError(`--${flag} ${problem.replace(/^retrievalLens\.\w+ /, '').replace(/( or null)?, got .*$/, '')}, got "${raw}"`);
    settings[key] = value;
  }
  const defaultChunker: ChunkerKind = target.kind === 'beir' ? 'whole-document' : 'markdown';
  embedProcessesFromArgs(values, target);
  return retrievalSettings(settings as WorkspaceSettings, defaultChunker);
}

function onOff(v: string): boolean | string {
  return v === 'on' ? true : v === 'off' ? false : v;
}

/** Metadata filter flags of `search` (eval uses each query's own filter from the eval set). */
export const FILTER_OPTIONS = {
  path: { type: 'string', multiple: true },
  'exclude-path': { type: 'string', multiple: true },
  language: { type: 'string', multiple: true },
  'front-matter': { type: 'string', multiple: true },
  heading: { type: 'string' },
  'modified-after': { type: 'string' },
} as const;

export const FILTER_USAGE = '[filter flags]';

export function filterFromArgs(values: {
  path?: string[];
  'exclude-path'?: string[];
  language?: string[];
  'front-matter'?: string[];
  heading?: string;
  'modified-after'?: string;
}): MetadataFilter | undefined {
  const frontMatter: Record<string, string[]> = {};
  for (const pair of values['front-matter'] ?? []) {
    const m = /^([^=]+)=(.*)$/.exec(pair);
    if (!m || !m[1].trim()) throw new UsageError(`--front-matter takes KEY=VALUE, got "${pair}"`);
    (frontMatter[m[1].trim()] ??= []).push(m[2].trim());
  }
  const after = values['modified-after'];
  if (after !== undefined && Number.isNaN(Date.parse(after))) throw new UsageError(`--modified-after must be a date (e.g. 2026-01-31), got "${after}"`);
  const filter: MetadataFilter = defined({
    pathGlobs: values.path,
    excludeGlobs: values['exclude-path'],
    languages: values.language,
    frontMatter: Object.keys(frontMatter).length ? frontMatter : undefined,
    headingPath: values.heading,
    modifiedAfter: after,
  });
  return Object.keys(filter).length ? filter : undefined;
}
