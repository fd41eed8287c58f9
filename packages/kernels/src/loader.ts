// Loading the kernels module: pick the build (relaxed SIMD when the engine accepts it, else SIMD128),
// compile, instantiate with a trap-to-error `abort` import, and warm up. Every thread (main or worker)
// that calls loadKernels gets its own instance and memory; nothing is shared between threads.
//
// Relaxed SIMD on Node 20: V8 11.3 ships the proposal behind `--experimental-wasm-relaxed-simd`.
// enableRelaxedSimd() sets it with v8.setFlagsFromString before anything is compiled (it must precede
// compilation; it works in the main thread and in worker threads) and then asks wasmApi.validate
// about a 37-byte module whose one function is f64x2.relaxed_madd. If validation fails, the SIMD128
// build is used. Starting node with the flag (`node --experimental-wasm-relaxed-simd`) works too.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { REQUIRED_EXPORTS, type KernelExports } from './abi.js';
import { KernelLoadError, KernelTrapError } from './errors.js';
import { Kernels } from './kernels.js';
import { isCompiledModule, wasmApi, type CompiledWasmModule, type WasmMemory } from './wasm-api.js';

/** The two builds of the module: identical but for gemm's multiply-add (fused in `relaxed`). */
export type KernelVariant = 'relaxed' | 'simd128';

/** A build as bytes, or already compiled (e.g. inlined into a bundle, or compiled once and posted to workers). */
export type WasmSource = ArrayBuffer | ArrayBufferView | CompiledWasmModule;

export interface LoadKernelsOptions {
  /**
   * Which build to run. 'auto' picks relaxed when the engine validates relaxed SIMD, else simd128.
   * Asking for 'relaxed' on an engine without it throws KernelLoadError.
   * @default 'auto'
   */
  readonly variant?: 'auto' | KernelVariant;
  /**
   * The wasm to instantiate instead of the package's own build/kernels-<variant>.wasm files (bundlers
   * inline them this way). With 'auto', relaxed is used only when given and supported.
   * @default the package files, read from disk
   */
  readonly wasm?: { readonly simd128: WasmSource; readonly relaxed?: WasmSource };
  /**
   * Run every kernel a few times on small inputs at load, so the first real call does not run on V8's
   * baseline (Liftoff) tier.
   * @default true
   */
  readonly warmUp?: boolean;
}

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f64x2.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x87, 0x02,
  0x0b,
]);

let relaxedProbeResult: boolean | undefined;

/**
 * Turns on relaxed SIMD in this process when the engine has it behind a flag (Node 20) and reports
 * whether the engine now validates it. Safe to call repeatedly and from any thread.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedProbeResult !== undefined) return relaxedProbeResult;
  if (!wasmApi.validate(RELAXED_PROBE)) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Not V8, or flags are locked: fall back to whatever validate says.
    }
  }
  const supported = wasmApi.validate(RELAXED_PROBE);
  relaxedProbeResult = supported;
  return supported;
}

/** URL of the package's own build of a variant. */
export function kernelWasmUrl(variant: KernelVariant): URL {
  return new URL(`../build/kernels-${variant}.wasm`, import.meta.url);
}

/** Reads the package's own build of a variant (for bundling, or to compile once and share). */
export async function readKernelWasm(variant: KernelVariant): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(kernelWasmUrl(variant)));
  } catch (e) {
    throw new KernelLoadError(`cannot read ${kernelWasmUrl(variant).pathname}: ${(e as Error).message}`);
  }
}

function chooseVariant(opts: LoadKernelsOptions): KernelVariant {
  const wanted = opts.variant ?? 'auto';
  const relaxedAvailable = opts.wasm === undefined || opts.wasm.relaxed !== undefined;
  if (wanted === 'simd128') return 'simd128';
  const supported = enableRelaxedSimd();
  if (wanted === 'relaxed') {
    if (!supported) throw new KernelLoadError('relaxed SIMD requested but this engine does not validate it');
    if (!relaxedAvailable)
      throw new KernelLoadError('relaxed SIMD requested but options.wasm.relaxed is absent');
    return 'relaxed';
  }
  return supported && relaxedAvailable ? 'relaxed' : 'simd128';
}

function readStringAt(memory: WasmMemory, ptr: number): string {
  if (ptr === 0) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0] ?? 0;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

function instantiate(module: CompiledWasmModule, variant: KernelVariant, warmUp: boolean): Kernels {
  // The abort import needs the memory, which exists only once the instance does.
  const bound: { memory?: WasmMemory } = {};
  const imports = {
    env: {
      abort(msg: number, file: number, line: number, column: number): never {
        const memory = bound.memory;
        const text = memory
          ? `${readStringAt(memory, msg >>> 0)} at ${readStringAt(memory, file >>> 0)}:${line}:${column}`
          : 'abort';
        throw new KernelTrapError('kernels', text);
      },
    },
  };
  let instance: { readonly exports: Record<string, unknown> };
  try {
    instance = new wasmApi.Instance(module, imports);
  } catch (e) {
    throw new KernelLoadError(`cannot instantiate the ${variant} build: ${(e as Error).message}`);
  }
  const exports = instance.exports as unknown as KernelExports;
  for (const name of REQUIRED_EXPORTS) {
    if (!(name in exports)) throw new KernelLoadError(`the ${variant} build lacks the export '${name}'`);
  }
  bound.memory = exports.memory;
  const kernels = new Kernels(exports, variant);
  if (warmUp) kernels.warmUp();
  return kernels;
}

function compileSync(source: WasmSource, variant: KernelVariant): CompiledWasmModule {
  if (isCompiledModule(source)) return source;
  try {
    return new wasmApi.Module(source);
  } catch (e) {
    throw new KernelLoadError(`cannot compile the ${variant} build: ${(e as Error).message}`);
  }
}

/**
 * Loads a Kernels instance for this thread: compiles (or takes) the chosen build, instantiates it with
 * its own memory, and warms it up.
 */
export async function loadKernels(opts: LoadKernelsOptions = {}): Promise<Kernels> {
  const variant = chooseVariant(opts);
  const given = opts.wasm?.[variant];
  let module: CompiledWasmModule;
  if (given !== undefined && isCompiledModule(given)) module = given;
  else {
    const bytes = given ?? (await readKernelWasm(variant));
    try {
      module = await wasmApi.compile(bytes);
    } catch (e) {
      throw new KernelLoadError(`cannot compile the ${variant} build: ${(e as Error).message}`);
    }
  }
  return instantiate(module, variant, opts.warmUp ?? true);
}

/** Synchronous loadKernels (reads the package files with readFileSync when `wasm` is absent). */
export function loadKernelsSync(opts: LoadKernelsOptions = {}): Kernels {
  const variant = chooseVariant(opts);
  let source = opts.wasm?.[variant];
  if (source === undefined) {
    try {
      source = readFileSync(kernelWasmUrl(variant));
    } catch (e) {
      throw new KernelLoadError(`cannot read ${kernelWasmUrl(variant).pathname}: ${(e as Error).message}`);
    }
  }
  return instantiate(compileSync(source, variant), variant, opts.warmUp ?? true);
}

let shared: Promise<Kernels> | undefined;

/** One lazily loaded instance per thread (default options), for callers that do not manage their own. */
export function getKernels(): Promise<Kernels> {
  if (shared === undefined) {
    const loading = loadKernels();
    shared = loading;
    // A failed load is not cached: the next call tries again.
    loading.catch(() => {
      if (shared === loading) shared = undefined;
    });
  }
  return shared;
}
