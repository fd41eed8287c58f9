// SVC model and parameters: the plain-data model both the wasm and the reference predictors read, and
// the one place defaults are resolved (scikit-learn's SVC defaults: rbf, C = 1, gamma 'scale', degree 3,
// coef0 0, tol 1e-3; libsvm's iteration cap max(10^7, 100·n)).
import { InvalidArgumentError } from './errors.js';

export type SvcKernel = 'linear' | 'poly' | 'rbf';

export interface SvcParams {
  /** @default 'rbf' */
  readonly kernel?: SvcKernel;
  /** Box constraint, > 0. @default 1 */
  readonly C?: number;
  /**
   * Kernel coefficient for rbf and poly: a positive number, 'scale' = 1/(d·Var(X)) over all entries of X
   * (1 when the variance is 0), or 'auto' = 1/d.
   * @default 'scale'
   */
  readonly gamma?: number | 'scale' | 'auto';
  /** Degree of the polynomial kernel, an integer ≥ 1. @default 3 */
  readonly degree?: number;
  /** Independent term of the polynomial kernel. @default 0 */
  readonly coef0?: number;
  /** Stopping tolerance on the maximal KKT violation (libsvm's eps). @default 1e-3 */
  readonly tol?: number;
  /** Cap on SMO iterations. @default max(10^7, 100·n), at most 2^31 − 1 */
  readonly maxIter?: number;
  /** Bytes for the kernel-row cache. @default 67108864 (64 MiB) */
  readonly cacheBytes?: number;
}

export interface ResolvedSvcParams {
  readonly kernel: SvcKernel;
  readonly C: number;
  readonly gamma: number;
  readonly degree: number;
  readonly coef0: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly cacheBytes: number;
}

/** A trained binary C-SVC: f(x) = Σ_s dualCoef[s]·K(sv_s, x) + intercept; f > 0 predicts classes[1]. */
export interface SvcModel {
  readonly kernel: SvcKernel;
  readonly gamma: number;
  readonly coef0: number;
  readonly degree: number;
  readonly C: number;
  /** [negative class, positive class], ascending. */
  readonly classes: readonly [number, number];
  /** Features per row. */
  readonly d: number;
  /** Number of support vectors. */
  readonly nSV: number;
  /** nSV×d, row-major. */
  readonly supportVectors: Float64Array;
  /** Row of each support vector in the training set. */
  readonly supportIndices: Int32Array;
  /** α_s·y_s, y = ±1. */
  readonly dualCoef: Float64Array;
  /** −ρ. */
  readonly intercept: number;
  /** SMO iterations used. */
  readonly iterations: number;
  /** False when maxIter stopped training before the tolerance was met. */
  readonly converged: boolean;
}

/** Var over all entries of x (n·d values), two-pass. */
function variance(x: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i] ?? 0;
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) {
    const t = (x[i] ?? 0) - mean;
    v += t * t;
  }
  return v / x.length;
}

