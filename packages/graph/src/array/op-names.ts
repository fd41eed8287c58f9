/**
 * The names of the ops that the blocked-array and ML builders emit, defined once here so that the graph
 * builders and the executor's op library (which imports these constants) can never drift apart.
 *
 * Block operands: an array-op argument that stands for one block of an array is either a reference to the
 * task that computed the block, or a *generator spec*, an inline list `[kind, ...params]` from which the
 * consuming op regenerates the block (random numbers are counter-based, so a block is a pure function of
 * its seed and block index). Generating a cheap deterministic block where it is consumed moves nothing
 * through storage; `materialize` turns specs into tasks when an array must be stored or returned.
 */

/** Ops of the blocked-array API. */
export const ARRAY_OPS = {
  /** block(spec) — the block a generator spec describes, as an NDArray. */
  block: 'array.block',
  /** matmul(acc | null, a, b, transA, transB) — acc + op(a)·op(b) (acc null: just the product). */
  matmul: 'array.matmul',
  /** add(x, y) — elementwise sum of two blocks of one shape. */
  add: 'array.add',
  /** sum(x) — Σ over every element of a block (a number). */
  sum: 'array.sum',
  /** combine(x, y, ...) — sum of numbers or of equally shaped arrays (a reduction's inner node). */
  combine: 'array.combine',
  /** transpose(x) — the transpose of a 2-D block. */
  transpose: 'array.transpose',
  /** qr(x) — [Q, R], the thin Householder QR of a block. */
  qr: 'array.qr',
  /**
   * tsqrReduce(computeSvd, R_0, …, R_{n−1}) — TSQR's second stage: QR of the stacked R factors.
   * Without SVD: [Q2_0, …, Q2_{n−1}, R]; with SVD of R = Ur·S·Vt: [Q2_0·Ur, …, Q2_{n−1}·Ur, S, Vt].
   */
  tsqrReduce: 'array.tsqr-reduce',
  /** svd(x, …) — [U, S, Vt], the thin SVD of a (small) block, or of the sum of several. */
  svd: 'array.svd',
  /**
   * slice(x, row0, rows, col0, cols, transposed?, item?) — a rectangular part of a 2-D block (optionally
   * transposed); with `item`, x is a list output and the block is its item-th entry.
   */
  slice: 'array.slice',
  /** maxAbsDiff(x, y) — max |x − y| over two blocks of one shape. */
  maxAbsDiff: 'array.max-abs-diff',
  /** gram(x) — xᵀ·x. */
  gram: 'array.gram',
  /** maxAbsIdentityDiff(g) — max |g − I| of a square block. */
  maxAbsIdentityDiff: 'array.max-abs-identity-diff',
  /** reconstructionError(a, u, s, vt) — max |a − u·diag(s)·vt| over a row block. */
  reconstructionError: 'array.reconstruction-error',
  /**
   * sampledMatmulError(c, rows, a_0, b_0, a_1, b_1, …) — max |c − Σ_k a_k·b_k| over the first `rows`
   * rows of the block c, recomputed densely from the operand blocks (specs are regenerated).
   */
  sampledMatmulError: 'array.sampled-matmul-error',
  /** max(x, y, ...) — largest of numbers (a reduction's inner node for errors). */
  max: 'array.max',
  /**
   * sketchStrip(row0, rows, a_0, …, a_{J−1}, y_0, …, y_{J−1}) — for rows [row0, row0 + rows) of one
   * block row [a_0 … a_{J−1}] of A and the row blocks y_j of a sketch matrix Y: H = Σ_j a_j·y_j, its thin
   * QR H = Q1·R, and C = Q1ᵀ·[a_0 … a_{J−1}]. Returns [Q1, R, C]. Each element of A is produced once and
   * used by both products (randomized SVD's range finder and projection, see linalg.ts).
   */
  sketchStrip: 'array.sketch-strip',
  /**
   * sketchSvd(strip_0, …, strip_{S−1}) — [U, S, Vt, W_0, …, W_{S−1}] over the sketchStrip outputs
   * strip_s = [Q1_s, R_s, C_s]: the TSQR reduction of the R factors (W_s, as tsqrReduce computes them;
   * Q = [Q1_s·W_s]) and the thin SVD of B = QᵀA = Σ_s W_sᵀ·C_s.
   */
  sketchSvd: 'array.sketch-svd',
  /**
   * sketchU(svd, k, first, strip_0, strip_1, …) — the row stack of Q1_t·W_{first+t} (the rows of Q of
   * strips first, first + 1, …), times the first k columns of U, where svd is a sketchSvd output.
   */
  sketchU: 'array.sketch-u',
} as const;

/** Ops of the ML API. */
export const ML_OPS = {
  /** svcFit(x, y, rows, params) — a C-SVC trained on the first `rows` rows of x, as a model list. */
  svcFit: 'ml.svc-fit',
  /** svcPredict(model, x) — predicted labels of the rows of x (a column vector). */
  svcPredict: 'ml.svc-predict',
  /** accuracy(yTrue, yPred, skipRows) — [correct, counted] over the rows after the first `skipRows`. */
  accuracy: 'ml.accuracy',
} as const;

/** Kinds of generator specs (the first item of a spec list). */
export const GENERATORS = {
  /** [uniform, seed, block, rows, cols] — uniforms in [0, 1) (Philox stream `seed`, block `block`). */
  uniform: 'uniform',
  /** [normal, seed, block, rows, cols] — standard normals. */
  normal: 'normal',
  /**
   * [classification-x, seed, block, rows, nFeatures, nInformative, nRedundant, flipY, classSep] —
   * the feature rows of one block of a make_classification data set (see ml/classification.ts).
   */
  classificationX: 'classification-x',
  /** Same parameters as classification-x: the labels of those rows (a column vector). */
  classificationY: 'classification-y',
} as const;

export type GeneratorKind = (typeof GENERATORS)[keyof typeof GENERATORS];

/** Every op name the builders may emit (the executor registers each of them). */
export const ARRAY_OP_NAMES: readonly string[] = Object.freeze([
  ...Object.values(ARRAY_OPS),
  ...Object.values(ML_OPS),
]);
