import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ensurePostgresServer } from '../../scripts/lib/tools';
import type { Embedder } from '../../src/core/embed/embedder';
import { demoDir } from './shared';

/**
 * A real PostgreSQL server (Debian's `postgresql` package, installed on first use when running as root) in a
 * temporary folder, with SCRAM-SHA-256 password authentication for every connection, TCP on 127.0.0.1 only: what a
 * production database with a password looks like to the `pg` client. PGlite (test/helpers/pgvector-server.ts) asks
 * for no password, so only this server shows whether one reaches Postgres.
 */
export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** A login role with a password (no superuser), and the database made for the tests. */
  readonly role: string;
  readonly password: string;
  readonly database: string;
  /** Runs SQL as the superuser (who logs in with a password too) in `database` unless another is named. */
  admin(sql: string, params?: unknown[], database?: string): Promise<Array<Record<string, unknown>>>;
  /** What the server wrote to stderr, for failure messages. */
  log(): string;
  /** Fast shutdown (SIGINT to the postmaster), waits for it to exit, removes the folder. */
  stop(): Promise<void>;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The `postgres` system user the Debian package makes: the server refuses to run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim().split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/** For node:test's `skip` option: a reason (printed with the skip) when no server can be had here, else false. */
export function postgresServerSkipReason(): string | false {
  try {
    ensurePostgresServer();
  } catch (e) {
    return `no real PostgreSQL server: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (isRoot && !postgresUser()) return 'no real PostgreSQL server: running as root and there is no "postgres" system user to run it as';
  return false;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export async function startPostgresServer(options: { role?: string; password?: string; database?: string } = {}): Promise<PostgresServer> {
  const bin = ensurePostgresServer();
  const owner = isRoot ? postgresUser() : undefined;
  if (isRoot && !owner) throw new Error('running as root and there is no "postgres" system user to run the server as');
  // As root the server runs as `postgres`, so its folder is under /tmp (reachable by that user) and owned by it.
  const dir = fs.mkdtempSync(path.join(isRoot ? '/tmp' : os.tmpdir(), 'rl-postgres-'));
  const data = path.join(dir, 'data');
  const sockets = path.join(dir, 'sockets');
  const pwfile = path.join(dir, 'superuser-password');
  const superPassword = crypto.randomBytes(18).toString('base64url');
  fs.mkdirSync(sockets);
  fs.writeFileSync(pwfile, `${superPassword}\n`, { mode: 0o600 });
  fs.chmodSync(dir, 0o700);
  if (owner) for (const p of [dir, sockets, pwfile]) fs.chownSync(p, owner.uid, owner.gid);
  const as = (cmd: string, args: string[]): [string, string[]] => (owner ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });

  try {
    execFileSync(...as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--no-sync']), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    cleanup();
    const err = e as { stderr?: Buffer; message?: string };
    throw new Error(`initdb failed: ${err.stderr?.toString().trim() || err.message}`);
  }
  fs.rmSync(pwfile);

  let port = 0;
  let log = '';
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let running = false;
  const launch = async () => {
    port = await freePort();
    log = '';
    const c = spawn(...as(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', sockets, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=30']), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
    });
    running = true;
    exited = new Promise((resolve) => c.once('exit', resolve)).then(() => (running = false));
    child = c;
  };

  const connect = async (database: string) => {
    const c = new Client({ host: '127.0.0.1', port, user: 'postgres', password: superPassword, database, connectionTimeoutMillis: 2_000 });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const admin = async (sql: string, params: unknown[] = [], database = options.database ?? 'rag') => {
    const c = await connect(database);
    try {
      return (await c.query(sql, params)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end();
    }
  };

  const stop = async () => {
    if (running) {
      // The postmaster's own pid (under runuser the spawned process is runuser): SIGINT is PostgreSQL's fast shutdown.
      let pid = child?.pid;
      try {
        pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || pid;
      } catch {
        // not written yet: the spawned process is all there is
      }
      if (pid) process.kill(pid, 'SIGINT');
      const timer = setTimeout(() => {
        if (pid) process.kill(pid, 'SIGKILL');
        child?.kill('SIGKILL');
      }, 20_000);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };

  // Ready when the superuser can log in with its password. The free port may be taken by another process before
  // the server binds it (test files run in parallel): then it exits at once, and is started again on another port.
  await launch();
  const deadline = Date.now() + 30_000;
  for (let attempt = 1; ; ) {
    if (!running) {
      if (attempt < 3 && /Address already in use/.test(log)) {
        attempt++;
        await launch();
        continue;
      }
      cleanup();
      throw new Error(`postgres exited before it was ready:\n${log}`);
    }
    try {
      await (await connect('postgres')).end();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`postgres was not ready within 30 s (${e instanceof Error ? e.message : String(e)}):\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const role = options.role ?? 'rag_reader';
  const password = options.password ?? crypto.randomBytes(18).toString('base64url');
  const database = options.database ?? 'rag';
  try {
    const c = await connect('postgres');
    try {
      // password_encryption is scram-sha-256 (the default since PostgreSQL 14): the role logs in with SCRAM.
      await c.query(`CREATE ROLE ${c.escapeIdentifier(role)} LOGIN PASSWORD ${c.escapeLiteral(password)}`);
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(database)}`);
    } finally {
      await c.end();
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: '127.0.0.1', port, role, password, database, admin, log: () => log, stop };
}

/**
 * Debian has no pgvector package for this release, so the similarity is plain SQL: the vectors are float8[] and the
 * score is their dot product with $1 (the query vector as pgvector text, '[0.1,-0.2,…]', read here as an array).
 */
export const PLAIN_SQL_SIMILARITY =
  "SELECT id, path, text, (SELECT sum(d * q) FROM unnest(embedding, string_to_array(btrim($1, '[]'), ',')::float8[]) AS u(d, q)) AS score FROM docs ORDER BY score DESC, id LIMIT 10";

/** The demo workspace's documents as table `docs`, each a row with the model's vector, readable by the password role. */
export async function loadDocs(server: PostgresServer, model: Embedder): Promise<Map<string, Float32Array>> {
  const files = ['docs', 'archive'].flatMap((d) => (fs.readdirSync(path.join(demoDir, d), { recursive: true }) as string[]).map((f) => `${d}/${f.split(path.sep).join('/')}`)).filter((f) => fs.statSync(path.join(demoDir, f)).isFile()).sort();
  const texts = files.map((f) => fs.readFileSync(path.join(demoDir, f), 'utf8'));
  const vectors = await model.embed(texts);
  await server.admin('CREATE TABLE docs (id text PRIMARY KEY, path text, text text, embedding float8[])');
  for (let i = 0; i < files.length; i++) await server.admin('INSERT INTO docs VALUES ($1, $1, $2, $3)', [files[i], texts[i], Array.from(vectors[i])]);
  await server.admin(`GRANT SELECT ON docs TO ${server.role}`);
  return new Map(files.map((f, i) => [f, vectors[i]]));
}
