import type { CommandFactory } from './registry';

/** "Build Index": builds or updates the workspace index (progress with Cancel, see IndexService). */
export const buildIndex: CommandFactory = (s) => () => s.indexService.build();
