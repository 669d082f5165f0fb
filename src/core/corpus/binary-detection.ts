/** How many leading bytes are inspected for binary content. */
const SAMPLE = 8192;
/** More than this share of C0 control characters (other than tab, LF, VT, FF, CR, ESC) marks a file as binary. */
const MAX_CONTROL_RATIO = 0.1;

/**
 * Why `bytes` look like binary data rather than text, or undefined for text: a NUL byte in the first 8 KiB, or more
 * than 10% control characters there (tab, line breaks, form feed and ESC, which ANSI-coloured logs use, allowed).
 */
export function binaryReason(bytes: Uint8Array): string | undefined {
  const n = Math.min(bytes.length, SAMPLE);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0) return `NUL byte at offset ${i}`;
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 11 && b !== 12 && b !== 13 && b !== 27) || b === 0x7f) control++;
  }
  if (n && control / n > MAX_CONTROL_RATIO) {
    return `${control} of the first ${n} bytes are control characters (${((100 * control) / n).toFixed(0)}%)`;
  }
  return undefined;
}
