/**
 * Starts code-server (a real VS Code workbench with a Node extension host) on 127.0.0.1, kept off the user's home:
 * its config, data, cache and temp folders live under a state folder of our own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { codeServerBin } from './tools';

export interface CodeServer {
  port: number;
  origin: string;
  stateDir: string;
  process: ChildProcess;
  /** Workbench URL opening `folder` with the extension under development (and optionally its tests). */
  workbenchUrl(options: { folder: string; extensionDevelopmentPath?: string; extensionTestsPath?: string }): string;
  stop(): Promise<void>;
}

export async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch {
      /* taken: fall through to any free port */
    }
  }
  return tryPort(0);
}

/**
 * `restricted`: workspace trust on and nothing trusted, so the folder opens in Restricted Mode (no startup prompt):
 * for the tests of what an untrusted repository can and cannot make the extension do.
 * `walkthrough`: let Retrieval Lens's first-run walkthrough open (off by default, so test workbenches start the same
 * every time; `npm start` shows it through RETRIEVAL_LENS_START_DEMO, see src/extension/indexing/first-run.ts).
 */
export async function startCodeServer(options: { stateDir: string; port?: number; log?: (line: string) => void; restricted?: boolean; walkthrough?: boolean }): Promise<CodeServer> {
  const port = await freePort(options.port);
  const stateDir = path.resolve(options.stateDir);
  const dirs = Object.fromEntries(['config', 'data', 'cache', 'tmp', 'user-data', 'extensions'].map((d) => [d, path.join(stateDir, d)]));
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const configFile = path.join(dirs.config, 'config.yaml');
  fs.writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  // Settings that keep the workbench quiet and deterministic for people and tests.
  const settingsDir = path.join(dirs['user-data'], 'User');
  fs.mkdirSync(settingsDir, { recursive: true });
  const settingsFile = path.join(settingsDir, 'settings.json');
  if (!fs.existsSync(settingsFile)) {
    fs.writeFileSync(
      settingsFile,
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.tips.enabled': false,
          'security.workspace.trust.enabled': !!options.restricted,
          ...(options.restricted ? { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false } : {}),
          'telemetry.telemetryLevel': 'off',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'update.mode': 'none',
          'chat.disableAIFeatures': true,
          'git.openRepositoryInParentFolders': 'never',
          'workbench.colorTheme': 'Default Dark Modern',
          ...(options.walkthrough ? {} : { 'retrievalLens.showWalkthrough': false }),
        },
        null,
        2,
      ),
    );
  }
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
  };
  const args = [
    '--config', configFile,
    '--disable-telemetry', '--disable-update-check', ...(options.restricted ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override',
    '--ignore-last-opened', '--user-data-dir', dirs['user-data'], '--extensions-dir', dirs.extensions,
  ];
  const child = spawn(codeServerBin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = options.log ?? (() => undefined);
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) log(line);
    });
  }
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode} before it was ready`);
    try {
      const r = await fetch(`${origin}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error('code-server did not answer /healthz within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    origin,
    stateDir,
    process: child,
    workbenchUrl({ folder, extensionDevelopmentPath, extensionTestsPath }) {
      const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`;
      const payload: Array<[string, string]> = [['skipWelcome', 'true']];
      if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
      if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
      return `${origin}/?folder=${encodeURIComponent(path.resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
