/** File extension → VS Code language id, for every type the corpus loader reads. */
const LANGUAGES: Record<string, string> = {
  md: 'markdown', markdown: 'markdown', mdx: 'mdx', txt: 'plaintext', text: 'plaintext', rst: 'restructuredtext',
  html: 'html', htm: 'html', adoc: 'asciidoc', asciidoc: 'asciidoc',
  ts: 'typescript', tsx: 'typescriptreact', js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript',
  py: 'python', go: 'go', rs: 'rust', java: 'java', kt: 'kotlin', cs: 'csharp', c: 'c', h: 'c', cpp: 'cpp', cc: 'cpp',
  hpp: 'cpp', rb: 'ruby', php: 'php', swift: 'swift', scala: 'scala', sh: 'shellscript', sql: 'sql', yaml: 'yaml', yml: 'yaml',
};

export const CODE_LANGUAGES = new Set([
  'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust', 'java', 'kotlin', 'csharp',
  'c', 'cpp', 'ruby', 'php', 'swift', 'scala', 'shellscript', 'sql',
]);

export function languageOf(path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return undefined;
  return LANGUAGES[path.slice(dot + 1).toLowerCase()];
}
