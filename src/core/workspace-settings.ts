import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { ChunkerConfig, ChunkerKind } from './chunking/chunk';
import { CHUNKER_DEFAULTS, sizedChunkerConfig } from './chunking/chunker-registry';
import { InputError } from './corpus/input-error';
import type { FusionConfig, KeywordConfig, RerankConfig } from './retrieve/types';

/**
 * The retrievalLens.* settings that decide what is indexed and how it is searched. The editor reads them from its
 * configuration, the CLI from the workspace's .vscode/settings.json, so both index and search alike.
 */
export interface WorkspaceSettings {
  include?: string[];
  exclude?: string[];
  chunker?: ChunkerKind;
  chunkSize?: number | null;
  chunkOverlap?: number | null;
  embeddingModel?: string;
  embeddingDtype?: 'q8' | 'fp32';
  rerankerModel?: string;
  topK?: number;
  keywordStemming?: boolean;
  keywordStopWords?: boolean;
  fusion?: FusionConfig['method'];
  fusionNormalization?: FusionConfig['normalization'];
  denseWeight?: number;
  rrfK?: number;
  rerankBase?: RerankConfig['base'];
  rerankCandidates?: number;
}

type Check = (v: unknown) => string | undefined;
const oneOf = (values: readonly string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const text: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const globs: Check = (v) => (Array.isArray(v) && v.every((g) => typeof g === 'string') ? undefined : 'must be a list of glob strings');
const number = (ok: (n: number) => boolean, what: string, nullable = false): Check => (v) =>
  (nullable && v === null) || (typeof v === 'number' && Number.isFinite(v) && ok(v)) ? undefined : `must be ${what}${nullable ? ' or null' : ''}`;

/** What each setting accepts; a value outside it is reported, never silently used. */
const CHECKS: Record<keyof WorkspaceSettings, Check> = {
  include: globs,
  exclude: globs,
  chunker: oneOf(Object.keys(CHUNKER_DEFAULTS)),
  chunkSize: number((n) => n > 0, 'a positive number', true),
  chunkOverlap: number((n) => n >= 0, 'a number ≥ 0', true),
  embeddingModel: text,
  embeddingDtype: oneOf(['q8', 'fp32']),
  rerankerModel: text,
  topK: number((n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1'),
  keywordStemming: bool,
  keywordStopWords: bool,
  fusion: oneOf(['weighted', 'rrf']),
  fusionNormalization: oneOf(['min-max', 'z-score']),
  denseWeight: number((n) => n >= 0 && n <= 1, 'a number within [0, 1]'),
  rrfK: number((n) => n > 0, 'a positive number'),
  rerankBase: oneOf(['hybrid', 'keyword', 'dense']),
  rerankCandidates: number((n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1'),
};

export const SETTING_KEYS = Object.keys(CHECKS) as Array<keyof WorkspaceSettings>;

/** Why `value` is not valid for `key` ("retrievalLens.denseWeight must be …, got 2"), or undefined when it is. */
export function checkSetting(key: keyof WorkspaceSettings, value: unknown): string | undefined {
  const problem = CHECKS[key](value);
  return problem && `retrievalLens.${key} ${problem}, got ${JSON.stringify(value)}`;
}

/**
 * The retrievalLens.* settings of a workspace's .vscode/settings.json (JSON with comments). Invalid JSON or an
 * invalid value of a known setting is an InputError naming the file and line.
 */
export function readWorkspaceSettings(root: string): WorkspaceSettings {
  const file = path.join(root, '.vscode', 'settings.json');
  if (!fs.existsSync(file)) return {};
  const source = fs.readFileSync(file, 'utf8');
  const lineAt = (offset: number) => source.slice(0, offset).split('\n').length;
  const errors: ParseError[] = [];
  const tree = parseTree(source, errors, { allowTrailingComma: true });
  if (errors.length) throw new InputError(file, lineAt(errors[0].offset), `invalid JSON: ${printParseErrorCode(errors[0].error)}`);
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const node = tree && findNodeAtLocation(tree, [`retrievalLens.${key}`]);
    if (!node) continue;
    const value: unknown = JSON.parse(source.slice(node.offset, node.offset + node.length));
    const problem = checkSetting(key, value);
    if (problem) throw new InputError(file, lineAt(node.offset), problem);
    out[key] = value;
  }
  return out as WorkspaceSettings;
}

/** The index and search configuration the settings describe; unset fields keep the engine's defaults. */
export interface RetrievalSettings {
  chunker: ChunkerConfig;
  keyword: Partial<KeywordConfig>;
  fusion: Partial<FusionConfig>;
  rerank: Partial<RerankConfig>;
}

export function retrievalSettings(s: WorkspaceSettings, defaultChunker: ChunkerKind): RetrievalSettings {
  return {
    chunker: sizedChunkerConfig(s.chunker ?? defaultChunker, s.chunkSize ?? undefined, s.chunkOverlap ?? undefined),
    keyword: defined({ stemming: s.keywordStemming, stopWords: s.keywordStopWords }),
    fusion: defined({ method: s.fusion, normalization: s.fusionNormalization, denseWeight: s.denseWeight, rrfK: s.rrfK }),
    rerank: defined({ base: s.rerankBase, candidates: s.rerankCandidates }),
  };
}

/** The object without its undefined fields, so spreading it over defaults keeps them. */
export function defined<T extends object>(o: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}
