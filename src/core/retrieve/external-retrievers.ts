import { OpenAIEmbedder } from '../embed/openai-embedder';
import type { EmbeddingEndpointConfig } from '../embed/endpoint-config';
import { HttpRetriever } from './http-retriever';
import { PgvectorRetriever } from './pgvector-retriever';
import type { QueryEmbedder, Retriever } from './retriever';
import type { ExternalRetrieverConfig } from './retriever-config';
import type { SecretSource } from '../io/secret-source';

export type ExternalRetriever = HttpRetriever | PgvectorRetriever;

/** The two settings external retrievers are built from (the workspace settings carry both, validated). */
export interface ExternalRetrieverSettings {
  retrievers?: Record<string, ExternalRetrieverConfig>;
  embeddingEndpoints?: Record<string, EmbeddingEndpointConfig>;
}

export interface ExternalDeps {
  secrets: SecretSource;
  /** The index's embedding model, for `embeddingModel: "local"` (e.g. the vectors a pgvector table was loaded with). */
  localQueryEmbedder?: QueryEmbedder;
  fetch?: typeof fetch;
}

/** The names configured in retrievalLens.retrievers. */
export function configuredRetrievers(settings: ExternalRetrieverSettings): string[] {
  return Object.keys(settings.retrievers ?? {});
}

/**
 * The retriever configured as `name`; its query vectors come from the model it names (`local`, or an
 * OpenAI-compatible endpoint from retrievalLens.embeddingEndpoints, created on first use). Nothing is contacted
 * here: the first search is the first request.
 */
export function createExternalRetriever(name: string, settings: ExternalRetrieverSettings, deps: ExternalDeps): ExternalRetriever {
  const config = settings.retrievers?.[name];
  if (!config) {
    const known = configuredRetrievers(settings);
    throw new Error(`no retriever "${name}" in retrievalLens.retrievers${known.length ? ` (configured: ${known.join(', ')})` : ''}`);
  }
  const queryEmbedder = config.embeddingModel ? queryEmbedderFor(config.embeddingModel, settings, deps) : undefined;
  if (config.type === 'http') return new HttpRetriever(name, config, { secrets: deps.secrets, queryEmbedder, fetch: deps.fetch });
  if (!queryEmbedder) throw new Error(`retriever "${name}" needs "embeddingModel" for the query vector`);
  return new PgvectorRetriever(name, config, { secrets: deps.secrets, queryEmbedder });
}

function queryEmbedderFor(model: string, settings: ExternalRetrieverSettings, deps: ExternalDeps): QueryEmbedder {
  if (model === 'local') {
    return async (q, signal) => {
      if (!deps.localQueryEmbedder) throw new Error('embeddingModel "local" needs the index\'s embedding model, and none is loaded');
      return deps.localQueryEmbedder(q, signal);
    };
  }
  const endpoint = settings.embeddingEndpoints?.[model];
  if (!endpoint) throw new Error(`embedding model "${model}" is neither "local" nor a key of retrievalLens.embeddingEndpoints`);
  let embedder: Promise<OpenAIEmbedder> | undefined;
  const cache = new Map<string, Float32Array>();
  return async (q, signal) => {
    const hit = cache.get(q);
    if (hit) return hit;
    embedder ??= OpenAIEmbedder.create(model, endpoint, deps.secrets, { fetch: deps.fetch });
    const e = await embedder.catch((err: unknown) => {
      embedder = undefined;
      throw err;
    });
    const [v] = await e.embed([q], { kind: 'query', signal });
    cache.set(q, v);
    if (cache.size > 512) cache.delete(cache.keys().next().value as string);
    return v;
  };
}

/** Whether a retriever is one of the index's own; anything else came from settings. */
export function isExternal(r: Retriever): r is ExternalRetriever {
  return r.kind !== 'local';
}
