import { checkOpenAIEndpointFields, type ConfigProblem, type EmbeddingEndpointConfig } from '../embed/endpoint-config';
import { FILTER_FIELD_NAMES, type FilterFields } from './engine-filters';

/**
 * How an engine's hit id (or stored path) becomes a workspace document id: take the hit's `path` when the engine
 * returns one, else its `id`; optionally rewrite it with a regular expression (e.g. `^(.*)#chunk-\d+$` → `$1` to
 * drop a chunk suffix, or `^docs/` → `` to drop a folder prefix). BEIR corpora need no rule: the engine stores `_id`.
 */
export interface DocumentIdRule {
  from?: 'id' | 'path';
  pattern?: string;
  replace?: string;
}

/**
 * `retrievalLens.retrievers`: named external retrievers. Secrets are never values here: headers name them as
 * `${secret:NAME}`, pgvector names its password with `passwordSecret`; the CLI reads environment variable NAME,
 * the editor its secret storage.
 */
export type ExternalRetrieverConfig = HttpRetrieverConfig | PgvectorRetrieverConfig;

export type HttpPreset = 'opensearch' | 'elasticsearch' | 'qdrant' | 'plain';
export const HTTP_PRESETS: readonly HttpPreset[] = ['opensearch', 'elasticsearch', 'qdrant', 'plain'];

export interface ResponseMapping {
  /** Dotted path to the array of hits in the response (e.g. `hits.hits`); empty when the response is the array. */
  results: string;
  /** Dotted paths inside one hit. */
  id: string;
  score?: string;
  text?: string;
  path?: string;
  start?: string;
  end?: string;
}

export interface HttpRetrieverConfig extends Partial<ResponseMapping> {
  type: 'http';
  preset?: HttpPreset;
  /** The endpoint; `${query}` and `${k}` are substituted (URL-encoded) for GET requests. */
  url: string;
  method?: 'GET' | 'POST';
  /** Values may name secrets as `${secret:NAME}`. */
  headers?: Record<string, string>;
  /** JSON request body; a string that is exactly `${k}` or `${vector}` becomes the number or the array, `${query}` is substituted inside strings. */
  body?: unknown;
  /** Names the query-vector model (`local`: the index's embedding model, or a key of retrievalLens.embeddingEndpoints); needed for `${vector}`. */
  embeddingModel?: string;
  /** Engine fields a metadata filter is translated onto (opensearch, elasticsearch and qdrant presets). */
  filterFields?: FilterFields;
  documentId?: DocumentIdRule;
  timeoutMs?: number;
  concurrency?: number;
}

export interface PgvectorRetrieverConfig {
  type: 'pgvector';
  /** postgres://user@host:port/db — without a password. */
  connection: string;
  /** The environment variable (CLI) or secret-storage name (editor) holding the password. */
  passwordSecret?: string;
  /**
   * `$1` is the query vector (text such as `[0.1,0.2]`, cast with `$1::vector`), `$2` (optional) the query text,
   * `$3` (optional, with `$2`) the query's metadata filter as JSON text (`$3::jsonb`; SQL null without a filter).
   */
  sql: string;
  embeddingModel: string;
  idColumn?: string;
  textColumn?: string;
  pathColumn?: string;
  scoreColumn?: string;
  startColumn?: string;
  endColumn?: string;
  documentId?: DocumentIdRule;
  timeoutMs?: number;
  concurrency?: number;
}

/** Response mappings of the presets; a configured field overrides the preset's. */
export const PRESET_DEFAULTS: Record<HttpPreset, { method: 'GET' | 'POST'; body: unknown; mapping: ResponseMapping; needsVector: boolean }> = {
  opensearch: {
    method: 'POST',
    body: { size: '${k}', query: { multi_match: { query: '${query}' } } },
    mapping: { results: 'hits.hits', id: '_id', score: '_score', text: '_source.text', path: '_source.path' },
    needsVector: false,
  },
  elasticsearch: {
    method: 'POST',
    body: { size: '${k}', query: { multi_match: { query: '${query}' } } },
    mapping: { results: 'hits.hits', id: '_id', score: '_score', text: '_source.text', path: '_source.path' },
    needsVector: false,
  },
  qdrant: {
    method: 'POST',
    body: { query: '${vector}', limit: '${k}', with_payload: true },
    mapping: { results: 'result.points', id: 'id', score: 'score', text: 'payload.text', path: 'payload.path' },
    needsVector: true,
  },
  plain: {
    method: 'POST',
    body: { query: '${query}', k: '${k}' },
    mapping: { results: 'results', id: 'id', score: 'score', text: 'text' },
    needsVector: false,
  },
};

