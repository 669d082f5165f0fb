import * as vscode from 'vscode';
import { ChatClient } from '../../core/embed/chat-client';
import type { JudgeEstimate } from '../../core/judge/run-judge';
import { chatEndpointsSetting } from '../config';
import { editorSecrets } from '../retrievers/configured-retrievers';
import { plainMessageText } from '../safe-markdown';
import type { Services } from '../services';

/**
 * What every editor command that sends document text to a chat endpoint (Generate Training Queries…, Judge Pooled
 * Queue with LLM…) does first: refuse in an untrusted workspace (Restricted Mode: VS Code withholds the workspace's
 * endpoints too), pick one of retrievalLens.chatEndpoints (or take the name a caller passed), make its client with
 * the key from secret storage, and — once the estimate is known — ask in a modal naming the host and how much leaves
 * the machine. Nothing is sent before the user presses Send.
 */
export async function pickChatClient(s: Services, purpose: string, name?: string): Promise<ChatClient | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: ${purpose} sends document text to a chat endpoint, which an untrusted workspace may not do. Trust the workspace first; nothing was sent.`));
    return undefined;
  }
  const { endpoints, problems } = chatEndpointsSetting();
  for (const p of problems) s.log.warn(`retrievalLens.chatEndpoints.${p.path.join('.')}: ${p.problem}`);
  const names = Object.keys(endpoints);
  if (!names.length) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: no chat endpoint in retrievalLens.chatEndpoints${problems.length ? ' is valid (see the log)' : ''}; see docs/JUDGE.md.`));
    return undefined;
  }
  let chosen = name;
  if (!chosen) {
    const picked = names.length === 1 ? { label: names[0] } : await vscode.window.showQuickPick(names.map((n) => ({ label: n, description: `${endpoints[n].model} · ${new URL(endpoints[n].url).host}` })), { title: `${purpose}: which chat endpoint?` });
    if (!picked) return undefined;
    chosen = picked.label;
  }
  const config = endpoints[chosen];
  if (!config) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: no chat endpoint "${chosen}" in retrievalLens.chatEndpoints (${names.join(', ')}).`));
    return undefined;
  }
  try {
    return await ChatClient.create(chosen, config, editorSecrets(s.context));
  } catch (e) {
    void vscode.window.showErrorMessage(plainMessageText(`Retrieval Lens: cannot use the chat endpoint: ${e instanceof Error ? e.message : e}`));
    return undefined;
  }
}

const n = (x: number) => x.toLocaleString('en-US');

/** The modal before sending: the host, how many items and characters of document text, the token estimate. True to send. */
export async function confirmChatSend(client: ChatClient, what: string, est: JudgeEstimate): Promise<boolean> {
  if (est.toSend === 0) return true;
  const host = new URL(client.url).host;
  const answer = await vscode.window.showWarningMessage(
    plainMessageText(`Send ${n(est.toSend)} ${what} (${n(est.passageChars)} characters of document text) to ${host}?`),
    {
      modal: true,
      detail: `Chat endpoint "${client.name}" (${client.destination}, model ${client.config.model}). About ${n(est.promptTokens)} prompt + ${n(est.completionTokens)} answer tokens (an estimate; the service's own counts follow). ${n(est.cached)} answered before are read from the cache and not sent.`,
    },
    'Send',
  );
  return answer === 'Send';
}
