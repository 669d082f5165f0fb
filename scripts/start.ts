/**
 * `npm start`: build, install code-server on first use, start it on 127.0.0.1 with the extension loaded as the
 * extension under development on demo/, and print the URL to open. The workbench opens with the walkthrough and
 * the Query Inspector while the demo indexes in the background (RETRIEVAL_LENS_START_DEMO, see
 * src/extension/indexing/first-run.ts), offline: demo/.vscode/settings.json pins the built-in model. Runs until Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { startCodeServer } from './lib/code-server';
import { ensureTools, repoRoot } from './lib/tools';

async function main(): Promise<void> {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  ensureTools();
  const port = Number(process.env.PORT ?? 8080);
  process.env.RETRIEVAL_LENS_START_DEMO = '1';
  const server = await startCodeServer({ stateDir: path.join(repoRoot, '.tools', 'state-start'), port, walkthrough: true });
  const url = server.workbenchUrl({ folder: path.join(repoRoot, 'demo'), extensionDevelopmentPath: repoRoot });
  console.log('\nRetrieval Lens is running in VS Code (code-server) on the demo workspace. Open:\n');
  console.log(`  ${url}\n`);
  console.log('It opens with the walkthrough and the Query Inspector while the demo indexes (offline, the built-in model).');
  console.log('Type a query in the Inspector, or run "Retrieval Lens: …" commands from the palette (F1). Ctrl-C stops it.');
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.process.on('exit', (code) => {
    console.error(`code-server exited (${code})`);
    process.exit(code ?? 1);
  });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
