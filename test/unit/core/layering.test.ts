import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ts from 'typescript';

/**
 * The core's folders in the order data flows (docs/ARCHITECTURE.md): a folder imports only from itself and from
 * folders before it. io and numeric are the shared utilities at the bottom (neither imports the other); adapt sits
 * below diagnose because the readiness report (diagnose) measures an adapter's gain, while training an adapter needs
 * no diagnosis. judge is allowed in the order before it exists.
 */
const ORDER: ReadonlyArray<readonly string[]> = [['io', 'numeric'], ['corpus'], ['chunking'], ['embed'], ['store'], ['retrieve'], ['index'], ['settings'], ['eval'], ['judge'], ['adapt'], ['diagnose']];

const root = path.resolve(__dirname, '../../..');
const core = path.join(root, 'src', 'core');

function rankOf(folder: string): number {
  return ORDER.findIndex((level) => level.includes(folder));
}

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface ImportSite {
  /** Repo-relative, POSIX. */
  file: string;
  line: number;
  specifier: string;
}

/** Every static, type-only, re-exporting, dynamic and require import of a source text. */
function importsOf(file: string, text: string): ImportSite[] {
  const rel = path.relative(root, file).split(path.sep).join('/');
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => ({ file: rel, line: text.slice(0, f.pos).split('\n').length, specifier: f.fileName }));
}

/** The repo-relative POSIX path a relative specifier points at (undefined for a package). */
function target(site: ImportSite): string | undefined {
  if (!site.specifier.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(site.file), site.specifier));
}

/** The core folder of a repo-relative path under src/core (`(root)` for a file directly in src/core). */
function coreFolder(rel: string): string | undefined {
  if (!rel.startsWith('src/core/')) return undefined;
  const parts = rel.slice('src/core/'.length).split('/');
  return parts.length > 1 ? parts[0] : '(root)';
}

const where = (s: ImportSite) => `${s.file}:${s.line} imports '${s.specifier}'`;

/** What is wrong with one import of a core file, or undefined. */
function coreImportProblem(site: ImportSite): string | undefined {
  const from = coreFolder(site.file);
  if (from === undefined) return undefined;
  if (from === '(root)') return `${site.file}: a core file lives in one of the ordered folders (${ORDER.flat().join(', ')}), not in src/core itself`;
  if (rankOf(from) < 0) return `${site.file}: folder core/${from} is not in the order (${ORDER.map((l) => l.join(' | ')).join(' → ')}); add it to the order here and in docs/ARCHITECTURE.md`;
  if (site.specifier === 'vscode') return `${where(site)}: the core never imports the editor API`;
  const to = target(site);
  if (to === undefined) return undefined;
  if (!to.startsWith('src/core/')) {
    if (to.startsWith('src/')) return `${where(site)}: the core imports nothing outside src/core (${to.split('/')[1]} is built on the core, never the other way)`;
    if (to.startsWith('webview-ui/')) return `${where(site)}: the core never imports a webview app`;
    return undefined;
  }
  const into = coreFolder(to)!;
  if (into === from) return undefined;
  if (into === '(root)' || rankOf(into) < 0) return `${where(site)}: core/${into} is not a folder of the order`;
  if (rankOf(into) >= rankOf(from)) {
    const same = rankOf(into) === rankOf(from);
    return `${where(site)}: ${from} → ${into}, but ${into} ${same ? `is beside ${from} in the order (neither imports the other)` : `comes after ${from} in the order`}`;
  }
  return undefined;
}

/** What is wrong with one import of a webview app, or undefined. */
function webviewImportProblem(site: ImportSite): string | undefined {
  if (!site.file.startsWith('webview-ui/')) return undefined;
  if (site.specifier === 'vscode') return `${where(site)}: a webview app runs in the browser, never with the editor API`;
  const to = target(site);
  if (to?.startsWith('src/core/') || site.specifier.includes('src/core')) return `${where(site)}: a webview app imports its protocol file (src/protocol/<webview>.ts), never the core`;
  return undefined;
}

