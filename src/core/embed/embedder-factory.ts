import type { CrossEncoder, Embedder } from './embedder';
import { TransformersCrossEncoder, TransformersEmbedder, type TransformersOptions } from './transformers-models';
import { UseLiteEmbedder } from './use-lite-embedder';

/** 'use-lite' | a hub id | an absolute local folder, plus transformers.js options. */
export interface ModelSpec extends Omit<TransformersOptions, 'model'> {
  model: string;
}

/** Loads an embedder in this thread. Use WorkerEmbedder to keep the caller's event loop free. */
export async function loadEmbedder(spec: ModelSpec): Promise<Embedder> {
  if (spec.model === 'use-lite') return UseLiteEmbedder.load({ batchSize: spec.batchSize });
  return TransformersEmbedder.load(spec);
}

export async function loadCrossEncoder(spec: ModelSpec): Promise<CrossEncoder> {
  if (spec.model === 'use-lite') throw new Error('use-lite is a bi-encoder; a reranker needs a cross-encoder model (e.g. Xenova/ms-marco-MiniLM-L-6-v2)');
  return TransformersCrossEncoder.load(spec);
}
