// The slice of the WebAssembly JS API this package uses, typed locally: Node's type definitions do not
// declare the WebAssembly namespace and this package must not require the DOM lib from its consumers.

/** A compiled WebAssembly.Module (opaque here). */
export type CompiledWasmModule = object;

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  Module: new (bytes: ArrayBuffer | ArrayBufferView) => CompiledWasmModule;
  Instance: new (
    module: CompiledWasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => WasmInstance;
  RuntimeError: new (message?: string) => Error;
  validate(bytes: ArrayBuffer | ArrayBufferView): boolean;
  compile(bytes: ArrayBuffer | ArrayBufferView): Promise<CompiledWasmModule>;
}

export const wasmApi: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** True for a trap raised by wasm code (WebAssembly.RuntimeError). */
export function isWasmTrap(e: unknown): e is Error {
  return e instanceof wasmApi.RuntimeError;
}

/** True for a compiled module (as opposed to bytes). */
export function isCompiledModule(x: unknown): x is CompiledWasmModule {
  return x instanceof wasmApi.Module;
}
