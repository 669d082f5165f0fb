import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Selectors for Markdown and link sinks built outside the one helper (src/extension/safe-markdown.ts). */
const SHOW_MESSAGE = "CallExpression[callee.property.name=/^show(Information|Warning|Error)Message$/]";
const WORKBENCH_TEXT_RULES = [
  {
    selector: "NewExpression[callee.property.name='MarkdownString'], NewExpression[callee.name='MarkdownString']",
    message: 'Build Markdown with safeMarkdown(md`…`) from ./safe-markdown: workspace text in it must be escaped.',
  },
  {
    selector: "CallExpression[callee.property.name='appendMarkdown']:not([arguments.0.type='Literal']):not([arguments.0.type='TemplateLiteral'][arguments.0.expressions.length=0])",
    message: 'appendMarkdown with computed Markdown renders workspace text as Markdown: use safeMarkdown(md`…`) from ./safe-markdown.',
  },
  {
    selector: "CallExpression[callee.property.name='appendText']",
    message: "MarkdownString.appendText leaves bare URLs, HTML and entities live: use safeMarkdown(md`…`) from ./safe-markdown.",
  },
  {
    selector: "Property[key.name='hoverMessage'] > :matches(Literal, TemplateLiteral, BinaryExpression, ConditionalExpression).value",
    message: 'A plain-string hoverMessage is rendered as Markdown: give a safeMarkdown(md`…`) from ./safe-markdown.',
  },
  {
    selector: "NewExpression[callee.property.name='Hover'] > :matches(Literal, TemplateLiteral, BinaryExpression, ArrayExpression).arguments:first-child",
    message: 'A plain-string Hover is rendered as Markdown: give a safeMarkdown(md`…`) from ./safe-markdown.',
  },
  {
    selector: `${SHOW_MESSAGE} > :not(Literal, TemplateLiteral[expressions.length=0], CallExpression[callee.name='plainMessageText']).arguments:first-child`,
    message: 'Notifications turn [label](command:…) in their message into links: wrap a message with workspace text in plainMessageText() from ./safe-markdown.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.tools/**', 'demo/**', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // One direction of dependencies (docs/ARCHITECTURE.md): the core and the CLI run without an editor.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/cli never import the editor API' }], patterns: [{ group: ['**/extension/**', '**/webview-ui/**'], message: 'src/core and src/cli do not depend on the editor side' }, { group: ['**/protocol', '**/protocol/**', '!./worker-protocol'], message: 'the webview protocol is built on the core, never the other way: a type the core needs belongs to the core' }] }],
    },
  },
  {
    // A webview app talks to its host through its protocol file only (src/protocol/<webview>.ts re-exports the view
    // types it needs); it never imports the core, the extension or the CLI.
    files: ['webview-ui/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'webview apps run in the browser' }], patterns: [{ group: ['**/src/core/**', '**/src/extension/**', '**/src/cli/**'], message: 'a webview app imports its protocol file (src/protocol/<webview>.ts), which re-exports the view types it needs' }] }],
    },
  },
  {
    // Workspace text is text on every workbench surface (SECURITY.md): Markdown is made only by safe-markdown.ts,
    // whose fragments escape every piece of workspace text; notifications neutralise `[label](command:…)` links.
    files: ['src/extension/**/*.ts'],
    ignores: ['src/extension/safe-markdown.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...WORKBENCH_TEXT_RULES],
    },
  },
);
