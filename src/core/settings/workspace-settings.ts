import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { ChunkerConfig, ChunkerKind } from '../chunking/chunk';
import { CHUNKER_DEFAULTS, sizedChunkerConfig } from '../chunking/chunker-registry';
import { InputError } from '../io/input-error';
import { checkProcessCount } from '../embed/embedder-pool';
import type { EmbeddingEndpointConfig, ConfigProblem } from '../embed/endpoint-config';
import { validateChatEndpoints, type ChatEndpointConfig } from '../embed/chat-endpoints';
import { validateEmbeddingEndpoints, validateRetrievers, type ExternalRetrieverConfig } from '../retrieve/retriever-config';
import type { FusionConfig, RerankConfig } from '../retrieve/types';
import type { KeywordConfig } from '../store/keyword-types';

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
  /**
   * Model processes that embed in parallel (default: the cores, capped; see embedder-pool.ts). Changing it restarts
   * the processes, never the index: the vectors are the same for any count.
   */
  embeddingProcesses?: number | null;
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
  /** The query adapter the editor applies (a folder name under .retrieval-lens/adapters), or "" for none. */
  queryAdapter?: string;
  /** Named external retrievers (http, pgvector); validated field by field, see retriever-config.ts. */
  retrievers?: Record<string, ExternalRetrieverConfig>;
  /** Named OpenAI-compatible embeddings endpoints, for query vectors and the local index. */
  embeddingEndpoints?: Record<string, EmbeddingEndpointConfig>;
  /** Named OpenAI-compatible chat-completions endpoints, for the LLM judge (see embed/chat-endpoints.ts). */
  chatEndpoints?: Record<string, ChatEndpointConfig>;
}

/** The settings holding named maps, checked field by field (each problem at its own line) instead of as one value. */
type NestedSetting = 'retrievers' | 'embeddingEndpoints' | 'chatEndpoints';

type Check = (v: unknown) => string | undefined;
const oneOf = (values: readonly string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const text: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
/** A folder name (or a path) under .retrieval-lens/adapters: relative, never leaving that folder. */
const adapterRef: Check = (v) =>
  typeof v !== 'string' ? 'must be a string'
  : v.length > 500 || path.isAbsolute(v) || /^[A-Za-z]:/.test(v) || v.split(/[\\/]+/).some((p) => p === '..') ? 'must name a folder under .retrieval-lens/adapters (a relative name without "..")'
  : undefined;
const globs: Check = (v) => (Array.isArray(v) && v.every((g) => typeof g === 'string') ? undefined : 'must be a list of glob strings');
const number = (ok: (n: number) => boolean, what: string, nullable = false): Check => (v) =>
  (nullable && v === null) || (typeof v === 'number' && Number.isFinite(v) && ok(v)) ? undefined : `must be ${what}${nullable ? ' or null' : ''}`;

/** What each setting accepts; a value outside it is reported, never silently used. */
const CHECKS: Record<Exclude<keyof WorkspaceSettings, NestedSetting>, Check> = {
  include: globs,
  exclude: globs,
  chunker: oneOf(Object.keys(CHUNKER_DEFAULTS)),
  chunkSize: number((n) => n > 0, 'a positive number', true),
  chunkOverlap: number((n) => n >= 0, 'a number ≥ 0', true),
  embeddingModel: text,
  embeddingDtype: oneOf(['q8', 'fp32']),
  embeddingProcesses: (v) => (v === null ? undefined : checkProcessCount(v) && `${checkProcessCount(v)} or null`),
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
  queryAdapter: adapterRef,
};

export const SETTING_KEYS = Object.keys(CHECKS) as Array<Exclude<keyof WorkspaceSettings, NestedSetting>>;

/** Why `value` is not valid for `key` ("retrievalLens.denseWeight must be …, got 2"), or undefined when it is. */
export function checkSetting(key: keyof WorkspaceSettings, value: unknown): string | undefined {
  if (key === 'retrievers' || key === 'embeddingEndpoints' || key === 'chatEndpoints') {
    const [p] = key === 'retrievers' ? validateRetrievers(value).problems : key === 'chatEndpoints' ? validateChatEndpoints(value).problems : validateEmbeddingEndpoints(value).problems;
    return p && `${nestedSettingName(key, p.path)} ${p.problem}`;
  }
  const problem = CHECKS[key](value);
  return problem && `retrievalLens.${key} ${problem}, got ${JSON.stringify(value)}`;
}

/**
 * The retrievalLens.* settings of a workspace's .vscode/settings.json (JSON with comments), or of `file` when given
 * (the CLI's --settings). Invalid JSON or an invalid value of a known setting is an InputError naming the file and
 * line; in retrievalLens.retrievers, embeddingEndpoints and chatEndpoints the line of the offending field.
 */
export function readWorkspaceSettings(root: string, file = path.join(root, '.vscode', 'settings.json')): WorkspaceSettings {
  if (!fs.existsSync(file)) {
    if (file !== path.join(root, '.vscode', 'settings.json')) throw new InputError(file, undefined, 'settings file not found');
    return {};
  }
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
  const nested = (key: NestedSetting, check: (v: unknown) => { problems: ConfigProblem[]; value: unknown }) => {
    const node = tree && findNodeAtLocation(tree, [`retrievalLens.${key}`]);
    if (!node) return;
    // The value as JSON with comments reads it (comments and trailing commas inside the map are fine).
    const value: unknown = getNodeValue(node);
    const checked = check(value);
    const [p] = checked.problems;
    if (p) {
      // The deepest node of the problem's path that exists in the file gives the line.
      let at = node;
      for (let i = p.path.length; i > 0; i--) {
        const n = findNodeAtLocation(tree, [`retrievalLens.${key}`, ...p.path.slice(0, i)]);
        if (n) {
          at = n;
          break;
        }
      }
      throw new InputError(file, lineAt(at.offset), `${nestedSettingName(key, p.path)} ${p.problem}`);
    }
    out[key] = checked.value;
  };
  nested('embeddingEndpoints', (v) => {
    const r = validateEmbeddingEndpoints(v);
    return { problems: r.problems, value: r.endpoints };
  });
  nested('chatEndpoints', (v) => {
    const r = validateChatEndpoints(v);
    return { problems: r.problems, value: r.endpoints };
  });
  nested('retrievers', (v) => {
    const r = validateRetrievers(v, (out.embeddingEndpoints ?? {}) as Record<string, EmbeddingEndpointConfig>);
    return { problems: r.problems, value: r.retrievers };
  });
  return out as WorkspaceSettings;
}

/** `retrievalLens.retrievers.search.headers.Authorization` for a problem at ['search', 'headers', 'Authorization']. */
export function nestedSettingName(key: NestedSetting, p: Array<string | number>): string {
  return [`retrievalLens.${key}`, ...p.map((x) => (typeof x === 'number' ? `[${x}]` : /^[A-Za-z_][\w-]*$/.test(x) ? x : JSON.stringify(x)))].join('.').replace(/\.\[/g, '[');
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
