import { Pool, type ClientConfig, type PoolClient } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { filterParts } from './engine-filters';
import type { PgvectorRetrieverConfig } from './retriever-config';
import { RetrieverError, type QueryEmbedder, type RetrievedHit, type Retriever, type RetrieverCapabilities, type RetrieverSearchOptions } from './retriever';
import type { SecretSource } from '../io/secret-source';
import { DEFAULT_TIMEOUT_MS } from './http-retriever';

/**
 * Postgres with pgvector, reached with the `pg` client: the configured SQL runs with `$1` = the query vector as
 * pgvector text (`[0.12,-0.3,…]`, cast in SQL with `$1::vector`) and, when the SQL uses it, `$2` = the query text
 * (for hybrid SQL), and `$3` = the query's metadata filter as JSON text (null without one). Rows come back in the SQL's order; the id, text, path, score and offset columns are mapped by
 * name. The password comes from `passwordSecret`, never from the connection string in settings.
 *
 * The connection string is parsed here (with pg's own parser) and the password set as a field after the parse:
 * handed to `pg` as `connectionString`, the parsed fields override the ones beside it, and the parse always yields a
 * password (empty without one), so a `passwordSecret` never reached the server.
 */
export class PgvectorRetriever implements Retriever {
  readonly kind = 'pgvector';
  readonly capabilities: RetrieverCapabilities;
  private pool: Pool | undefined;
  private readonly usesText: boolean;
  private readonly usesFilter: boolean;

  constructor(
    readonly name: string,
    readonly config: PgvectorRetrieverConfig,
    private readonly deps: { secrets: SecretSource; queryEmbedder: QueryEmbedder },
  ) {
    this.usesText = /\$2\b/.test(config.sql);
    this.usesFilter = /\$3\b/.test(config.sql);
    // With $3 the SQL receives the whole filter: what it does with each part is the SQL's own.
    this.capabilities = { filters: this.usesFilter, returnsText: true, needsQueryVector: true, concurrency: config.concurrency ?? 4 };
  }

  /** host:port/database, for messages and manifests (no user or password); `?host=`/`?port=` win as they do in pg. */
  get endpoint(): string {
    try {
      const u = new URL(this.config.connection);
      const host = u.searchParams.get('host') || u.hostname;
      const port = u.searchParams.get('port') || u.port;
      return `${host}${port ? `:${port}` : ''}${u.pathname}`;
    } catch {
      return 'postgres';
    }
  }

  private async connect(query: string): Promise<Pool> {
    if (this.pool) return this.pool;
    const fail = (where: string, problem: string) => new RetrieverError(this.name, query, where, problem);
    let password: string | undefined;
    const secret = this.config.passwordSecret;
    if (secret) {
      password = await this.deps.secrets.get(secret);
      // Empty counts as not set: pg would take an empty password as none and fall back to PGPASSWORD or ~/.pgpass.
      if (password === undefined || password === '') throw fail('passwordSecret', `secret ${secret} is ${password === '' ? 'empty' : 'not set'} (${this.deps.secrets.describe(secret)})`);
    }
    let parsed: ClientConfig;
    try {
      parsed = parseIntoClientConfig(this.config.connection);
    } catch (e) {
      throw fail('connection', `cannot be parsed: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Settings are checked before a retriever is made; this holds for a retriever made without that check too.
    if (parsed.password) throw fail('connection', 'holds a password: remove it and name the environment variable or secret with "passwordSecret"');
    delete parsed.password;
    const timeout = this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // The secret goes last so nothing parsed from the connection string can replace it. Without passwordSecret pg
    // looks for the password as libpq does (PGPASSWORD, then ~/.pgpass).
    this.pool = new Pool({ ...parsed, ...(password === undefined ? {} : { password }), max: this.capabilities.concurrency, connectionTimeoutMillis: timeout, query_timeout: timeout, idleTimeoutMillis: 5_000 });
    // An idle connection dropped by the server must not crash the process.
    this.pool.on('error', () => undefined);
    return this.pool;
  }

  async search(query: string, k: number, options: RetrieverSearchOptions = {}): Promise<RetrievedHit[]> {
    options.signal?.throwIfAborted();
    const fail = (where: string, problem: string) => new RetrieverError(this.name, query, where, problem);
    let vector: Float32Array;
    try {
      vector = await this.deps.queryEmbedder(query, options.signal);
    } catch (e) {
      if (options.signal?.aborted) throw e;
      throw fail(`embedding model "${this.config.embeddingModel}"`, e instanceof Error ? e.message : String(e));
    }
    const pool = await this.connect(query);
    const params: unknown[] = [`[${Array.from(vector).join(',')}]`];
    if (this.usesText) params.push(query);
    if (this.usesFilter) params.push(filterParts(options.filter).length ? JSON.stringify(options.filter) : null);
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      // Connecting failed (refused, timed out, authentication, no such database): named by the database, never by
      // the password; where the password came from, when the server refused it.
      const err = e as { message?: string; code?: string };
      const from = this.config.passwordSecret && err.code?.startsWith('28') ? ` (password from ${this.deps.secrets.describe(this.config.passwordSecret)})` : '';
      throw fail(`postgres ${this.endpoint}`, `cannot connect: ${err.message ?? String(e)}${err.code && /^[0-9A-Z]{5}$/.test(err.code) ? ` [${err.code}]` : ''}${from}`);
    }
    let rows: Array<Record<string, unknown>>;
    try {
      rows = (await client.query(this.config.sql, params)).rows as Array<Record<string, unknown>>;
      client.release();
    } catch (e) {
      client.release(e instanceof Error ? e : true);
      const err = e as { message?: string; code?: string };
      const where = err.code && /^[0-9A-Z]{5}$/.test(err.code) ? `SQL (${err.code})` : `postgres ${this.endpoint}`;
      throw fail(where, err.message ?? String(e));
    }
    options.signal?.throwIfAborted();
    const c = this.config;
    const col = (row: Record<string, unknown>, i: number, name: string | undefined, fallback: string, required: boolean): unknown => {
      const key = name ?? fallback;
      if (!(key in row)) {
        if (required || name !== undefined) throw fail(`row ${i + 1}, column "${key}"`, `not in the result (columns: ${Object.keys(row).join(', ') || 'none'})`);
        return undefined;
      }
      return row[key];
    };
    return rows.slice(0, k).map((row, i) => {
      const id = col(row, i, c.idColumn, 'id', true);
      if (id === null || id === undefined) throw fail(`row ${i + 1}, column "${c.idColumn ?? 'id'}"`, 'is null');
      const rawScore = col(row, i, c.scoreColumn, 'score', false);
      const score = rawScore === undefined || rawScore === null ? 1 / (i + 1) : Number(rawScore);
      if (!Number.isFinite(score)) throw fail(`row ${i + 1}, column "${c.scoreColumn ?? 'score'}"`, `must be a number, got ${JSON.stringify(rawScore)}`);
      const hit: RetrievedHit = { rank: i + 1, score, id: String(id) };
      const text = col(row, i, c.textColumn, 'text', false);
      if (typeof text === 'string') hit.text = text;
      const p = col(row, i, c.pathColumn, 'path', false);
      if (p !== undefined && p !== null) hit.path = String(p);
      if (c.startColumn && c.endColumn) {
        hit.start = Number(col(row, i, c.startColumn, 'start', true));
        hit.end = Number(col(row, i, c.endColumn, 'end', true));
      }
      return hit;
    });
  }

  async dispose(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await p?.end();
  }
}
