/**
 * Installs what the real-VS-Code tests and `npm start` need, on first use, into the git-ignored .tools/ folder:
 * code-server 4.100.3 (VS Code 1.100.3 with a Node extension host), plus Debian's chromium,
 * libkrb5-dev (code-server's kerberos module builds from source) and ripgrep. Idempotent and fast once installed.
 * Recipe: ../shared/docs/vscode-testing.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const toolsDir = path.join(repoRoot, '.tools');
export const CODE_SERVER_VERSION = '4.100.3';
const APT_PACKAGES: Array<{ pkg: string; why: string; probe: () => boolean }> = [
  { pkg: 'chromium', why: 'the browser the UI tests drive', probe: () => fs.existsSync('/usr/bin/chromium') },
  { pkg: 'ripgrep', why: "code-server's search (seeds @vscode/ripgrep, which would download rg)", probe: () => fs.existsSync('/usr/bin/rg') },
  { pkg: 'libkrb5-dev', why: "headers for code-server's kerberos module, which builds from source", probe: () => fs.existsSync('/usr/include/krb5.h') || fs.existsSync('/usr/include/krb5/krb5.h') },
];

/**
 * Where install output goes: the terminal (the default, as tests run it), or a log file, with one line per step on
 * the terminal (`npm start`).
 */
export interface ToolOutput {
  /** Append apt's and npm's output here instead of the terminal. */
  logFile?: string;
  /** One line per step. */
  step?: (line: string) => void;
}

/** The stdio of an install command: inherited, or appended to the log file. */
function installStdio(out: ToolOutput): { stdio: Array<'ignore' | 'inherit' | number>; close: () => void } {
  if (!out.logFile) return { stdio: ['ignore', 'inherit', 'inherit'], close: () => undefined };
  fs.mkdirSync(path.dirname(out.logFile), { recursive: true });
  const fd = fs.openSync(out.logFile, 'a');
  return { stdio: ['ignore', fd, fd], close: () => fs.closeSync(fd) };
}

export const codeServerBin = path.join(toolsDir, 'node_modules', '.bin', 'code-server');

function log(msg: string): void {
  process.stderr.write(`[tools] ${msg}\n`);
}

/**
 * Installs the Debian packages that are missing, and only those: --no-upgrade, so no package already installed is
 * upgraded on the way (apt-get install would otherwise upgrade an installed package named on its command line, and
 * --no-install-recommends keeps it to what they need).
 */
export function ensureSystemPackages(out: ToolOutput = {}): void {
  const wanted = APT_PACKAGES.filter((p) => !p.probe());
  const missing = wanted.map((p) => p.pkg);
  if (!missing.length) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      `Missing Debian packages: ${missing.join(' ')}. Install them and run again:\n  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  const say = out.step ?? log;
  say(`installing Debian packages (nothing installed is upgraded): ${wanted.map((p) => `${p.pkg} (${p.why})`).join('; ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const io = installStdio(out);
  try {
    execFileSync('apt-get', ['update'], { stdio: io.stdio, env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', '--no-upgrade', ...missing], { stdio: io.stdio, env });
  } catch (e) {
    throw new Error(`apt-get install ${missing.join(' ')} failed${out.logFile ? ` (see ${out.logFile})` : ''}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    io.close();
  }
}

function installedVersion(pkg: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(toolsDir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

export function ensureTools(out: ToolOutput = {}): void {
  ensureSystemPackages(out);
  if (installedVersion('code-server') === CODE_SERVER_VERSION && fs.existsSync(codeServerBin)) {
    return;
  }
  (out.step ?? log)(`installing code-server ${CODE_SERVER_VERSION} into .tools/ (about a minute, once)`);
  const tmp = path.join(toolsDir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  // Its own package.json (not the extension's). npm 11 blocks dependency install scripts unless allowed:
  // code-server's post-install and its native modules need theirs.
  fs.writeFileSync(
    path.join(toolsDir, 'package.json'),
    JSON.stringify(
      {
        name: 'retrieval-lens-tools',
        private: true,
        dependencies: { 'code-server': CODE_SERVER_VERSION },
        allowScripts: { 'code-server': true, argon2: true },
      },
      null,
      2,
    ),
  );
  // @vscode/ripgrep 1.15.11 would download rg from GitHub: seed its cache with Debian's rg.
  const rgCache = path.join(tmp, 'vscode-ripgrep-cache-1.15.11');
  fs.mkdirSync(rgCache, { recursive: true });
  const rgTar = path.join(rgCache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (!fs.existsSync(rgTar)) execFileSync('tar', ['czf', rgTar, '-C', '/usr/bin', 'rg']);
  const env = { ...process.env, TMPDIR: tmp, npm_config_yes: 'true', npm_config_update_notifier: 'false' };
  const io = installStdio(out);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--unsafe-perm'], { cwd: toolsDir, stdio: io.stdio, env });
  io.close();
  if (r.status !== 0) throw new Error(`npm install in .tools failed with exit code ${r.status}${out.logFile ? ` (see ${out.logFile})` : ''}`);
  if (installedVersion('code-server') !== CODE_SERVER_VERSION) throw new Error('code-server did not install into .tools/');
}

/**
 * Debian's PostgreSQL server, for the tests that need a real server with password authentication (not the
 * editor tests): returns the bin folder of the newest installed major version (/usr/lib/postgresql/<ver>/bin, with
 * initdb and postgres). Installs the `postgresql` package first when none is there and this runs as root, with
 * --no-upgrade so nothing already installed is upgraded (apt's output goes to stderr: a test's stdout is the test
 * runner's); throws with the reason when it cannot be had.
 */
export function ensurePostgresServer(): string {
  const find = (): string | undefined => {
    const root = '/usr/lib/postgresql';
    const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
    const v = versions.find((x) => fs.existsSync(path.join(root, x, 'bin', 'postgres')) && fs.existsSync(path.join(root, x, 'bin', 'initdb')));
    return v && path.join(root, v, 'bin');
  };
  const found = find();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) throw new Error('the PostgreSQL server is not installed (no /usr/lib/postgresql/<version>/bin/postgres) and this is not root: sudo apt-get install postgresql');
  log('installing Debian package postgresql (apt-get update first)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 2, 2], env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', '--no-upgrade', 'postgresql'], { stdio: ['ignore', 2, 2], env });
  } catch (e) {
    throw new Error(`apt-get install postgresql failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const installed = find();
  if (!installed) throw new Error('apt-get install postgresql finished but no /usr/lib/postgresql/<version>/bin/postgres is there');
  return installed;
}
