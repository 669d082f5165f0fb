/**
 * `npm start`: build, install code-server on first use, start it on 127.0.0.1 with the extension loaded as the
 * extension under development on demo/, and print a short URL to open. The workbench opens with the walkthrough and
 * the Query Inspector while the demo indexes in the background (RETRIEVAL_LENS_START_DEMO, see
 * src/extension/indexing/first-run.ts), offline: demo/.vscode/settings.json pins the built-in model. Runs until Ctrl-C.
 *
 * The terminal gets one line per step; the build's, apt's, npm's and code-server's output go to .tools/start.log.
 * The short URL (http://127.0.0.1:PORT/, PORT 8080 unless set) is a redirect to code-server's full URL on the next
 * free port: code-server's own / opens an empty workbench, and the full URL (folder + extension under development)
 * is about 250 characters.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { freePort, startCodeServer } from './lib/code-server';
import { ensureTools, repoRoot } from './lib/tools';

const logFile = path.join(repoRoot, '.tools', 'start.log');

function step(line: string): void {
  process.stdout.write(`• ${line}\n`);
}

/** Answers every request with a redirect to `target`: the short URL people type or click. */
export function startRedirect(port: number, target: string): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.writeHead(302, { location: target, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Retrieval Lens: ${target}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function main(): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.writeFileSync(logFile, `npm start ${new Date().toISOString()}\n`);
  step(`building the extension (output in ${path.relative(process.cwd(), logFile) || logFile})`);
  const fd = fs.openSync(logFile, 'a');
  try {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: ['ignore', fd, fd] });
  } catch {
    throw new Error(`the build failed: see ${logFile}`);
  } finally {
    fs.closeSync(fd);
  }
  step('checking code-server and the system packages it needs');
  ensureTools({ logFile, step });
  const port = Number(process.env.PORT ?? 8080);
  // code-server takes $PORT over its config's bind-addr: it gets the port after the short URL's.
  delete process.env.PORT;
  const shortPort = await freePort(port);
  const serverPort = await freePort(shortPort + 1);
  process.env.RETRIEVAL_LENS_START_DEMO = '1';
  step('starting code-server on the demo workspace');
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  const server = await startCodeServer({ stateDir: path.join(repoRoot, '.tools', 'state-start'), port: serverPort, walkthrough: true, log: (line) => log.write(`[code-server] ${line}\n`) });
  const url = server.workbenchUrl({ folder: path.join(repoRoot, 'demo'), extensionDevelopmentPath: repoRoot });
  const redirect = await startRedirect(shortPort, url);
  log.write(`full URL: ${url}\n`);
  console.log(`\nRetrieval Lens is running on the demo workspace. Open:\n\n  http://127.0.0.1:${shortPort}/\n`);
  console.log('It opens with the walkthrough and the Query Inspector while the demo indexes (offline, the built-in model).');
  console.log(`Type a query in the Inspector, or run "Retrieval Lens: …" commands (F1). Ctrl-C stops it. Log: ${path.relative(process.cwd(), logFile) || logFile}`);
  const stop = () => {
    redirect.close();
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.process.on('exit', (code) => {
    console.error(`code-server exited (${code}); see ${logFile}`);
    process.exit(code ?? 1);
  });
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
