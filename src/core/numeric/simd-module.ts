/**
 * A WebAssembly SIMD module compiled once, on first use, or null where the runtime cannot run it (then the caller's
 * JavaScript loops run instead, giving the same results). Shared by the int8 vector scan and the adapter kernels.
 */
export function lazySimdModule(bytes: Uint8Array): () => WebAssembly.Module | null {
  let compiled: WebAssembly.Module | null | undefined;
  return () => {
    if (compiled === undefined) {
      try {
        compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
      } catch {
        compiled = null;
      }
    }
    return compiled;
  };
}
