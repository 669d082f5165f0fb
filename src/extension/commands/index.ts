import { SHOW_NEIGHBOURHOOD } from '../webviews/neighbourhood/neighbourhood-actions';
import { buildIndex } from './build-index';
import { deleteJudgment, deleteQuery, openEvalSetFile, toggleSplit } from './eval-set-actions';
import { importQueryLog } from './import-query-log';
import { importProductionTraces } from './import-traces';
import { generateTrainingQueries } from './generate-queries';
import { judgeQueriesWithLlm, judgeQueueWithLlm, removeAllJudgeLabels } from './judge-with-llm';
import { inspectQuery, openInspector, revealSpan } from './inspector';
import { buildJudgingQueue, judgePooled, orderJudgingByQuery, orderJudgingByValue, skipPooled } from './judging-queue';
import { markIrrelevant, markRelevant } from './label-selection';
import type { CommandFactory } from './registry';
import { runBaseline } from './run-baseline';
import { selectEmbeddingModel } from './select-embedding-model';
import { setSecret } from './set-secret';
import { showQueryNeighbourhood } from './show-neighbourhood';
import { showReadinessReport } from './show-readiness-report';
import { toggleAnnotations } from './toggle-annotations';
import { trainAdapter } from './train-adapter';

/**
 * Every command of the extension, by the id package.json contributes it under (a test checks the two agree); each
 * value makes the command's body from the services once, at activation. To add a command: a file here exporting
 * its factory, a line below, an entry in package.json's contributes.commands.
 */
export const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  'retrievalLens.openInspector': openInspector,
  'retrievalLens.inspectQuery': inspectQuery,
  'retrievalLens.revealSpan': revealSpan,
  'retrievalLens.buildIndex': buildIndex,
  'retrievalLens.selectEmbeddingModel': selectEmbeddingModel,
  'retrievalLens.toggleAnnotations': toggleAnnotations,
  'retrievalLens.markRelevant': markRelevant,
  'retrievalLens.markIrrelevant': markIrrelevant,
  'retrievalLens.deleteJudgment': deleteJudgment,
  'retrievalLens.deleteQuery': deleteQuery,
  'retrievalLens.toggleSplit': toggleSplit,
  'retrievalLens.openEvalSetFile': openEvalSetFile,
  'retrievalLens.importQueryLog': importQueryLog,
  'retrievalLens.importTraces': importProductionTraces,
  'retrievalLens.generateQueries': generateTrainingQueries,
  'retrievalLens.judgeWithLlm': judgeQueueWithLlm,
  'retrievalLens.judgeQueriesWithLlm': judgeQueriesWithLlm,
  'retrievalLens.removeJudgeLabels': removeAllJudgeLabels,
  'retrievalLens.buildJudgingQueue': buildJudgingQueue,
  'retrievalLens.judgePooled': judgePooled,
  'retrievalLens.skipPooled': skipPooled,
  'retrievalLens.orderJudgingByValue': orderJudgingByValue,
  'retrievalLens.orderJudgingByQuery': orderJudgingByQuery,
  'retrievalLens.runBaseline': runBaseline,
  'retrievalLens.showReadinessReport': showReadinessReport,
  'retrievalLens.trainAdapter': trainAdapter,
  [SHOW_NEIGHBOURHOOD]: showQueryNeighbourhood,
  'retrievalLens.setSecret': setSecret,
};
