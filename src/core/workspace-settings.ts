import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { InputError } from './corpus/input-error';

/** The retrievalLens.* settings of a workspace's .vscode/settings.json, so the CLI indexes what the editor indexes. */
export interface WorkspaceSettings {
  include?: string[];
  exclude?: string[];
  chunker?: string;
  chunkSize?: number | null;
  chunkOverlap?: number | null;
  embeddingModel?: string;
  rerankerModel?: string;
  topK?: number;
}

export function readWorkspaceSettings(root: string): WorkspaceSettings {
  const file = path.join(root, '.vscode', 'settings.json');
  if (!fs.existsSync(file)) return {};
  const text = fs.readFileSync(file, 'utf8');
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true }) as Record<string, unknown> | undefined;
  if (errors.length) {
    const e = errors[0];
    throw new InputError(file, text.slice(0, e.offset).split('\n').length, `invalid JSON: ${printParseErrorCode(e.error)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value ?? {})) if (k.startsWith('retrievalLens.')) out[k.slice('retrievalLens.'.length)] = v;
  return out as WorkspaceSettings;
}
