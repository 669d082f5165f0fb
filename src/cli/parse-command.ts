import leven from 'leven';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A command's flags and positionals, parsed as every command parses them (strict: an unknown flag is an error, which
 * main.ts reports with the command's usage and exit code 2).
 */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options, strict: true });
  } catch (e) {
    const unknown = e instanceof TypeError && (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /'(-{1,2}[^']+)'/.exec(e.message)?.[1];
    if (!unknown) throw e;
    const near = nearestFlag(unknown.replace(/^-+/, '').split('=')[0], Object.keys(options));
    throw new UnknownFlagError(`unknown flag ${unknown}${near ? `; did you mean --${near}?` : ''}`);
  }
}

/** An unknown flag, with the nearest valid one when there is one close enough (main.ts adds the command's usage). */
export class UnknownFlagError extends Error {}

/** The option name nearest to `name` by edit distance, when at most a third of it (at least 2 edits) differs. */
export function nearestFlag(name: string, names: readonly string[]): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const n of names) {
    const d = leven(name, n);
    if (!best || d < best.d) best = { n, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.n : undefined;
}
