import type { CliIO } from './cli-io';

/**
 * Progress on stderr: on a terminal one line rewritten in place (`\r`, cleared to the end, at most every 100 ms,
 * cut to the terminal's width); otherwise — a log, CI, a pipe — plain lines, one each time `key` changes (the caller
 * passes the stage and a 10 % step), so a log gets a few lines per stage instead of thousands.
 */
export interface ProgressLine {
  update(text: string, key?: string): void;
  /** Ends the updating line (replaced by `final` when given). */
  done(final?: string): void;
}

export function progressLine(io: CliIO, now: () => number = () => performance.now(), minIntervalMs = 100): ProgressLine {
  let open = false;
  let lastAt = -Infinity;
  let lastKey: string | undefined;
  const fit = (t: string) => t.slice(0, Math.max(20, (io.tty?.columns ?? 120) - 1));
  return {
    update(text, key = text) {
      if (io.tty) {
        const t = now();
        if (t - lastAt < minIntervalMs && key === lastKey) return;
        lastAt = t;
        lastKey = key;
        io.tty.write(`\r${fit(text)}\x1b[K`);
        open = true;
      } else if (key !== lastKey) {
        lastKey = key;
        io.err(text);
      }
    },
    done(final) {
      if (io.tty && open) io.tty.write(final ? `\r${fit(final)}\x1b[K\n` : '\r\x1b[K');
      else if (final) io.err(final);
      open = false;
      lastKey = undefined;
    },
  };
}
