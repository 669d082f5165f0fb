import { fork, type ChildProcess } from 'node:child_process';
import type { Embedder, ModelInfo } from '../../src/core/embed/embedder';
import { CharTrigramEmbedder } from './char-ngram-embedder';

/**
 * The test CharTrigramEmbedder, run in a child process: in the editor the embedding model runs in a process of its
 * own, so the extension host's event loop only waits for vectors. Tests that measure the host's responsiveness use
 * this to put the embedding work off the loop (and out of this process's CPU time) the same way, and so measure
 * what the index itself blocks.
 */
export class ProcessCharTrigramEmbedder implements Embedder {
  readonly info: ModelInfo = new CharTrigramEmbedder().info;
  private readonly child: ChildProcess = fork(__filename, ['--embedder-child'], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private seq = 0;
  private readonly pending = new Map<number, (v: Float32Array[]) => void>();

  constructor() {
    this.child.on('message', (m: { id: number; vectors: Float32Array[] }) => {
      this.pending.get(m.id)?.(m.vectors);
      this.pending.delete(m.id);
    });
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    const id = this.seq++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, texts });
    });
  }

  countTokens(text: string): number {
    return text.length;
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill();
    await exited;
  }
}

if (process.argv.includes('--embedder-child') && process.send) {
  const inner = new CharTrigramEmbedder();
  process.on('message', (m: { id: number; texts: string[] }) => {
    void inner.embed(m.texts).then((vectors) => process.send?.({ id: m.id, vectors }));
  });
}
