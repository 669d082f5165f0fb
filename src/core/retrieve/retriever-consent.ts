import * as crypto from 'node:crypto';
import type { EmbeddingEndpointConfig } from '../embed/endpoint-config';
import type { ExternalRetrieverConfig } from './retriever-config';

/** Where confirmations are kept: user-level storage (the editor's globalState), never the workspace. */
export interface ConsentStore {
  get(key: string): unknown;
  set(key: string, value: unknown): PromiseLike<void> | void;
}

export type ConsentDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * Where a retriever sends queries, for the confirmation prompt: `POST https://host/path` or `postgres host:port/db`,
 * and the embeddings endpoint that receives the query texts for its vectors, when it names one.
 */
export function destination(config: ExternalRetrieverConfig, endpoint?: EmbeddingEndpointConfig): string {
  const main = engineDestination(config);
  if (!endpoint) return main;
  try {
    const u = new URL(endpoint.url);
    return `${main}, query texts to the embeddings endpoint POST ${u.origin}${u.pathname}`;
  } catch {
    return `${main}, query texts to an embeddings endpoint`;
  }
}

function engineDestination(config: ExternalRetrieverConfig): string {
  try {
    if (config.type === 'pgvector') {
      const u = new URL(config.connection);
      return `postgres ${u.host}${u.pathname}`;
    }
    const u = new URL(config.url.replace(/\$\{[^}]*\}/g, 'x'));
    return `${config.method ?? 'POST'} ${u.origin}${u.pathname}`;
  } catch {
    return config.type;
  }
}

/** Where an embeddings endpoint used for the local index sends the documents and queries: `POST https://host/path`. */
export function endpointDestination(endpoint: EmbeddingEndpointConfig): string {
  try {
    const u = new URL(endpoint.url);
    return `the embeddings endpoint POST ${u.origin}${u.pathname}`;
  } catch {
    return 'an embeddings endpoint';
  }
}

/** The confirmation of an embeddings endpoint for the index covers this exact endpoint configuration. */
export function endpointConsentKey(name: string, endpoint: EmbeddingEndpointConfig): string {
  return `retrievalLens.endpointConsent.${crypto.createHash('sha256').update(`${name}\u0000${JSON.stringify(endpoint)}`).digest('hex').slice(0, 32)}`;
}

/** The confirmation covers this exact configuration: a changed URL, SQL, header or body asks again. */
export function consentKey(name: string, config: ExternalRetrieverConfig, endpoint?: EmbeddingEndpointConfig): string {
  return `retrievalLens.retrieverConsent.${crypto.createHash('sha256').update(`${name}\u0000${JSON.stringify(config)}\u0000${JSON.stringify(endpoint ?? null)}`).digest('hex').slice(0, 32)}`;
}

/**
 * Decides whether a retriever named in workspace settings may be contacted: only in a trusted workspace, and only
 * once the user has confirmed this retriever with this configuration (asked once, remembered in user storage).
 * A cloned repository therefore cannot send the user's queries, documents or keys anywhere on its own.
 */
export class RetrieverConsent {
  constructor(
    private readonly deps: {
      isTrusted: () => boolean;
      store: ConsentStore;
      /** Asks the user; true when they agree. Never called in an untrusted workspace. */
      ask: (name: string, destination: string) => Promise<boolean>;
      /** Consents declined in this session (one window): not asked again until it ends, so a refusal is not a nag. */
      declined?: Set<string>;
    },
  ) {}

  /** `endpoint`: the embeddings endpoint the retriever's embeddingModel names (it receives the query texts too). */
  check(name: string, config: ExternalRetrieverConfig, endpoint?: EmbeddingEndpointConfig): Promise<ConsentDecision> {
    if (!this.deps.isTrusted()) return Promise.resolve({ allowed: false, reason: 'the workspace is not trusted: retrievers from workspace settings are not contacted' });
    return this.decide(name, consentKey(name, config, endpoint), destination(config, endpoint), 'queries are sent');
  }

  /**
   * An embeddings endpoint as the local index's model (`retrievalLens.embeddingModel` naming a key of
   * `retrievalLens.embeddingEndpoints`): it receives every chunk of the workspace, so it is confirmed on its own,
   * with the same rules — trusted workspace, asked once per configuration, a refusal remembered for the window.
   */
  checkEndpoint(name: string, endpoint: EmbeddingEndpointConfig): Promise<ConsentDecision> {
    if (!this.deps.isTrusted()) return Promise.resolve({ allowed: false, reason: 'the workspace is not trusted: embedding endpoints from workspace settings are not contacted' });
    return this.decide(name, endpointConsentKey(name, endpoint), endpointDestination(endpoint), 'documents and queries are sent');
  }

  private async decide(name: string, key: string, dest: string, what: string): Promise<ConsentDecision> {
    if (this.deps.store.get(key) === true) return { allowed: true };
    if (this.deps.declined?.has(key)) return { allowed: false, reason: `declined in this window: ${what} to ${dest} only after you agree (reload the window to be asked again)` };
    if (!(await this.deps.ask(name, dest))) {
      this.deps.declined?.add(key);
      return { allowed: false, reason: `not confirmed: ${what} to ${dest} only after you agree` };
    }
    await this.deps.store.set(key, true);
    return { allowed: true };
  }
}
