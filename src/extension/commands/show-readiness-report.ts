import { buildWorkspaceReadiness } from '../webviews/readiness/readiness-host';
import { showReadinessReport as showReadinessView } from '../webviews/readiness/readiness-panel';
import type { CommandFactory } from './registry';

/**
 * "Fine-Tune Readiness Report": the report on the workspace's eval set (built by webviews/readiness/readiness-host.ts),
 * shown in the readiness view; then it offers the trial fine-tune.
 */
export const showReadinessReport: CommandFactory = (s) => async () => {
  const root = s.root;
  if (!root) return;
  const index = await s.indexService.ensureIndex();
  const embedder = index?.embedder;
  if (!index || !embedder) return;
  const { report, md } = await buildWorkspaceReadiness(s, root, index, embedder);
  await showReadinessView(s, report, md);
};
