import * as readline from 'node:readline/promises';
import type { ChatEndpointConfig } from '../core/embed/chat-endpoints';
import type { EvalTarget } from '../core/eval/eval-target';
import { TRUST_WORKSPACE_ENV } from '../core/settings/workspace-trust';
import { UsageError, type CliIO } from './cli-context';

/**
 * What every CLI command that sends document text to a chat endpoint (judge, generate-queries) does before it
 * sends: find the endpoint the user named — refused, with the reason, when the workspace is not trusted — and,
 * after printing what would leave the machine, ask on a terminal or take --yes.
 */
export function resolveChatEndpoint(target: EvalTarget, name: string): ChatEndpointConfig {
  const endpoint = target.settings.chatEndpoints?.[name];
  if (endpoint) return endpoint;
  const untrusted = target.settingsTrust.ignored.includes('chatEndpoints');
  const known = Object.keys(target.settings.chatEndpoints ?? {});
  throw new UsageError(
    untrusted
      ? `--endpoint ${name}: the workspace's retrievalLens.chatEndpoints is not applied because the workspace is not trusted, and nothing is sent; pass --trust-workspace (or ${TRUST_WORKSPACE_ENV}=1) if you trust it, or name your own settings with --settings FILE`
      : `--endpoint ${name}: no such chat endpoint in retrievalLens.chatEndpoints${known.length ? ` (${known.join(', ')})` : ' (none configured; see docs/JUDGE.md)'}`,
  );
}

/**
 * True when the run may send: nothing to send, --yes, or "y" typed on a terminal. Without a terminal and without
 * --yes (CI, a pipe) the answer is no, and one line on stderr says why.
 */
export async function confirmSending(io: CliIO, o: { toSend: number; what: string; noun?: string; destination: string; yes: boolean }): Promise<boolean> {
  if (o.toSend === 0 || o.yes) return true;
  if (await askOnTerminal(`send ${o.toSend.toLocaleString('en-US')} ${o.what} to ${o.destination}? [y/N] `)) return true;
  io.err(`nothing sent: the ${o.noun ?? o.what} hold your documents' text; confirm on a terminal or pass --yes`);
  return false;
}

/** Asks on a terminal; without one the answer is no: --yes is how a script says yes. */
async function askOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
