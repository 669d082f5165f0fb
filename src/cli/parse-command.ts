import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A command's flags and positionals, parsed as every command parses them (strict: an unknown flag is an error, which
 * main.ts reports with the command's usage and exit code 2).
 */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  return parseArgs({ args: argv, allowPositionals: true, options, strict: true });
}
