export function normalizeInPlace(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/**
 * Mean of each sequence's unmasked token vectors, L2-normalised: `hidden` is [batch, tokens, dims] row-major and
 * `mask` [batch, tokens] (non-zero = a real token). Equal to transformers.js's `mean_pooling(...).normalize(2, -1)`
 * (checked in test/unit/core/embed/pooling.test.ts) but reads each token's vector contiguously and the mask once
 * per token instead of once per dimension: 12 ms -> well under 1 ms for a batch of 32 × 70 tokens × 384 dims,
 * which was 15% of the embedding pipeline's time (docs/PERFORMANCE.md).
 */
export function meanPoolNormalize(hidden: ArrayLike<number>, dims: readonly number[], mask: ArrayLike<number | bigint>): Float32Array[] {
  const [batch, tokens, width] = dims;
  if (hidden.length !== batch * tokens * width) throw new Error(`hidden state holds ${hidden.length} values, expected ${batch} × ${tokens} × ${width}`);
  if (mask.length !== batch * tokens) throw new Error(`attention mask holds ${mask.length} values, expected ${batch} × ${tokens}`);
  const out: Float32Array[] = [];
  const sum = new Float64Array(width);
  for (let i = 0; i < batch; i++) {
    sum.fill(0);
    let count = 0;
    for (let j = 0; j < tokens; j++) {
      const m = Number(mask[i * tokens + j]);
      if (m === 0) continue;
      count += m;
      const base = (i * tokens + j) * width;
      for (let k = 0; k < width; k++) sum[k] += hidden[base + k] * m;
    }
    const v = new Float32Array(width);
    if (count > 0) for (let k = 0; k < width; k++) v[k] = sum[k] / count;
    out.push(normalizeInPlace(v));
  }
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const e = new Error('cancelled');
    e.name = 'AbortError';
    throw e;
  }
}

/** Lets queued messages (e.g. a cancel) run between batches, then checks the signal. */
export async function yieldAndCheck(signal: AbortSignal | undefined): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  throwIfAborted(signal);
}

/**
 * `text` cut to at most `maxChars` UTF-16 units (never inside a surrogate pair); a text within the limit is returned
 * as it is, the same string, so its vector is the same bits as without the cut.
 */
export function cutToChars(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars;
  const hi = text.charCodeAt(end - 1);
  if (hi >= 0xd800 && hi <= 0xdbff) end--;
  return text.slice(0, end);
}
