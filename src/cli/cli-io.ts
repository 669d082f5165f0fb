/** Where the CLI writes output and reads nothing else from: injectable for tests. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr when it is a terminal: progress is one line rewritten in place there (see progress-line.ts). */
  tty?: { write: (raw: string) => void; columns?: number };
}
