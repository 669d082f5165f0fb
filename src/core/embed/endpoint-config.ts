// Types only: settings validation (retrieve/retriever-config.ts) and the webview protocol reach this without loading
// the embedder (openai-embedder.ts reads it).

/** `retrievalLens.embeddingEndpoints`: OpenAI-compatible `/v1/embeddings` services (OpenAI, Azure OpenAI, Ollama, vLLM, TEI, LM Studio). */
export interface EmbeddingEndpointConfig {
  type: 'openai';
  /** The embeddings URL (`…/v1/embeddings`) or its base (`…/v1`). */
  url: string;
  model: string;
  /** Secret holding the API key, sent as `Authorization: Bearer …` (or `api-key` with `apiKeyHeader: "api-key"` for Azure). */
  apiKeySecret?: string;
  apiKeyHeader?: string;
  dims?: number;
  batchSize?: number;
  concurrency?: number;
  timeoutMs?: number;
  maxRetries?: number;
}
