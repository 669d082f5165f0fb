import * as fsp from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';

/**
 * The file-system calls the folder loader makes. Defaults to node:fs/promises; tests inject failures (EACCES, EIO)
 * through it, since a root process reads files whatever their mode.
 */
export interface CorpusFs {
  readdir(dir: string): Promise<Dirent[]>;
  stat(file: string): Promise<Stats>;
  readFile(file: string): Promise<Buffer>;
  realpath(file: string): Promise<string>;
}

export const nodeCorpusFs: CorpusFs = {
  readdir: (dir) => fsp.readdir(dir, { withFileTypes: true }),
  stat: (file) => fsp.stat(file),
  readFile: (file) => fsp.readFile(file),
  realpath: (file) => fsp.realpath(file),
};
