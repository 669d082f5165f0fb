/**
 * The dot product of `a[aBase .. aBase + d)` with `b[0 .. d)` in four float64 partial sums added once at the end:
 * the summation order the vector scan's float32 rescoring and the query adapter's scalar path (and the SIMD
 * kernels that must match it bit for bit) are defined by.
 */
export function dot4(a: ArrayLike<number>, aBase: number, b: ArrayLike<number>, d: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = 0;
  for (; j + 3 < d; j += 4) {
    s0 += a[aBase + j] * b[j];
    s1 += a[aBase + j + 1] * b[j + 1];
    s2 += a[aBase + j + 2] * b[j + 2];
    s3 += a[aBase + j + 3] * b[j + 3];
  }
  for (; j < d; j++) s0 += a[aBase + j] * b[j];
  return s0 + s1 + s2 + s3;
}
