import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * A real Postgres (PGlite, Postgres compiled to WebAssembly) with the real pgvector extension, served over the
 * Postgres wire protocol on 127.0.0.1 by pglite-socket, so tests reach it with the `pg` client exactly as a
 * production database. Port 0 picks a free port.
 */
export async function startPgvectorServer(): Promise<{ db: PGlite; url: string; stop: () => Promise<void> }> {
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  // Generous connection limit: pg pools of several retrievers connect at once, and a refused connection shows up as
  // "Connection terminated unexpectedly".
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  const conn = server.getServerConn();
  return {
    db,
    url: `postgres://postgres@${conn}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