const SECRET_HEADER = /^(authorization|proxy-authorization|api-key|x-api-key|apikey|cookie)$/i;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `retrievalLens.retrievers` (a named map) and returns it typed, or the problems, each at its JSON path so
 * the caller can name the line.
 */
export function validateRetrievers(value: unknown, endpoints: Record<string, EmbeddingEndpointConfig> = {}): { retrievers: Record<string, ExternalRetrieverConfig>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (!isObject(value)) return { retrievers: {}, problems: [{ path: [], problem: 'must be an object mapping a retriever name to its settings' }] };
  const out: Record<string, ExternalRetrieverConfig> = {};
  for (const [name, c] of Object.entries(value)) {
    const at = (field: string | number, problem: string, ...more: Array<string | number>) => problems.push({ path: [name, field, ...more], problem });
    const before = problems.length;
    if (['keyword', 'bm25', 'dense', 'hybrid', 'rerank'].includes(name)) {
      problems.push({ path: [name], problem: `"${name}" is a built-in retriever; choose another name` });
      continue;
    }
    if (!isObject(c)) {
      problems.push({ path: [name], problem: 'must be an object with a "type" (http or pgvector)' });
      continue;
    }
    const str = (f: string, required = false) => {
      if (c[f] === undefined) {
        if (required) problems.push({ path: [name], problem: `needs "${f}"` });
        return;
      }
      if (typeof c[f] !== 'string' || (required && !(c[f] as string).trim())) at(f, 'must be a non-empty string');
    };
    const posInt = (f: string) => {
      if (c[f] !== undefined && !(typeof c[f] === 'number' && Number.isInteger(c[f]) && (c[f] as number) >= 1)) at(f, 'must be a whole number ≥ 1');
    };
    const model = () => {
      const m = c.embeddingModel;
      if (m === undefined) return;
      if (typeof m !== 'string') at('embeddingModel', 'must be a string');
      else if (m !== 'local' && !(m in endpoints)) at('embeddingModel', `must be "local" (the index's embedding model) or a key of retrievalLens.embeddingEndpoints${Object.keys(endpoints).length ? ` (${Object.keys(endpoints).join(', ')})` : ''}, got "${m}"`);
    };
    const idRule = () => {
      const r = c.documentId;
      if (r === undefined) return;
      if (!isObject(r)) return at('documentId', 'must be an object { from?: "id"|"path", pattern?, replace? }');
      if (r.from !== undefined && r.from !== 'id' && r.from !== 'path') at('documentId', 'must be "id" or "path"', 'from');
      if (r.pattern !== undefined) {
        if (typeof r.pattern !== 'string') at('documentId', 'must be a regular expression string', 'pattern');
        else
          try {
            new RegExp(r.pattern);
          } catch (e) {
            at('documentId', `is not a valid regular expression: ${e instanceof Error ? e.message : e}`, 'pattern');
          }
      }
      if (r.replace !== undefined && typeof r.replace !== 'string') at('documentId', 'must be a string', 'replace');
    };
    posInt('timeoutMs');
    posInt('concurrency');
    model();
    idRule();
    if (c.type === 'http') {
      str('url', true);
      if (typeof c.url === 'string' && !/^https?:\/\//.test(c.url)) at('url', `must be an http:// or https:// URL, got "${c.url}"`);
      if (c.preset !== undefined && !HTTP_PRESETS.includes(c.preset as HttpPreset)) at('preset', `must be one of ${HTTP_PRESETS.join(', ')}, got ${JSON.stringify(c.preset)}`);
      if (c.method !== undefined && c.method !== 'GET' && c.method !== 'POST') at('method', `must be GET or POST, got ${JSON.stringify(c.method)}`);
      if (c.headers !== undefined) {
        if (!isObject(c.headers)) at('headers', 'must be an object of header names to strings');
        else
          for (const [h, v] of Object.entries(c.headers)) {
            if (typeof v !== 'string') at('headers', 'must be a string', h);
            else if (SECRET_HEADER.test(h) && !/\$\{secret:[A-Za-z_][A-Za-z0-9_]*\}/.test(v)) at('headers', `holds a credential: write it as \${secret:NAME} (an environment variable for the CLI, the editor's secret storage) instead of the value`, h);
          }
      }
      for (const f of ['results', 'id', 'score', 'text', 'path', 'start', 'end']) if (c[f] !== undefined && typeof c[f] !== 'string') at(f, 'must be a dotted path string (e.g. "hits.hits" or "_source.text")');
      const preset = PRESET_DEFAULTS[c.preset as HttpPreset];
      if (!preset && (c.results === undefined || c.id === undefined)) problems.push({ path: [name], problem: 'needs "results" and "id" (dotted paths into the response) or a "preset"' });
      if (c.filterFields !== undefined) {
        if (!isObject(c.filterFields)) at('filterFields', `must be an object naming engine fields for ${FILTER_FIELD_NAMES.join(', ')}`);
        else {
          if (c.preset !== 'opensearch' && c.preset !== 'elasticsearch' && c.preset !== 'qdrant') at('filterFields', 'is translated for the opensearch, elasticsearch and qdrant presets; for another service put "${filter}" in the body');
          for (const [f, v] of Object.entries(c.filterFields)) {
            if (!(FILTER_FIELD_NAMES as readonly string[]).includes(f)) at('filterFields', `is not a filter field (use ${FILTER_FIELD_NAMES.join(', ')})`, f);
            else if (typeof v !== 'string' || !v.trim()) at('filterFields', 'must be a field name (a dotted path in the engine document)', f);
          }
        }
      }
      const needsVector = JSON.stringify(c.body ?? preset?.body ?? '').includes('${vector}');
      if (needsVector && c.embeddingModel === undefined) problems.push({ path: [name], problem: 'the request uses ${vector}: name the query-vector model with "embeddingModel"' });
    } else if (c.type === 'pgvector') {
      str('connection', true);
      str('sql', true);
      str('passwordSecret');
      if (typeof c.connection === 'string') {
        try {
          // Only the URL form is taken (a keyword/value string such as "host=h password=p" is no URL and is refused
          // below); its password is refused wherever it is written: user:password@ or ?password=.
          const u = new URL(c.connection);
          if (u.password || [...u.searchParams.keys()].some((k) => k.toLowerCase() === 'password')) at('connection', 'holds a password: remove it and name the environment variable or secret with "passwordSecret"');
          if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') at('connection', `must be a postgres:// URL, got "${u.protocol}"`);
        } catch {
          at('connection', 'must be a postgres://user@host:port/database URL');
        }
      }
      if (typeof c.sql === 'string' && !/\$1\b/.test(c.sql)) at('sql', 'must use $1 (the query vector)');
      if (typeof c.sql === 'string' && /\$3\b/.test(c.sql) && !/\$2\b/.test(c.sql)) at('sql', 'uses $3 (the filter) without $2 (the query text): Postgres needs every parameter typed, e.g. add "AND $2::text IS NOT NULL"');
      if (c.embeddingModel === undefined) problems.push({ path: [name], problem: 'needs "embeddingModel" for the query vector ($1)' });
      for (const f of ['idColumn', 'textColumn', 'pathColumn', 'scoreColumn', 'startColumn', 'endColumn']) str(f);
    } else {
      at('type', `must be "http" or "pgvector", got ${JSON.stringify(c.type)}`);
    }
    if (problems.length === before) out[name] = c as unknown as ExternalRetrieverConfig;
  }
  return { retrievers: out, problems };
}

/** Checks `retrievalLens.embeddingEndpoints`. */
export function validateEmbeddingEndpoints(value: unknown): { endpoints: Record<string, EmbeddingEndpointConfig>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (!isObject(value)) return { endpoints: {}, problems: [{ path: [], problem: 'must be an object mapping an endpoint name to its settings' }] };
  const out: Record<string, EmbeddingEndpointConfig> = {};
  for (const [name, c] of Object.entries(value)) {
    const before = problems.length;
    if (!isObject(c)) {
      problems.push({ path: [name], problem: 'must be an object with "url" and "model"' });
      continue;
    }
    checkOpenAIEndpointFields(name, c, problems, '/v1/embeddings', ['dims', 'batchSize']);
    if (problems.length === before) out[name] = { type: 'openai', ...c } as EmbeddingEndpointConfig;
  }
  return { endpoints: out, problems };
}

/** `a.b[0].c` / `a.b.0.c` → the value, or undefined with the deepest path that existed. */
export function getPath(value: unknown, dotted: string): { found: boolean; value: unknown } {
  if (!dotted) return { found: true, value };
  let v: unknown = value;
  for (const part of dotted.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object' || !(part in (v as Record<string, unknown>))) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[part];
  }
  return { found: true, value: v };
}
