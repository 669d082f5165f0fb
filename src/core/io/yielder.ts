import { createHash } from 'node:crypto';

/**
 * Cooperative time slicing for long synchronous work on the extension host's event loop (chunking, keyword
 * indexing, serialising an index): call the returned function often; it yields to the loop (setImmediate, so
 * timers, I/O, cancellation and the UI's messages run) once `budgetMs` has passed since the last yield.
 */
export function createYielder(budgetMs = 5): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < budgetMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}

/** Runs a generator of work slices to its end, awaiting the yielder between steps. */
export async function drive<T>(g: Generator<void, T>, y: () => Promise<void> | undefined): Promise<T> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    const p = y();
    if (p) await p;
  }
}

/** JSON.stringify of an array, element by element with yields between slices: the same JSON text, no long block. */
export async function stringifyArray(items: readonly unknown[], y: () => Promise<void> | undefined): Promise<string> {
  const parts: string[] = [];
  for (const item of items) {
    parts.push(JSON.stringify(item) ?? 'null');
    await y();
  }
  return `[${parts.join(',')}]`;
}

/** SHA-256 (hex) of a large buffer, 256 KiB at a time with yields between. */
export async function sha256Async(buf: Uint8Array, y: () => Promise<void> | undefined): Promise<string> {
  const h = createHash('sha256');
  for (let i = 0; i < buf.byteLength; i += 1 << 18) {
    h.update(buf.subarray(i, Math.min(buf.byteLength, i + (1 << 18))));
    await y();
  }
  return h.digest('hex');
}
