import type { Grade } from '../../core/eval/evalset-types';
import type { CommandFactory } from './registry';

/** The judging queue's commands; the flow itself (selection, keys, advancing) is eval-set/judging-flow.ts. */
export const buildJudgingQueue: CommandFactory = (s) => () => s.judging.build();
export const judgePooled: CommandFactory = (s) => (grade: Grade, arg?: unknown) => s.judging.judge(grade, arg);
export const skipPooled: CommandFactory = (s) => (arg?: unknown) => s.judging.skip(arg);
/** The view-title toggle between the value order (label next) and the query order; returns the order now in force. */
export const orderJudgingByValue: CommandFactory = (s) => () => {
  s.judging.queue.setOrder('value');
  return s.judging.queue.orderBy;
};
export const orderJudgingByQuery: CommandFactory = (s) => () => {
  s.judging.queue.setOrder('query');
  return s.judging.queue.orderBy;
};
