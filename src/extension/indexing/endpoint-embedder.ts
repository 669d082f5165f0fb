import * as vscode from 'vscode';
import { OpenAIEmbedder } from '../../core/embed/openai-embedder';
import type { EmbeddingEndpointConfig } from '../../core/embed/endpoint-config';
import { embeddingEndpointsSetting } from '../config';
import { editorConsent, editorSecrets } from '../retrievers/configured-retrievers';

/**
 * The endpoint of `retrievalLens.embeddingEndpoints` that `retrievalLens.embeddingModel` names, when it names one:
 * the local index is then embedded by that OpenAI-compatible service instead of a model in a process of its own.
 */
export function indexEmbeddingEndpoint(model: string): EmbeddingEndpointConfig | undefined {
  return embeddingEndpointsSetting().endpoints[model];
}

/**
 * Starts the endpoint embedder for the index, only in a trusted workspace and after the user confirmed this endpoint
 * (it receives every chunk of the workspace, not just queries); its key from the editor's secret storage. Throws
 * with the reason when it may not be contacted, so the build says why instead of embedding with another model.
 */
export async function openEndpointEmbedder(context: vscode.ExtensionContext, name: string, endpoint: EmbeddingEndpointConfig): Promise<OpenAIEmbedder> {
  const consent = editorConsent(
    context,
    (n, dest) => `Retrieval Lens: the workspace settings make the embeddings endpoint "${n}" the index's model. Send the workspace's documents and your queries to ${dest}?`,
    'Every chunk of the workspace is sent to be embedded, and each query; the key comes from your secret storage. You are asked again if the endpoint settings change.',
  );
  const d = await consent.checkEndpoint(name, endpoint);
  if (!d.allowed) throw new Error(`embedding endpoint "${name}": ${d.reason}`);
  return OpenAIEmbedder.create(name, endpoint, editorSecrets(context));
}
