/**
 * What Retrieval Lens does in a workspace the user has not trusted (VS Code's Restricted Mode). A repository
 * written by a stranger can carry .vscode/settings.json naming a model folder (code and weights loaded into a
 * process), a hub model (a download), a reranker, or an external retriever endpoint; and it is the user's files
 * Retrieval Lens would write into. Until the workspace is trusted:
 * - embedding uses USE-lite, which ships inside the extension; no model folder, hub model or reranker named by any
 *   setting is loaded, and nothing is downloaded;
 * - external retrievers (retrievalLens.retrievers) and chat endpoints (retrievalLens.chatEndpoints, the LLM judge)
 *   named by workspace settings are not contacted, and no query
 *   adapter (retrievalLens.queryAdapter) is loaded;
 * - nothing is written outside the extension's own storage: the index lives there anyway, but labels are not
 *   saved into the workspace's .retrieval-lens/evalset.jsonl.
 * Pure, so the rules are unit-tested without an editor; src/extension applies them.
 */

/** Settings a workspace could use to make Retrieval Lens load, download or contact something. */
export const RESTRICTED_SETTINGS = ['embeddingModel', 'rerankerModel', 'allowModelDownload', 'retrievers', 'embeddingEndpoints', 'queryAdapter', 'chatEndpoints'] as const;
export type RestrictedSetting = (typeof RESTRICTED_SETTINGS)[number];

/** The embedder every untrusted workspace gets: bundled, nothing to fetch or load from the workspace. */
export const BUILT_IN_MODEL = 'use-lite';

export interface ModelRequest {
  model: string;
  reranker: string;
  allowDownload: boolean;
}

export interface TrustDecision extends ModelRequest {
  trusted: boolean;
  /** May external retrievers configured in settings be contacted. */
  externalRetrievers: boolean;
  /** May the eval set inside the workspace be written. */
  writeWorkspaceFiles: boolean;
  /** One line per restriction in force, for the status bar tooltip and the notice; empty when trusted. */
  limits: string[];
}

/** True when a value of `key` set at `scope` may be used (workspace and folder values of restricted settings are not, untrusted). */
export function settingUsable(key: string, scope: 'user' | 'workspace' | 'folder', trusted: boolean): boolean {
  if (trusted || scope === 'user') return true;
  return !(RESTRICTED_SETTINGS as readonly string[]).includes(key);
}

/**
 * The value of one setting as the editor should use it, from VS Code's `inspect()` levels: folder over workspace
 * over user, except that an untrusted workspace's own values of restricted settings are skipped (and reported as
 * `ignored`).
 */
export function pickSetting<T>(key: string, levels: { folder?: T; workspace?: T; user?: T }, trusted: boolean): { value: T | undefined; ignored: boolean } {
  const folder = settingUsable(key, 'folder', trusted) ? levels.folder : undefined;
  const workspace = settingUsable(key, 'workspace', trusted) ? levels.workspace : undefined;
  const ignored = (levels.folder !== undefined && folder === undefined) || (levels.workspace !== undefined && workspace === undefined);
  return { value: folder ?? workspace ?? levels.user, ignored };
}

/**
 * The models and permissions to use. `ignored` names restricted settings the workspace set (and that were not
 * used), so the UI can say which.
 */
export function decideTrust(trusted: boolean, requested: ModelRequest, ignored: string[] = []): TrustDecision {
  if (trusted) return { ...requested, trusted, externalRetrievers: true, writeWorkspaceFiles: true, limits: [] };
  const limits: string[] = [];
  if (requested.model !== BUILT_IN_MODEL) limits.push(`embedding uses the built-in USE-lite, not "${requested.model}": no model folder or hub model is loaded`);
  else limits.push('embedding uses the built-in USE-lite; no model folder or hub model is loaded');
  if (requested.reranker) limits.push(`the reranker "${requested.reranker}" is off`);
  limits.push('no model is downloaded');
  limits.push('no external retriever or endpoint named by settings is contacted');
  limits.push('labels are not saved: nothing is written into the workspace (.retrieval-lens/evalset.jsonl) until you trust it');
  if (ignored.length) limits.push(`workspace settings ignored: ${ignored.map((k) => `retrievalLens.${k}`).join(', ')}`);
  return { trusted, model: BUILT_IN_MODEL, reranker: '', allowDownload: false, externalRetrievers: false, writeWorkspaceFiles: false, limits };
}

/** Why a write into the workspace is refused, or undefined when it is allowed. */
export function workspaceWriteRefusal(trusted: boolean, what = 'the label'): string | undefined {
  return trusted ? undefined : `${what} was not saved: this workspace is not trusted (Restricted Mode), and Retrieval Lens writes nothing into an untrusted workspace. Trust the workspace to save labels to .retrieval-lens/evalset.jsonl.`;
}

/** What a run did with the restricted settings of the workspace it read (recorded in run manifests). */
export interface SettingsTrust {
  /** Where the settings came from: the workspace's own .vscode/settings.json, a file the user named, or none. */
  source: 'workspace' | 'file' | 'none';
  /** True when the restricted settings of that source were applied. */
  applied: boolean;
  /** Restricted settings the source set and that were not applied (`retrievalLens.` left off). */
  ignored: RestrictedSetting[];
}

/**
 * True when the value asks for nothing to be loaded, downloaded, contacted or read: the built-in model, no
 * reranker, downloads off, no adapter, empty maps. Such a value is used even untrusted (the demo's
 * `embeddingModel: "use-lite"` chooses the model Restricted Mode uses anyway).
 */
function requestsNothing(key: RestrictedSetting, value: unknown): boolean {
  switch (key) {
    case 'embeddingModel': return value === BUILT_IN_MODEL;
    case 'rerankerModel': case 'queryAdapter': return value === '';
    case 'allowModelDownload': return value === false;
    case 'retrievers': case 'embeddingEndpoints': case 'chatEndpoints': return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  }
}

/**
 * Settings read from a workspace's own files, as an untrusted workspace may use them: every restricted setting that
 * asks for something is dropped and named in `ignored`. Trusted, they are returned as they are. The CLI applies this
 * to `<dir>/.vscode/settings.json` unless --trust-workspace (or RETRIEVAL_LENS_TRUST_WORKSPACE=1) is given.
 */
export function restrictWorkspaceSettings<S extends Partial<Record<RestrictedSetting, unknown>>>(settings: S, trusted: boolean): { settings: S; ignored: RestrictedSetting[] } {
  if (trusted) return { settings, ignored: [] };
  const out = { ...settings };
  const ignored: RestrictedSetting[] = [];
  for (const key of RESTRICTED_SETTINGS) {
    if (out[key] === undefined || requestsNothing(key, out[key])) continue;
    delete out[key];
    ignored.push(key);
  }
  return { settings: out, ignored };
}

/** The variable that trusts every workspace the CLI reads, for CI on the team's own repository. */
export const TRUST_WORKSPACE_ENV = 'RETRIEVAL_LENS_TRUST_WORKSPACE';

/** The one line the CLI prints when it ignored restricted settings, naming each and how to opt in. */
export function ignoredSettingsLine(file: string, ignored: readonly RestrictedSetting[]): string | undefined {
  if (!ignored.length) return undefined;
  return `workspace settings not applied (the workspace is not trusted): ${ignored.map((k) => `retrievalLens.${k}`).join(', ')} in ${file}; pass --trust-workspace (or set ${TRUST_WORKSPACE_ENV}=1) to apply them, or name your own with --settings FILE`;
}