export function resolveSvcParams(p: SvcParams, x: Float64Array, n: number, d: number): ResolvedSvcParams {
  const kernel = p.kernel ?? 'rbf';
  if (kernel !== 'linear' && kernel !== 'poly' && kernel !== 'rbf') {
    throw new InvalidArgumentError(
      `svcFit: kernel must be 'linear', 'poly' or 'rbf', got '${String(kernel)}'`,
    );
  }
  const C = p.C ?? 1;
  if (!(C > 0) || !Number.isFinite(C))
    throw new InvalidArgumentError(`svcFit: C must be a finite number > 0, got ${C}`);
  const g = p.gamma ?? 'scale';
  let gamma: number;
  if (g === 'scale') {
    const v = n * d > 0 ? variance(x) : 0;
    gamma = v > 0 ? 1 / (d * v) : 1;
  } else if (g === 'auto') {
    gamma = 1 / Math.max(1, d);
  } else if (typeof g === 'number' && g > 0 && Number.isFinite(g)) {
    gamma = g;
  } else {
    throw new InvalidArgumentError(
      `svcFit: gamma must be 'scale', 'auto' or a finite number > 0, got ${String(g)}`,
    );
  }
  const degree = p.degree ?? 3;
  if (!Number.isInteger(degree) || degree < 1 || degree > 64) {
    throw new InvalidArgumentError(`svcFit: degree must be an integer in [1, 64], got ${degree}`);
  }
  const coef0 = p.coef0 ?? 0;
  if (!Number.isFinite(coef0)) throw new InvalidArgumentError(`svcFit: coef0 must be finite, got ${coef0}`);
  const tol = p.tol ?? 1e-3;
  if (!(tol > 0) || !Number.isFinite(tol))
    throw new InvalidArgumentError(`svcFit: tol must be a finite number > 0, got ${tol}`);
  const maxIter = p.maxIter ?? Math.min(0x7fffffff, Math.max(10_000_000, 100 * n));
  if (!Number.isInteger(maxIter) || maxIter < 1 || maxIter > 0x7fffffff) {
    throw new InvalidArgumentError(`svcFit: maxIter must be an integer in [1, 2^31), got ${maxIter}`);
  }
  const cacheBytes = p.cacheBytes ?? 64 * 1024 * 1024;
  if (!(cacheBytes > 0) || !Number.isFinite(cacheBytes)) {
    throw new InvalidArgumentError(`svcFit: cacheBytes must be a finite number > 0, got ${cacheBytes}`);
  }
  return { kernel, C, gamma, degree, coef0, tol, maxIter, cacheBytes };
}

/**
 * Multi-class C-SVC by one-vs-one voting (libsvm's scheme): one binary model per pair of classes
 * (i, j), i < j, in the order (0,1), (0,2), …, (1,2), …; each pair's `classes` is
 * [classes[i], classes[j]]. A row gets one vote per pair and the class with most votes wins; ties go
 * to the smaller class.
 */
export interface SvcOvoModel {
  /** All classes, ascending. */
  readonly classes: readonly number[];
  readonly d: number;
  readonly pairs: readonly SvcModel[];
}

/** Distinct labels, ascending; throws unless there are at least `min` and all are finite. */
export function distinctClasses(routine: string, y: Float64Array, min: number): number[] {
  const classes = [...new Set(y)].sort((p, q) => p - q);
  if (classes.length < min || !classes.every(Number.isFinite)) {
    throw new InvalidArgumentError(
      `${routine}: y must hold ${min === 2 ? 'at least two' : min} distinct finite labels, found ${classes.length}: ${classes.slice(0, 5).join(', ')}`,
    );
  }
  return classes;
}

/** Rows of x (n×d) whose label is a or b, with their labels. */
export function pairSubset(
  x: Float64Array,
  y: Float64Array,
  d: number,
  a: number,
  b: number,
): { x: Float64Array; y: Float64Array; n: number } {
  let count = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === a || y[i] === b) count++;
  const xs = new Float64Array(count * d);
  const ys = new Float64Array(count);
  let r = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== a && y[i] !== b) continue;
    xs.set(x.subarray(i * d, i * d + d), r * d);
    ys[r] = y[i] as number;
    r++;
  }
  return { x: xs, y: ys, n: count };
}

/** Majority vote over per-pair predictions (labels), ties to the smaller class. */
export function voteOvo(
  classes: readonly number[],
  pairPredictions: readonly Float64Array[],
  rows: number,
): Float64Array {
  const k = classes.length;
  const index = new Map(classes.map((c, i) => [c, i]));
  const votes = new Int32Array(rows * k);
  for (const pred of pairPredictions) {
    for (let r = 0; r < rows; r++) {
      const c = index.get(pred[r] as number) as number;
      votes[r * k + c] = (votes[r * k + c] as number) + 1;
    }
  }
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if ((votes[r * k + c] as number) > (votes[r * k + best] as number)) best = c;
    out[r] = classes[best] as number;
  }
  return out;
}
