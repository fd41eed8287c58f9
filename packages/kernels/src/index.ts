// @wukong/kernels: AssemblyScript → WebAssembly numeric kernels (GEMM, QR, SVD, SVC, Philox RNG) with a
// TypeScript API over the module's memory, plus plain-TypeScript reference implementations of each.
export {
  loadKernels,
  loadKernelsSync,
  getKernels,
  enableRelaxedSimd,
  kernelWasmUrl,
  readKernelWasm,
  type KernelVariant,
  type WasmSource,
  type LoadKernelsOptions,
} from './loader.js';
export {
  Kernels,
  F64Buffer,
  WASM32_MAX_BYTES,
  GEMM_K_BLOCK,
  type F64Input,
  type GemmParams,
  type QrResult,
  type SvdResult,
  type UniformOptions,
  type StreamRangeOptions,
  type NormalOptions,
} from './kernels.js';
export {
  type SvcKernel,
  type SvcModel,
  type SvcParams,
  type ResolvedSvcParams,
  resolveSvcParams,
} from './svc-model.js';
export {
  KernelError,
  KernelLoadError,
  WasmMemoryLimitError,
  KernelOutOfMemoryError,
  ShapeError,
  NonFiniteInputError,
  InvalidArgumentError,
  BufferFreedError,
  ConvergenceError,
  KernelTrapError,
  type KernelErrorCode,
} from './errors.js';
export * as reference from './reference/index.js';
