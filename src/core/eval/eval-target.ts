import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Corpus } from '../corpus/document';
import { InputError } from '../io/input-error';
import { isBeirFolder, loadBeirCorpus } from '../corpus/load-beir';
import { loadFolderCorpus } from '../corpus/load-folder';
import { readWorkspaceSettings, type WorkspaceSettings } from '../settings/workspace-settings';
import { restrictWorkspaceSettings, type SettingsTrust } from '../settings/workspace-trust';
import { beirQrelsFile, beirTrainQrelsFile, readBeirQrels, readBeirQueries } from './beir-io';
import { EVALSET_PATH, EvalSetFile } from './evalset-file';
import type { EvalQuery } from './evalset-types';
import { reanchor } from './span-anchor';
import { readTrecQrels } from './trec-io';

/** A corpus plus the queries and judgments to score it with, from a BEIR folder or a workspace with an eval set. */
export interface EvalTarget {
  kind: 'beir' | 'workspace';
  root: string;
  corpus: Corpus;
  queries: EvalQuery[];
  settings: WorkspaceSettings;
  /** Labels whose quote moved or could no longer be found (workspace only). */
  anchoring: { moved: number; fuzzy: number; stale: number };
  /** Where `settings` came from and which restricted settings were left out (see workspace-trust.ts). */
  settingsTrust: SettingsTrust & { file: string | null };
}

export interface LoadTargetOptions {
  requireQueries?: boolean;
  /** The CLI's --settings: read instead of the workspace's own settings, and applied whole (the user named it). */
  settingsFile?: string;
  /**
   * Apply the restricted settings of the workspace's own .vscode/settings.json (models, endpoints, retrievers,
   * adapters). Off unless the user trusted the workspace: a cloned repository must not choose what is contacted,
   * loaded or read.
   */
  trustWorkspace?: boolean;
}

/** The settings a run uses: the user's file whole, else the workspace's own file restricted unless trusted. */
function targetSettings(root: string, options: LoadTargetOptions, beir: boolean): { settings: WorkspaceSettings; trust: EvalTarget['settingsTrust'] } {
  if (options.settingsFile) {
    const file = path.resolve(options.settingsFile);
    return { settings: readWorkspaceSettings(root, file), trust: { source: 'file', file, applied: true, ignored: [] } };
  }
  const file = path.join(root, '.vscode', 'settings.json');
  if (beir || !fs.existsSync(file)) return { settings: {}, trust: { source: 'none', file: null, applied: false, ignored: [] } };
  const trusted = options.trustWorkspace === true;
  const { settings, ignored } = restrictWorkspaceSettings(readWorkspaceSettings(root, file), trusted);
  return { settings, trust: { source: 'workspace', file, applied: trusted, ignored } };
}

/**
 * `settingsFile` (the CLI's --settings) is read instead of `<dir>/.vscode/settings.json`, also for BEIR folders,
 * which otherwise take no settings.
 */
export async function loadEvalTarget(dir: string, options: LoadTargetOptions = {}): Promise<EvalTarget> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new InputError(root, undefined, 'not a folder');
  if (isBeirFolder(root)) {
    const corpus = await loadBeirCorpus(root);
    const queriesFile = path.join(root, 'queries.jsonl');
    if (!fs.existsSync(queriesFile)) throw new InputError(queriesFile, undefined, 'missing: a BEIR folder needs queries.jsonl');
    const qrelsFile = beirQrelsFile(root) ?? path.join(root, 'qrels.trec');
    if (!fs.existsSync(qrelsFile)) throw new InputError(path.join(root, 'qrels.tsv'), undefined, 'missing: a BEIR folder needs qrels.tsv or qrels/test.tsv');
    const qrels = qrelsFile.endsWith('.trec') ? readTrecQrels(qrelsFile) : readBeirQrels(qrelsFile);
    // The standard BEIR layout's qrels/train.tsv beside the eval qrels: its queries are the train split.
    const trainFile = beirTrainQrelsFile(root);
    const trainQrels = trainFile && trainFile !== qrelsFile ? readBeirQrels(trainFile) : undefined;
    if (trainQrels) {
      for (const qid of trainQrels.keys()) {
        if (qrels.has(qid)) throw new InputError(trainFile as string, undefined, `query ${qid} is judged in both ${path.relative(root, trainFile as string)} and ${path.relative(root, qrelsFile)}; a query belongs to one split`);
      }
    }
    const queries: EvalQuery[] = [];
    for (const q of await readBeirQueries(queriesFile)) {
      const judged = qrels.get(q.id) ?? trainQrels?.get(q.id);
      if (!judged) continue;
      const split = qrels.has(q.id) ? 'eval' : 'train';
      queries.push({ id: q.id, text: q.text, split, judgments: [...judged].map(([docId, grade]) => ({ grade: Math.max(0, Math.min(3, grade)) as 0 | 1 | 2 | 3, target: { type: 'document', docId } })) });
    }
    const { settings, trust } = targetSettings(root, options, true);
    return { kind: 'beir', root, corpus, queries, settings, anchoring: { moved: 0, fuzzy: 0, stale: 0 }, settingsTrust: trust };
  }
  const { settings, trust } = targetSettings(root, options, false);
  const corpus = await loadFolderCorpus(root, { include: settings.include, exclude: settings.exclude });
  const evalFile = path.join(root, EVALSET_PATH);
  if (options.requireQueries && !fs.existsSync(evalFile)) {
    throw new InputError(evalFile, undefined, 'no eval set: not a BEIR folder (corpus.jsonl) and no .retrieval-lens/evalset.jsonl');
  }
  const evalSet = EvalSetFile.load(evalFile);
  const anchoring = { moved: 0, fuzzy: 0, stale: 0 };
  const docs = new Map(corpus.documents.map((d) => [d.id, d]));
  const queries = evalSet.all().map((q) => ({
    ...q,
    judgments: q.judgments.map((j) => {
      if (j.target.type !== 'span') return j;
      const doc = docs.get(j.target.docId);
      if (!doc) return j; // not indexed: diagnosis reports it as a missing document
      const a = reanchor(j.target, doc.text);
      if (a.status === 'moved') anchoring.moved++;
      if (a.status === 'fuzzy') anchoring.fuzzy++;
      if (a.status === 'stale') {
        anchoring.stale++;
        return { ...j, stale: true };
      }
      return { ...j, stale: false, target: { ...j.target, start: a.start, end: a.end, exact: doc.text.slice(a.start, a.end) } };
    }),
  }));
  return { kind: 'workspace', root, corpus, queries, settings, anchoring, settingsTrust: trust };
}
