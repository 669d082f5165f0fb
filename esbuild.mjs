// One base config, one bundle per runtime. Type-checking is a separate step (`npm run typecheck`).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/**
 * Kept out of the bundles: the editor API, native addons and packages that load files relative to themselves.
 * transformers.js is bundled (its one CommonJS file needs nothing beside it) so the .vsix carries no copy of the
 * package; its `require("sharp")` (image models only) gets src/core/embed/sharp-unavailable.ts instead, which keeps
 * sharp and libvips out of the bundles and the package.
 */
const nodeExternals = [
  'vscode',
  'onnxruntime-node',
  'onnxruntime-web',
  'onnxruntime-common',
  '@energetic-ai/*',
  // pg's optional native binding (libpq), required by pg only inside a try when `pg.native` is asked for; the
  // bundled pg uses its pure-JavaScript client.
  'pg-native',
  // Resolved only to run the TypeScript model process in tests and scripts, never from a bundle.
  'tsx/cjs',
];

const base = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

// Prefer ES module builds: some packages' UMD "main" (jsonc-parser) hides its requires from the bundler.
const node = {
  ...base,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: nodeExternals,
  mainFields: ['module', 'main'],
  alias: { sharp: './src/core/embed/sharp-unavailable.ts' },
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { 'embed-worker': 'src/core/embed/embed-worker.ts' }, outdir: 'dist' },
  // Trains query adapters off the extension host's event loop (src/core/adapt/training-runner.ts).
  { ...node, entryPoints: { 'adapter-training-worker': 'src/core/adapt/adapter-training-worker.ts' }, outdir: 'dist' },
  // Chunks large cold builds beside the keyword indexing (src/core/index/chunk-pipeline.ts).
  { ...node, entryPoints: { 'chunk-worker': 'src/core/index/chunk-worker.ts' }, outdir: 'dist' },
  {
    ...base,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: {
      webview: 'webview-ui/inspector/main.ts',
      neighbourhood: 'webview-ui/neighbourhood/main.ts',
      baseline: 'webview-ui/baseline/main.ts',
      readiness: 'webview-ui/readiness/main.ts',
    },
    outdir: 'dist',
  },
  {
    ...node,
    entryPoints: ['test/integration/suite.ts', ...integrationTests()],
    outdir: 'out/test',
    external: [...nodeExternals, 'mocha'],
  },
];

/** Every test/integration/*.test.ts is its own bundle beside suite.js, which adds them to mocha. */
function integrationTests() {
  const dir = 'test/integration';
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => `${dir}/${f}`) : [];
}

const present = builds.filter((b) => Object.values(b.entryPoints).every((p) => fs.existsSync(p)));
fs.rmSync('out/test', { recursive: true, force: true });
for (const b of builds) {
  if (!present.includes(b)) console.warn(`esbuild: skipping ${Object.values(b.entryPoints).join(', ')} (not present yet)`);
}

/** Codicons for the webview (vscode-elements uses them); copied, never fetched. */
function copyCodicons() {
  fs.mkdirSync('dist', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/${f}`);
}
copyCodicons();

if (watch) {
  const contexts = await Promise.all(present.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
}
