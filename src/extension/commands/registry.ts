import * as vscode from 'vscode';
import type { Services } from '../services';

/** A command body, made once at activation from the services (rust-analyzer's `(ctx) => Cmd`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- command arguments come untyped from VS Code
export type Command = (...args: any[]) => unknown;
export type CommandFactory = (s: Services) => Command;

/** Registers every command of `list` under its id; the disposables go to the extension's subscriptions. */
export function registerCommands(s: Services, list: Readonly<Record<string, CommandFactory>>): vscode.Disposable[] {
  return Object.entries(list).map(([id, factory]) => vscode.commands.registerCommand(id, factory(s)));
}
