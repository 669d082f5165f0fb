import { elasticFilter, filterParts, qdrantFilter } from './engine-filters';
import { PRESET_DEFAULTS, getPath, type HttpRetrieverConfig, type ResponseMapping } from './retriever-config';
import type { MetadataFilter } from './types';
import { RetrieverError, type QueryEmbedder, type RetrievedHit, type Retriever, type RetrieverCapabilities, type RetrieverSearchOptions } from './retriever';
import { resolveSecrets, type SecretSource } from '../io/secret-source';

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * An external search service reached over HTTP: a request template (`${query}`, `${k}`, `${vector}`) and a
 * response mapping (dotted paths to the hit array and to each hit's id, score, text, path, offsets), with presets
 * for OpenSearch / Elasticsearch `_search`, Qdrant `points/query` and a plain `{results: [{id, score, text}]}` service.
 */
export class HttpRetriever implements Retriever {
  readonly kind = 'http';
  readonly capabilities: RetrieverCapabilities;
  private readonly method: 'GET' | 'POST';
  private readonly body: unknown;
  private readonly mapping: ResponseMapping;
  /** Fields the user mapped explicitly: a hit without one is an error; preset fields are optional. */
  private readonly required: Set<keyof ResponseMapping>;

  constructor(
    readonly name: string,
    readonly config: HttpRetrieverConfig,
    private readonly deps: { secrets: SecretSource; queryEmbedder?: QueryEmbedder; fetch?: typeof fetch },
  ) {
    const preset = config.preset ? PRESET_DEFAULTS[config.preset] : undefined;
    this.method = config.method ?? preset?.method ?? 'POST';
    this.body = config.body ?? preset?.body;
    const fields = ['results', 'id', 'score', 'text', 'path', 'start', 'end'] as const;
    const mapping: Partial<ResponseMapping> = { ...preset?.mapping };
    this.required = new Set(['results', 'id']);
    for (const f of fields) {
      if (config[f] !== undefined) {
        mapping[f] = config[f];
        this.required.add(f);
      }
    }
    this.mapping = mapping as ResponseMapping;
    const template = `${JSON.stringify(this.body ?? '')} ${config.url}`;
    const needsVector = template.includes('${vector}');
    // The filter reaches the engine as `${filter}` (the MetadataFilter as JSON, for a service of one's own) or, with
    // `filterFields`, translated into the OpenSearch / Elasticsearch or Qdrant query language.
    this.filterMode = template.includes('${filter}') ? 'template' : config.filterFields && (config.preset === 'opensearch' || config.preset === 'elasticsearch') ? 'elastic' : config.filterFields && config.preset === 'qdrant' ? 'qdrant' : undefined;
    this.capabilities = { filters: this.filterMode !== undefined, returnsText: this.mapping.text !== undefined, needsQueryVector: needsVector, concurrency: config.concurrency ?? 4 };
  }

  private readonly filterMode: 'template' | 'elastic' | 'qdrant' | undefined;

  filterGaps(filter: MetadataFilter): string[] {
    if (this.filterMode === 'elastic') return elasticFilter(filter, this.config.filterFields ?? {}).gaps;
    if (this.filterMode === 'qdrant') return qdrantFilter(filter, this.config.filterFields ?? {}).gaps;
    return [];
  }

  /** The request body for one query: the template filled, then the engine's filter added where the preset puts it. */
  private requestBody(query: string, k: number, vector: number[] | undefined, filter: MetadataFilter | undefined): unknown {
    const active = filterParts(filter).length ? filter : undefined;
    const body = fillTemplate(this.body ?? {}, query, k, vector, active ?? null);
    if (!active || !body || typeof body !== 'object' || Array.isArray(body)) return body;
    const b = body as Record<string, unknown>;
    if (this.filterMode === 'elastic') {
      const f = elasticFilter(active, this.config.filterFields ?? {}).clause;
      if (f) return { ...b, query: { bool: { must: b.query === undefined ? [] : [b.query], filter: f.filter, must_not: f.must_not } } };
    }
    if (this.filterMode === 'qdrant') {
      const f = qdrantFilter(active, this.config.filterFields ?? {}).clause;
      const prev = (b.filter ?? {}) as { must?: unknown[]; must_not?: unknown[] };
      if (f) return { ...b, filter: { ...prev, must: [...(prev.must ?? []), ...f.must], must_not: [...(prev.must_not ?? []), ...f.must_not] } };
    }
    return body;
  }

  /** The endpoint without query string or credentials, for messages and manifests. */
  get endpoint(): string {
    try {
      const u = new URL(this.config.url.replace(/\$\{[^}]*\}/g, 'x'));
      return `${u.origin}${u.pathname}`;
    } catch {
      return 'an http endpoint'; // never the raw setting: an unparsable URL may still carry credentials
    }
  }

  async search(query: string, k: number, options: RetrieverSearchOptions = {}): Promise<RetrievedHit[]> {
    const fail = (where: string, problem: string) => new RetrieverError(this.name, query, where, problem);
    let vector: number[] | undefined;
    if (this.capabilities.needsQueryVector) {
      if (!this.deps.queryEmbedder) throw fail('request', 'uses ${vector} but no embedding model is available for the query vector');
      try {
        vector = Array.from(await this.deps.queryEmbedder(query, options.signal));
      } catch (e) {
        if (options.signal?.aborted) throw e;
        throw fail(`embedding model "${this.config.embeddingModel}"`, e instanceof Error ? e.message : String(e));
      }
    }
    const filter = this.filterMode && filterParts(options.filter).length ? options.filter : undefined;
    const url = this.config.url
      .replace(/\$\{query\}/g, encodeURIComponent(query))
      .replace(/\$\{k\}/g, String(k))
      .replace(/\$\{filter\}/g, encodeURIComponent(JSON.stringify(filter ?? null)));
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [h, v] of Object.entries(this.config.headers ?? {})) {
      try {
        headers[h] = await resolveSecrets(v, this.deps.secrets);
      } catch (e) {
        throw fail(`headers.${h}`, e instanceof Error ? e.message : String(e));
      }
    }
    let body: string | undefined;
    if (this.method === 'POST') {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(this.requestBody(query, k, vector, filter));
    }
    const timeoutMs = this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const request = `${this.method} ${this.endpoint}`;
    let status: number;
    let text: string;
    try {
      const res = await (this.deps.fetch ?? fetch)(url, { method: this.method, headers, body, signal });
      status = res.status;
      text = await res.text();
      if (!res.ok) throw fail(request, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}: ${excerpt(text)}`);
    } catch (e) {
      if (e instanceof RetrieverError) throw e;
      if (options.signal?.aborted) throw options.signal.reason ?? e;
      if (timeout.aborted) throw fail(request, `no response within ${timeoutMs} ms (timeoutMs)`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw fail(request, `request failed: ${cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e))}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw fail(`${request} response`, `malformed JSON (HTTP ${status}): ${e instanceof Error ? e.message : e}: ${excerpt(text)}`);
    }
    const m = this.mapping;
    const list = getPath(json, m.results);
    if (!list.found) throw fail(`response: ${m.results || '(root)'}`, `missing (top-level keys: ${topKeys(json)})`);
    if (!Array.isArray(list.value)) throw fail(`response: ${m.results || '(root)'}`, `is not an array of hits (got ${typeName(list.value)})`);
    const out: RetrievedHit[] = [];
    for (let i = 0; i < list.value.length && out.length < k; i++) {
      const h: unknown = list.value[i];
      const at = (p: string) => `response: ${m.results ? `${m.results}` : ''}[${i}]${p ? `.${p}` : ''}`;
      const field = (f: keyof ResponseMapping): unknown => {
        const p = m[f];
        if (p === undefined) return undefined;
        const v = getPath(h, p);
        if (!v.found || v.value === null) {
          if (this.required.has(f)) throw fail(at(p), `missing (the "${f}" mapping; keys here: ${topKeys(h)})`);
          return undefined;
        }
        return v.value;
      };
      const id = field('id');
      if (typeof id !== 'string' && typeof id !== 'number') throw fail(at(m.id), `must be a string or number, got ${typeName(id)}`);
      const rawScore = field('score');
      const score = rawScore === undefined ? 1 / (i + 1) : Number(rawScore);
      if (!Number.isFinite(score)) throw fail(at(m.score as string), `must be a number, got ${JSON.stringify(rawScore)}`);
      const hit: RetrievedHit = { rank: out.length + 1, score, id: String(id) };
      const t = field('text');
      if (t !== undefined) hit.text = Array.isArray(t) ? t.join(' ') : String(t);
      const p = field('path');
      if (p !== undefined) hit.path = String(p);
      const s = field('start');
      const e = field('end');
      if (s !== undefined && e !== undefined) {
        hit.start = Number(s);
        hit.end = Number(e);
      }
      out.push(hit);
    }
    return out;
  }

  /** Nothing to close: each search is one request. */
  async dispose(): Promise<void> {}
}

/**
 * The request body with `${k}` / `${vector}` / `${filter}` strings replaced by the number / array / filter object
 * (null without a filter) and `${query}` substituted in strings.
 */
export function fillTemplate(template: unknown, query: string, k: number, vector: number[] | undefined, filter: MetadataFilter | null = null): unknown {
  if (typeof template === 'string') {
    if (template === '${k}') return k;
    if (template === '${vector}') return vector ?? [];
    if (template === '${filter}') return filter;
    return template.replace(/\$\{query\}/g, query).replace(/\$\{k\}/g, String(k));
  }
  if (Array.isArray(template)) return template.map((t) => fillTemplate(t, query, k, vector, filter));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([key, v]) => [key, fillTemplate(v, query, k, vector, filter)]));
  return template;
}

function excerpt(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 197)}...` : t || '(empty body)';
}

function topKeys(v: unknown): string {
  return v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).slice(0, 10).join(', ') || 'none' : typeName(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
