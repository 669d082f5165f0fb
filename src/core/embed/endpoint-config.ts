// The OpenAI-compatible endpoint settings (embeddings, chat) and their shared field checks: pure, so settings
// validation (retrieve/retriever-config.ts, chat-endpoints.ts) and the webview protocol reach them without loading
// an embedder.

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

/** One problem at a JSON path below the setting (e.g. ['opensearch', 'url']). */
export interface ConfigProblem {
  path: Array<string | number>;
  problem: string;
}

/**
 * The fields every OpenAI-compatible endpoint setting shares (embeddingEndpoints, chatEndpoints): type "openai",
 * url, model, the key's secret and header (a key itself is refused), concurrency, timeoutMs, maxRetries; plus the
 * whole-number fields `counts` of the caller. Problems are pushed at their JSON path.
 */
export function checkOpenAIEndpointFields(name: string, c: Record<string, unknown>, problems: ConfigProblem[], protocol: string, counts: string[] = []): void {
  if (c.type !== undefined && c.type !== 'openai') problems.push({ path: [name, 'type'], problem: `must be "openai" (the OpenAI-compatible ${protocol} protocol), got ${JSON.stringify(c.type)}` });
  if (typeof c.url !== 'string' || !/^https?:\/\//.test(c.url)) problems.push({ path: c.url === undefined ? [name] : [name, 'url'], problem: c.url === undefined ? 'needs "url"' : 'must be an http:// or https:// URL' });
  if (typeof c.model !== 'string' || !c.model) problems.push({ path: c.model === undefined ? [name] : [name, 'model'], problem: c.model === undefined ? 'needs "model"' : 'must be a non-empty string' });
  for (const f of ['apiKeySecret', 'apiKeyHeader']) if (c[f] !== undefined && typeof c[f] !== 'string') problems.push({ path: [name, f], problem: 'must be a string' });
  if ('apiKey' in c) problems.push({ path: [name, 'apiKey'], problem: 'a key never goes in settings: name the environment variable or secret with "apiKeySecret"' });
  for (const f of [...counts, 'concurrency', 'timeoutMs']) {
    if (c[f] !== undefined && !(typeof c[f] === 'number' && Number.isInteger(c[f]) && (c[f] as number) >= 1)) problems.push({ path: [name, f], problem: 'must be a whole number ≥ 1' });
  }
  if (c.maxRetries !== undefined && !(typeof c.maxRetries === 'number' && Number.isInteger(c.maxRetries) && c.maxRetries >= 0)) problems.push({ path: [name, 'maxRetries'], problem: 'must be a whole number ≥ 0' });
}