function scan(dir: string, problem: (s: ImportSite) => string | undefined): { files: number; problems: string[] } {
  const files = tsFiles(dir);
  const problems = new Set<string>();
  for (const f of files) {
    const rel = path.relative(root, f).split(path.sep).join('/');
    // The placeholder checks where a file sits even when it imports nothing.
    for (const site of [{ file: rel, line: 1, specifier: 'node:fs' }, ...importsOf(f, fs.readFileSync(f, 'utf8'))]) {
      const p = problem(site);
      if (p) problems.add(p);
    }
  }
  return { files: files.length, problems: [...problems] };
}

describe('core folders in the order data flows', () => {
  it('no core file imports a later folder, src/protocol, the extension, the CLI or vscode', () => {
    const { files, problems } = scan(core, coreImportProblem);
    assert.ok(files > 100, `found only ${files} files under ${core}`);
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  it('every folder of src/core is in the order', () => {
    const folders = fs.readdirSync(core, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const missing = folders.filter((f) => rankOf(f) < 0);
    assert.deepEqual(missing, [], `folders not in the order: ${missing.join(', ')}`);
  });

  it('no webview app imports the core or vscode', () => {
    const { files, problems } = scan(path.join(root, 'webview-ui'), webviewImportProblem);
    assert.ok(files > 5, `found only ${files} files under webview-ui`);
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  it('names the file, line and import of each kind of violation', () => {
    const at = (file: string, specifier: string, text = `import { x } from '${specifier}';\n`) => importsOf(path.join(root, file), `// a comment\n${text}`).map((s) => coreImportProblem(s) ?? webviewImportProblem(s));
    assert.deepEqual(at('src/core/retrieve/search.ts', '../index/workspace-index'), ["src/core/retrieve/search.ts:2 imports '../index/workspace-index': retrieve → index, but index comes after retrieve in the order"]);
    assert.deepEqual(at('src/core/adapt/x.ts', '../diagnose/checklist-rules', "export type { A } from '../diagnose/checklist-rules';\n"), ["src/core/adapt/x.ts:2 imports '../diagnose/checklist-rules': adapt → diagnose, but diagnose comes after adapt in the order"]);
    assert.deepEqual(at('src/core/io/x.ts', '../numeric/dot4'), ["src/core/io/x.ts:2 imports '../numeric/dot4': io → numeric, but numeric is beside io in the order (neither imports the other)"]);
    assert.deepEqual(at('src/core/eval/x.ts', '../../protocol/inspector', "const p = await import('../../protocol/inspector');\n"), ["src/core/eval/x.ts:2 imports '../../protocol/inspector': the core imports nothing outside src/core (protocol is built on the core, never the other way)"]);
    assert.deepEqual(at('src/core/embed/x.ts', 'vscode', "const v = require('vscode');\n"), ["src/core/embed/x.ts:2 imports 'vscode': the core never imports the editor API"]);
    assert.deepEqual(at('src/core/x.ts', './io/atomic-write'), ['src/core/x.ts: a core file lives in one of the ordered folders (io, numeric, corpus, chunking, embed, store, retrieve, index, settings, eval, judge, adapt, diagnose), not in src/core itself']);
    assert.deepEqual(at('webview-ui/inspector/x.ts', '../../src/core/retrieve/types'), ["webview-ui/inspector/x.ts:2 imports '../../src/core/retrieve/types': a webview app imports its protocol file (src/protocol/<webview>.ts), never the core"]);
    // Allowed: down the order, within a folder, packages and node built-ins.
    assert.deepEqual([...at('src/core/index/x.ts', '../store/keyword-index'), ...at('src/core/eval/traces/x.ts', '../hit-placement'), ...at('src/core/diagnose/x.ts', '../adapt/readiness-gain'), ...at('src/core/store/x.ts', 'minisearch')], [undefined, undefined, undefined, undefined]);
  });
});
