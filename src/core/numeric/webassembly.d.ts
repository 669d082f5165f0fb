/**
 * The part of the WebAssembly JS API used by int8-rows.ts. Node has the global (it is part of V8), but its type
 * declarations live in TypeScript's DOM lib, which this project leaves out so browser globals cannot leak into
 * Node code.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  function validate(bytes: Uint8Array): boolean;
}
