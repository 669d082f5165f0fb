import * as vscode from 'vscode';
import { defaultEmbeddingProcesses } from '../core/embed/embedder-pool';
import { DEFAULT_EMBEDDING_MODEL } from '../core/embed/model-download';
import { validateChatEndpoints } from '../core/embed/chat-endpoints';
import { validateEmbeddingEndpoints, validateRetrievers } from '../core/retrieve/retriever-config';
import { checkSetting, retrievalSettings, SETTING_KEYS, type WorkspaceSettings } from '../core/settings/workspace-settings';
import { decideTrust, pickSetting } from '../core/settings/workspace-trust';
import { plainMessageText } from './safe-markdown';

/**
 * Every retrievalLens.* setting the extension reads, read here and nowhere else (as rust-analyzer's
 * editors/code/src/config.ts): the workspace settings through the validator the CLI uses
 * (src/core/settings/workspace-settings.ts) and the trust rules (src/core/settings/workspace-trust.ts), the editor-only ones with a
 * type check, and the list of settings a change of which needs a rebuild. Only values the user set count (unset ones
 * keep the engine's defaults); an invalid value is reported once and replaced by its default.
 */

const SECTION = 'retrievalLens';
const warned = new Set<string>();

function warnOnce(problem: string): void {
  if (warned.has(problem)) return;
  warned.add(problem);
  void vscode.window.showWarningMessage(plainMessageText(`Retrieval Lens: ${problem}; using the default.`));
}

type CheckedKey = (typeof SETTING_KEYS)[number];

/** One validated workspace setting as the editor may use it, and whether the workspace's own value was withheld. */
export function setting<K extends CheckedKey>(key: K): { value: WorkspaceSettings[K] | undefined; ignored: boolean; problem?: string } {
  const i = vscode.workspace.getConfiguration(SECTION).inspect(key);
  // In an untrusted workspace a restricted setting's workspace and folder values are not used (see workspace-trust.ts).
  const { value, ignored } = pickSetting(key, { folder: i?.workspaceFolderValue, workspace: i?.workspaceValue, user: i?.globalValue }, vscode.workspace.isTrusted);
  if (value === undefined) return { value: undefined, ignored };
  const problem = checkSetting(key, value);
  if (problem) {
    warnOnce(problem);
    return { value: undefined, ignored, problem };
  }
  return { value: value as WorkspaceSettings[K], ignored };
}

/** The configuration every index, search and evaluation in the editor runs with. */
export function readConfig() {
  const set: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const key of SETTING_KEYS) {
    const { value, ignored: skipped } = setting(key);
    if (skipped) ignored.push(key);
    if (value !== undefined) set[key] = value;
  }
  const s = set as WorkspaceSettings;
  const dl = vscode.workspace.getConfiguration(SECTION).inspect<boolean>('allowModelDownload');
  const download = pickSetting('allowModelDownload', { folder: dl?.workspaceFolderValue, workspace: dl?.workspaceValue, user: dl?.globalValue }, vscode.workspace.isTrusted);
  if (download.ignored) ignored.push('allowModelDownload');
  const trust = decideTrust(vscode.workspace.isTrusted, { model: s.embeddingModel ?? DEFAULT_EMBEDDING_MODEL, reranker: s.rerankerModel ?? '', allowDownload: typeof download.value === 'boolean' ? download.value : true }, ignored);
  return {
    ...retrievalSettings(s, 'markdown'),
    include: s.include ?? ['**/*'],
    exclude: s.exclude ?? [],
    model: trust.model,
    dtype: s.embeddingDtype ?? 'q8',
    embeddingProcesses: s.embeddingProcesses ?? defaultEmbeddingProcesses(),
    reranker: trust.reranker,
    allowDownload: trust.allowDownload,
    topK: s.topK ?? 10,
    trust,
  };
}

export type EditorConfig = ReturnType<typeof readConfig>;

/** Settings that change what the index holds (a rebuild applies them); the rest apply to the next search. */
export const REBUILD_SETTINGS = ['include', 'exclude', 'chunker', 'chunkSize', 'chunkOverlap', 'keywordStemming', 'keywordStopWords', 'embeddingModel', 'embeddingDtype', 'embeddingEndpoints', 'rerankerModel'] as const;

/** Whether a configuration change touches a setting that needs a rebuild. */
export function needsRebuild(e: vscode.ConfigurationChangeEvent): boolean {
  return REBUILD_SETTINGS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}

/** Settings of the editor alone (the CLI has no use for them): switches, each true or false. */
const EDITOR_SWITCHES = { annotations: true, indexOnOpen: false, showWalkthrough: true } as const;

/** An editor switch's value, its default when unset or not true/false (reported once). */
export function editorSwitch(key: keyof typeof EDITOR_SWITCHES): boolean {
  const v = vscode.workspace.getConfiguration(SECTION).get<unknown>(key);
  if (v === undefined) return EDITOR_SWITCHES[key];
  if (typeof v === 'boolean') return v;
  warnOnce(`${SECTION}.${key} must be true or false, got ${JSON.stringify(v)}`);
  return EDITOR_SWITCHES[key];
}

/** retrievalLens.chatEndpoints (the LLM judge's), validated field by field as embeddingEndpoints is. */
export function chatEndpointsSetting() {
  return validateChatEndpoints(vscode.workspace.getConfiguration(SECTION).get<unknown>('chatEndpoints') ?? {});
}

/** retrievalLens.embeddingEndpoints, validated field by field (a problem names the field's setting path). */
export function embeddingEndpointsSetting() {
  return validateEmbeddingEndpoints(vscode.workspace.getConfiguration(SECTION).get<unknown>('embeddingEndpoints') ?? {});
}

/**
 * retrievalLens.retrievers validated against the endpoints they may name, or undefined when none is configured.
 * (VS Code itself withholds their workspace values in Restricted Mode: both are restricted settings.)
 */
export function retrieversSetting() {
  const raw = vscode.workspace.getConfiguration(SECTION).get<unknown>('retrievers');
  if (!raw || typeof raw !== 'object' || !Object.keys(raw).length) return undefined;
  const endpoints = embeddingEndpointsSetting();
  return { endpoints, retrievers: validateRetrievers(raw, endpoints.endpoints) };
}

/** Writes a setting the user chose through a command (the workspace's, unless `target` says otherwise). */
export function updateSetting(key: 'embeddingModel' | 'queryAdapter' | 'allowModelDownload', value: unknown, target = vscode.ConfigurationTarget.Workspace): Thenable<void> {
  return vscode.workspace.getConfiguration(SECTION).update(key, value, target);
}
