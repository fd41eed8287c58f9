// Typed errors of @wukong/kernels. Every error carries a stable `name` and `code` (plain own properties,
// so they survive structured clone between worker threads and JSON in Lambda payloads), and its message
// names the routine and the argument at fault. Kernels never surface a bare WebAssembly trap: traps are
// caught at the boundary and rethrown as KernelTrapError or a memory error.

export type KernelErrorCode =
  | 'KERNELS_LOAD_FAILED'
  | 'KERNELS_MEMORY_LIMIT'
  | 'KERNELS_OUT_OF_MEMORY'
  | 'KERNELS_SHAPE_MISMATCH'
  | 'KERNELS_NON_FINITE'
  | 'KERNELS_INVALID_ARGUMENT'
  | 'KERNELS_BUFFER_FREED'
  | 'KERNELS_NO_CONVERGENCE'
  | 'KERNELS_TRAP';

/** Base class: `code` is stable across versions and is what callers should switch on. */
export class KernelError extends Error {
  readonly code: KernelErrorCode;
  constructor(name: string, code: KernelErrorCode, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** Thrown by loadKernels when the wasm cannot be read, compiled or instantiated (e.g. no SIMD). */
export class KernelLoadError extends KernelError {
  constructor(message: string) {
    super('KernelLoadError', 'KERNELS_LOAD_FAILED', message);
  }
}

/**
 * Thrown before anything runs when a request (an allocation, or the buffers and workspace a routine
 * needs) cannot fit in wasm32's 4 GiB linear memory.
 */
export class WasmMemoryLimitError extends KernelError {
  readonly requestedBytes: number;
  constructor(what: string, requestedBytes: number) {
    super(
      'WasmMemoryLimitError',
      'KERNELS_MEMORY_LIMIT',
      `${what}: needs ${requestedBytes} bytes, beyond the 4 GiB (4294967296 bytes) a wasm32 memory can address`,
    );
    this.requestedBytes = requestedBytes;
  }
}

/** Thrown when the engine refuses to grow the module's memory below the 4 GiB limit. */
export class KernelOutOfMemoryError extends KernelError {
  readonly requestedBytes: number;
  constructor(what: string, requestedBytes: number) {
    super(
      'KernelOutOfMemoryError',
      'KERNELS_OUT_OF_MEMORY',
      `${what}: could not allocate ${requestedBytes} bytes (the engine refused to grow wasm memory)`,
    );
    this.requestedBytes = requestedBytes;
  }
}

/** Thrown when dimensions are not non-negative integers or an array's length does not match its shape. */
export class ShapeError extends KernelError {
  constructor(message: string) {
    super('ShapeError', 'KERNELS_SHAPE_MISMATCH', message);
  }
}

/**
 * Thrown when NaN or ±Infinity is passed to a routine whose result it would silently corrupt or whose
 * iteration it could stall: qr, svd, svcFit, svcDecision/svcPredict. Elementwise maps, reductions and
 * gemm follow IEEE 754 propagation instead and do not check.
 */
export class NonFiniteInputError extends KernelError {
  readonly index: number;
  constructor(routine: string, argument: string, index: number) {
    super(
      'NonFiniteInputError',
      'KERNELS_NON_FINITE',
      `${routine}: ${argument}[${index}] is not finite (NaN or ±Infinity)`,
    );
    this.index = index;
  }
}

/** Thrown for option values out of range (C ≤ 0, gamma ≤ 0, labels not two classes, ...). */
export class InvalidArgumentError extends KernelError {
  constructor(message: string) {
    super('InvalidArgumentError', 'KERNELS_INVALID_ARGUMENT', message);
  }
}

/** Thrown when a buffer is used after free(), freed twice, or belongs to another Kernels instance. */
export class BufferFreedError extends KernelError {
  constructor(message: string) {
    super('BufferFreedError', 'KERNELS_BUFFER_FREED', message);
  }
}

/** Thrown when svd's bidiagonal QR iteration exhausts its step budget (40·n + 100 shifted steps). */
export class ConvergenceError extends KernelError {
  constructor(message: string) {
    super('ConvergenceError', 'KERNELS_NO_CONVERGENCE', message);
  }
}

/** Thrown when the wasm module traps for any reason not covered above (a defect: please report it). */
export class KernelTrapError extends KernelError {
  constructor(routine: string, cause: string) {
    super('KernelTrapError', 'KERNELS_TRAP', `${routine}: the wasm module trapped: ${cause}`);
  }
}
