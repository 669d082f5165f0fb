/**
 * `npm start`: build, install code-server on first use, start it on 127.0.0.1 with the extension loaded as the
 * extension under development on demo/, and print the URL to open. Runs until Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { startCodeServer } from './lib/code-server';
import { ensureTools, repoRoot } from './lib/tools';

async function main(): Promise<void> {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  ensureTools();
  const port = Number(process.env.PORT ?? 8080);
  const server = await startCodeServer({ stateDir: path.join(repoRoot, '.tools', 'state-start'), port });
  const url = server.workbenchUrl({ folder: path.join(repoRoot, 'demo'), extensionDevelopmentPath: repoRoot });
  console.log('\nRetrieval Lens is running in VS Code (code-server) on the demo workspace. Open:\n');
  console.log(`  ${url}\n`);
  console.log('Then run "Retrieval Lens: Open Query Inspector" from the command palette (F1). Ctrl-C stops it.');
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
