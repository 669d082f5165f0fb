import * as path from 'node:path';
import { createChunker } from '../chunking/chunker-registry';
import type { Chunk, ChunkerConfig } from '../chunking/chunk';
import type { SourceDocument } from '../corpus/document';
import type { EvalSetFile } from '../eval/evalset-file';
import type { EvalQuery } from '../eval/evalset-types';
import type { KeywordConfig } from '../store/keyword-types';
import { planSyntheticQueries, styleExamples, type GenerationRun, type GenerationSettings, type SyntheticPlan } from './generate-queries';
import { measureQueryBias, type QueryBias } from './query-bias';
import { sampleChunks, type ChunkSample } from './sample-chunks';

/**
 * The steps of generate-queries that the CLI and the editor share, around the part that sends (runGeneration):
 * before — chunk the corpus as the index does, sample, pick the style examples; after — de-duplicate, add the new
 * queries to the eval set and measure the bias figure on the eval set as it now is.
 */
export const GENERATED_ANSWERS_PATH = '.retrieval-lens/judge/generated-queries.jsonl';

export function generatedAnswersFile(root: string): string {
  return path.join(root, GENERATED_ANSWERS_PATH);
}

export interface GenerationOptions {
  /** Chunks to write queries for. */
  count: number;
  seed: number;
  perChunk: number;
}

export const DEFAULT_GENERATION: GenerationOptions = { count: 50, seed: 1, perChunk: 1 };

export interface GenerationSetup {
  sample: ChunkSample;
  settings: GenerationSettings;
}

/** Chunks `documents` with `chunker` (as the index does) and samples; see sampleFrom. */
export function prepareGeneration(documents: Iterable<SourceDocument>, queries: readonly EvalQuery[], chunker: ChunkerConfig, o: GenerationOptions, under?: string): GenerationSetup {
  const c = createChunker(chunker);
  return sampleFrom([...documents].flatMap((d) => c.chunk(d)), queries, o, under);
}

/** Samples `chunks` (those of documents under the folder `under`, a workspace-relative path, when given) and picks the style examples. */
export function sampleFrom(chunks: Iterable<Chunk>, queries: readonly EvalQuery[], o: GenerationOptions, under?: string): GenerationSetup {
  const prefix = under ? `${under.replace(/\/+$/, '')}/` : undefined;
  const inside = [...chunks].filter((c) => !prefix || c.docId.startsWith(prefix));
  return { sample: sampleChunks(inside, o.count, o.seed), settings: { perChunk: o.perChunk, examples: styleExamples(queries, o.seed) } };
}

export interface GenerationOutcome {
  plan: SyntheticPlan;
  bias: QueryBias;
}

/** Adds the run's new queries to the eval set (saved when any) and measures the bias figure after. */
export function applyGeneration(evalSet: EvalSetFile, run: GenerationRun, documents: Iterable<SourceDocument>, model: string, keyword: Partial<Pick<KeywordConfig, 'stemming'>> = {}, options: { save?: boolean } = {}): GenerationOutcome {
  const docs = new Map<string, SourceDocument>();
  for (const d of documents) docs.set(d.id, d);
  const plan = planSyntheticQueries(run.generated, evalSet.all(), docs, { model });
  if (options.save !== false) {
    for (const q of plan.added) evalSet.upsert(q);
    if (plan.added.length) evalSet.save();
  }
  const after = options.save === false ? [...evalSet.all(), ...plan.added] : evalSet.all();
  return { plan, bias: measureQueryBias(after, docs.values(), { stemming: keyword.stemming ?? true }) };
}
