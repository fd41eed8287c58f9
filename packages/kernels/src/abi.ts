// The host ABI of the kernels module: the exports of assembly/index.ts as the engine presents them.
// Pointers are byte offsets into the module's memory (usize = u32 in wasm32; they arrive as i32 and are
// normalised with `>>> 0`). Lengths and dimensions are i32 element counts.
import type { WasmMemory } from './wasm-api.js';

/** The unpacked GEMM variants: C (m×n, leading dimension ldc) from A and B addressed as in gemm. */
type UnpackedGemm = (
  m: number,
  n: number,
  k: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  beta: number,
  c: number,
  ldc: number,
) => void;

export interface KernelExports {
  readonly memory: WasmMemory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  gemmWorkspaceBytes(): number;
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
    work: number,
  ): void;
  /** C = βC + AᵀB (A stored k×m), unpacked. */
  gemmAtB: UnpackedGemm;
  /** C = βC + AB for a narrow B, unpacked. */
  gemmABThin: UnpackedGemm;
  transpose(m: number, n: number, a: number, out: number): void;
  add(n: number, a: number, b: number, out: number): void;
  sub(n: number, a: number, b: number, out: number): void;
  mul(n: number, a: number, b: number, out: number): void;
  scale(n: number, alpha: number, a: number, out: number): void;
  axpy(n: number, alpha: number, x: number, y: number): void;
  sum(n: number, a: number): number;
  dot(n: number, a: number, b: number): number;
  sumSquares(n: number, a: number): number;
  maxAbs(n: number, a: number): number;
  maxAbsDiff(n: number, a: number, b: number): number;
  colSums(m: number, n: number, a: number, out: number): void;
  rowSums(m: number, n: number, a: number, out: number): void;
  firstNonFinite(n: number, a: number): number;
  fillUniform(
    seedLo: number,
    seedHi: number,
    blockLo: number,
    blockHi: number,
    out: number,
    first: number,
    count: number,
    low: number,
    high: number,
  ): void;
  fillNormal(
    seedLo: number,
    seedHi: number,
    blockLo: number,
    blockHi: number,
    out: number,
    first: number,
    count: number,
    mean: number,
    std: number,
  ): void;
  qrWorkspaceBytes(m: number, n: number, overwriteA: number): number;
  /** q = 0: R only; overwriteA ≠ 0: a (a staged copy) is factored in place. */
  qr(
    m: number,
    n: number,
    a: number,
    q: number,
    r: number,
    work: number,
    gemmWork: number,
    overwriteA: number,
  ): number;
  svdWorkspaceBytes(m: number, n: number): number;
  svd(
    m: number,
    n: number,
    a: number,
    u: number,
    s: number,
    vt: number,
    work: number,
    gemmWork: number,
  ): number;
  svcTrainWorkspaceBytes(n: number, cacheRows: number): number;
  svcPredictWorkspaceBytes(nSV: number, d: number): number;
  svcTrain(
    n: number,
    d: number,
    x: number,
    y: number,
    kernel: number,
    gamma: number,
    coef0: number,
    degree: number,
    C: number,
    eps: number,
    maxIter: number,
    cacheRows: number,
    alpha: number,
    stats: number,
    work: number,
  ): number;
  svcDecision(
    rows: number,
    d: number,
    x: number,
    nSV: number,
    sv: number,
    coef: number,
    kernel: number,
    gamma: number,
    coef0: number,
    degree: number,
    intercept: number,
    out: number,
    work: number,
    gemmWork: number,
  ): void;
}

/** Kernel codes shared with assembly/svc.ts. */
export const SVC_KERNEL_CODE = { linear: 0, poly: 1, rbf: 2 } as const;

/** Names every export the host needs; a module missing one is rejected at load. */
export const REQUIRED_EXPORTS: readonly (keyof KernelExports)[] = [
  'memory',
  'alloc',
  'free',
  'gemmWorkspaceBytes',
  'gemm',
  'gemmAtB',
  'gemmABThin',
  'transpose',
  'add',
  'sub',
  'mul',
  'scale',
  'axpy',
  'sum',
  'dot',
  'sumSquares',
  'maxAbs',
  'maxAbsDiff',
  'colSums',
  'rowSums',
  'firstNonFinite',
  'fillUniform',
  'fillNormal',
  'qrWorkspaceBytes',
  'qr',
  'svdWorkspaceBytes',
  'svd',
  'svcTrainWorkspaceBytes',
  'svcPredictWorkspaceBytes',
  'svcTrain',
  'svcDecision',
];
