// GEMM, C = alpha·op(A)·op(B) + beta·C, f64 row-major. Method: Goto/BLIS blocking. An NC-column slab of
// op(B) is cut into KC-deep blocks packed as NR-wide column micro-panels; for each, MC-row blocks of
// op(A) are packed (and scaled by alpha) as MR-tall row micro-panels; a 4×4 register tile of f64x2
// accumulators (8 registers) runs down KC. Packing makes op(A) and op(B) transposes free and keeps the
// micro-kernel's loads unit-stride; edge tiles are zero-padded in the packs and written back through a
// scratch tile. The host passes the pack workspace (gemmWorkspaceBytes) so kernels never allocate.
import { madd } from './simd';

export const MR: i32 = 4;
export const NR: i32 = 4;
export const KC: i32 = 256;
export const MC: i32 = 128;
export const NC: i32 = 2048;

const edgeTile: usize = memory.data(MR * NR * 8, 16);

/** Bytes of workspace gemm needs: one MC×KC pack of A and one KC×NC pack of B. */
export function gemmWorkspaceBytes(): usize {
  return (<usize>(MC * KC + KC * NC)) << 3;
}

function elemA(a: usize, lda: i32, transA: bool, i: i32, p: i32): f64 {
  return transA
    ? load<f64>(a + ((<usize>p * <usize>lda + <usize>i) << 3))
    : load<f64>(a + ((<usize>i * <usize>lda + <usize>p) << 3));
}

// Pack op(A)[ic:ic+mc, pc:pc+kc]·alpha into MR-row panels: panel ip holds, for each p, MR values.
function packA(
  transA: bool,
  a: usize,
  lda: i32,
  ic: i32,
  pc: i32,
  mc: i32,
  kc: i32,
  alpha: f64,
  dst: usize,
): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    const panel = dst + ((<usize>ip * <usize>kc) << 3);
    if (rows == MR && !transA) {
      const r0 = a + ((<usize>(ic + ip) * <usize>lda + <usize>pc) << 3);
      const r1 = r0 + ((<usize>lda) << 3);
      const r2 = r1 + ((<usize>lda) << 3);
      const r3 = r2 + ((<usize>lda) << 3);
      // Two values of each of the four rows per step, transposed 4×2 → 2×4 by 64-bit lane shuffles.
      const va = f64x2.splat(alpha);
      let p = 0;
      for (; p + 2 <= kc; p += 2) {
        const o = (<usize>p) << 3;
        const d = panel + ((<usize>p) << 5);
        const x0 = f64x2.mul(va, v128.load(r0 + o));
        const x1 = f64x2.mul(va, v128.load(r1 + o));
        const x2 = f64x2.mul(va, v128.load(r2 + o));
        const x3 = f64x2.mul(va, v128.load(r3 + o));
        v128.store(d, v128.shuffle<f64>(x0, x1, 0, 2));
        v128.store(d, v128.shuffle<f64>(x2, x3, 0, 2), 16);
        v128.store(d, v128.shuffle<f64>(x0, x1, 1, 3), 32);
        v128.store(d, v128.shuffle<f64>(x2, x3, 1, 3), 48);
      }
      if (p < kc) {
        const o = (<usize>p) << 3;
        const d = panel + ((<usize>p) << 5);
        store<f64>(d, alpha * load<f64>(r0 + o));
        store<f64>(d, alpha * load<f64>(r1 + o), 8);
        store<f64>(d, alpha * load<f64>(r2 + o), 16);
        store<f64>(d, alpha * load<f64>(r3 + o), 24);
      }
    } else if (rows == MR) {
      // op(A) = Aᵀ: the MR values for one p are contiguous in row pc+p of A.
      const va = f64x2.splat(alpha);
      for (let p = 0; p < kc; p++) {
        const s = a + ((<usize>(pc + p) * <usize>lda + <usize>(ic + ip)) << 3);
        const d = panel + ((<usize>p) << 5);
        v128.store(d, f64x2.mul(va, v128.load(s)));
        v128.store(d, f64x2.mul(va, v128.load(s, 16)), 16);
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = panel + ((<usize>p) << 5);
        for (let ii = 0; ii < MR; ii++) {
          const v = ii < rows ? alpha * elemA(a, lda, transA, ic + ip + ii, pc + p) : 0.0;
          store<f64>(d + ((<usize>ii) << 3), v);
        }
      }
    }
  }
}

// Pack op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels: panel jp holds, for each p, NR values.
function packB(transB: bool, b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const cols = min(NR, nc - jp);
    const panel = dst + ((<usize>jp * <usize>kc) << 3);
    if (cols == NR && !transB) {
      let s = b + ((<usize>pc * <usize>ldb + <usize>(jc + jp)) << 3);
      const step = (<usize>ldb) << 3;
      for (let p = 0; p < kc; p++) {
        const d = panel + ((<usize>p) << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += step;
      }
    } else if (cols == NR) {
      // op(B) = Bᵀ: column j of op(B) is row j of B, contiguous along p.
      const c0 = b + ((<usize>(jc + jp) * <usize>ldb + <usize>pc) << 3);
      const c1 = c0 + ((<usize>ldb) << 3);
      const c2 = c1 + ((<usize>ldb) << 3);
      const c3 = c2 + ((<usize>ldb) << 3);
      for (let p = 0; p < kc; p++) {
        const o = (<usize>p) << 3;
        const d = panel + ((<usize>p) << 5);
        store<f64>(d, load<f64>(c0 + o));
        store<f64>(d, load<f64>(c1 + o), 8);
        store<f64>(d, load<f64>(c2 + o), 16);
        store<f64>(d, load<f64>(c3 + o), 24);
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = panel + ((<usize>p) << 5);
        for (let jj = 0; jj < NR; jj++) {
          let v = 0.0;
          if (jj < cols) {
            const j = jc + jp + jj;
            v = transB
              ? load<f64>(b + ((<usize>j * <usize>ldb + <usize>(pc + p)) << 3))
              : load<f64>(b + ((<usize>(pc + p) * <usize>ldb + <usize>j) << 3));
          }
          store<f64>(d + ((<usize>jj) << 3), v);
        }
      }
    }
  }
}

// The 4×4 register tile: C[0:4, 0:4] += Apanel(4×kc) · Bpanel(kc×4). `ldc` in elements.
function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32): void {
  let c00 = f64x2.splat(0);
  let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0);
  let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0);
  let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0);
  let c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load64_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load64_splat(pa, 8);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load64_splat(pa, 16);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load64_splat(pa, 24);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 32;
    pb += 32;
  }
  const step = (<usize>ldc) << 3;
  let r = c;
  v128.store(r, f64x2.add(v128.load(r), c00));
  v128.store(r, f64x2.add(v128.load(r, 16), c01), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c10));
  v128.store(r, f64x2.add(v128.load(r, 16), c11), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c20));
  v128.store(r, f64x2.add(v128.load(r, 16), c21), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c30));
  v128.store(r, f64x2.add(v128.load(r, 16), c31), 16);
}

// Scale C by beta; beta = 0 overwrites (so NaN in an uninitialised C never leaks through).
function scaleC(m: i32, n: i32, beta: f64, c: usize, ldc: i32): void {
  if (beta == 1.0) return;
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * <usize>ldc) << 3);
    if (beta == 0.0) {
      memory.fill(row, 0, (<usize>n) << 3);
    } else {
      for (let j = 0; j < n; j++)
        store<f64>(row + ((<usize>j) << 3), beta * load<f64>(row + ((<usize>j) << 3)));
    }
  }
}

/**
 * C[m×n] = alpha·op(A)·op(B) + beta·C, op(A) m×k and op(B) k×n. transA/transB non-zero means the stored
 * matrix is the transpose (A stored k×m, B stored n×k). Leading dimensions in elements.
 */
export function gemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  beta: f64,
  c: usize,
  ldc: i32,
  work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, c, ldc);
  if (k <= 0 || alpha == 0.0) return;
  const ta = transA != 0;
  const tb = transB != 0;
  const packedA = work;
  const packedB = work + ((<usize>(MC * KC)) << 3);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(tb, b, ldb, pc, jc, kc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(ta, a, lda, ic, pc, mc, kc, alpha, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packedB + ((<usize>jr * <usize>kc) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = packedA + ((<usize>ir * <usize>kc) << 3);
            const ct = c + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 3);
            if (mr == MR && nr == NR) {
              microKernel(kc, pa, pb, ct, ldc);
            } else {
              memory.fill(edgeTile, 0, (<usize>(MR * NR)) << 3);
              microKernel(kc, pa, pb, edgeTile, NR);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) {
                  const dst = ct + ((<usize>i * <usize>ldc + <usize>j) << 3);
                  store<f64>(dst, load<f64>(dst) + load<f64>(edgeTile + ((<usize>(i * NR + j)) << 3)));
                }
              }
            }
          }
        }
      }
    }
  }
}

// ─── C = beta·C + Aᵀ·B for a few rows of C ───────────────────────────────────────────────────────────
// The projection Qᵀ·X of randomized SVD: Q (k×m) has a handful of columns, X (k×n) is wide. The packed
// GEMM above spends as long packing each KC×NC slab of X as it does multiplying it when m is this small;
// here nothing is packed. k is walked in chunks of ATB_KC rows; within a chunk a 5-row × 4-column
// register tile of C (ten f64x2 accumulators) runs down the chunk, reading 4 consecutive values of a row
// of B and 5 consecutive values of a row of A per step, and is added to C at the end of the chunk. The
// tiles of a chunk sweep B's rows left to right, so B streams from memory once, and the chunk's rows of
// A stay in L1. Each C entry sums k in ATB_KC-term chunks, in order.
const ATB_KC: i32 = 16;

function tileAtB5x4(kc: i32, a: usize, sa: usize, b: usize, sb: usize, c: usize, ldc: i32): void {
  let c00 = f64x2.splat(0);
  let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0);
  let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0);
  let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0);
  let c31 = f64x2.splat(0);
  let c40 = f64x2.splat(0);
  let c41 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load64_splat(a);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load64_splat(a, 8);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load64_splat(a, 16);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load64_splat(a, 24);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    x = v128.load64_splat(a, 32);
    c40 = madd(x, b0, c40);
    c41 = madd(x, b1, c41);
    a += sa;
    b += sb;
  }
  const step = (<usize>ldc) << 3;
  let r = c;
  v128.store(r, f64x2.add(v128.load(r), c00));
  v128.store(r, f64x2.add(v128.load(r, 16), c01), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c10));
  v128.store(r, f64x2.add(v128.load(r, 16), c11), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c20));
  v128.store(r, f64x2.add(v128.load(r, 16), c21), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c30));
  v128.store(r, f64x2.add(v128.load(r, 16), c31), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c40));
  v128.store(r, f64x2.add(v128.load(r, 16), c41), 16);
}

/** One row of C (the rows left over from the 5-row tiles), 4 columns at a time. */
function tileAtB1x4(kc: i32, a: usize, sa: usize, b: usize, sb: usize, c: usize): void {
  let c0 = f64x2.splat(0);
  let c1 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const x = v128.load64_splat(a);
    c0 = madd(x, v128.load(b), c0);
    c1 = madd(x, v128.load(b, 16), c1);
    a += sa;
    b += sb;
  }
  v128.store(c, f64x2.add(v128.load(c), c0));
  v128.store(c, f64x2.add(v128.load(c, 16), c1), 16);
}

/**
 * C[m×n] = beta·C + Aᵀ·B with A stored k×m and B stored k×n (row-major, leading dimensions in
 * elements). Meant for small m (a few dozen rows at most): see the section comment.
 */
export function gemmAtB(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  beta: f64,
  c: usize,
  ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, c, ldc);
  const sa = (<usize>lda) << 3;
  const sb = (<usize>ldb) << 3;
  for (let p0 = 0; p0 < k; p0 += ATB_KC) {
    const kc = min(ATB_KC, k - p0);
    const ap = a + <usize>p0 * sa;
    const bp = b + <usize>p0 * sb;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const bj = bp + ((<usize>j) << 3);
      let i = 0;
      for (; i + 5 <= m; i += 5)
        tileAtB5x4(
          kc,
          ap + ((<usize>i) << 3),
          sa,
          bj,
          sb,
          c + ((<usize>i * <usize>ldc + <usize>j) << 3),
          ldc,
        );
      for (; i < m; i++)
        tileAtB1x4(kc, ap + ((<usize>i) << 3), sa, bj, sb, c + ((<usize>i * <usize>ldc + <usize>j) << 3));
    }
    for (; j < n; j++) {
      for (let i = 0; i < m; i++) {
        let s = 0.0;
        for (let p = 0; p < kc; p++)
          s +=
            load<f64>(ap + <usize>p * sa + ((<usize>i) << 3)) *
            load<f64>(bp + <usize>p * sb + ((<usize>j) << 3));
        const dst = c + ((<usize>i * <usize>ldc + <usize>j) << 3);
        store<f64>(dst, load<f64>(dst) + s);
      }
    }
  }
}

// ─── C = beta·C + A·B for a few columns of C ─────────────────────────────────────────────────────────
// The range finder A·Ω of randomized SVD: Ω (k×n) has a handful of columns, A (m×k) is long. Nothing is
// packed: for a block of 4 rows of A and a chunk of AB_KC terms, 4-column register tiles of C (eight
// f64x2 accumulators) sweep across B, each reading one value of each of the 4 rows of A and 4 consecutive
// values of a row of B per step; the chunk's 4 rows of A and AB_KC rows of B stay in L1/L2. Columns
// (and rows) left over from the 4-wide tiles go through scalar dot products: callers pad n to a multiple
// of 4 where it matters. Each C entry sums k in AB_KC-term chunks, in order.
const AB_KC: i32 = 256;

function tileAB4x4(kc: i32, a: usize, sa: usize, b: usize, sb: usize, c: usize, ldc: i32): void {
  let c00 = f64x2.splat(0);
  let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0);
  let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0);
  let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0);
  let c31 = f64x2.splat(0);
  const a1 = a + sa;
  const a2 = a1 + sa;
  const a3 = a2 + sa;
  for (let p = 0; p < kc; p++) {
    const o = (<usize>p) << 3;
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load64_splat(a + o);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load64_splat(a1 + o);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load64_splat(a2 + o);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load64_splat(a3 + o);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    b += sb;
  }
  const step = (<usize>ldc) << 3;
  let r = c;
  v128.store(r, f64x2.add(v128.load(r), c00));
  v128.store(r, f64x2.add(v128.load(r, 16), c01), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c10));
  v128.store(r, f64x2.add(v128.load(r, 16), c11), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c20));
  v128.store(r, f64x2.add(v128.load(r, 16), c21), 16);
  r += step;
  v128.store(r, f64x2.add(v128.load(r), c30));
  v128.store(r, f64x2.add(v128.load(r, 16), c31), 16);
}

/** C[i, j] += Σ_p A[i, p]·B[p, j] for `rows` rows and `cols` columns, one scalar dot product each. */
function edgeAB(
  rows: i32,
  cols: i32,
  kc: i32,
  a: usize,
  sa: usize,
  b: usize,
  sb: usize,
  c: usize,
  ldc: i32,
): void {
  for (let i = 0; i < rows; i++) {
    const ai = a + <usize>i * sa;
    for (let j = 0; j < cols; j++) {
      let s = 0.0;
      let bp = b + ((<usize>j) << 3);
      for (let p = 0; p < kc; p++) {
        s += load<f64>(ai + ((<usize>p) << 3)) * load<f64>(bp);
        bp += sb;
      }
      const dst = c + ((<usize>i * <usize>ldc + <usize>j) << 3);
      store<f64>(dst, load<f64>(dst) + s);
    }
  }
}

/**
 * C[m×n] = beta·C + A·B with A stored m×k and B stored k×n (row-major, leading dimensions in elements).
 * Meant for small n, a multiple of 4 (a few dozen columns at most): see the section comment.
 */
export function gemmABThin(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  beta: f64,
  c: usize,
  ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, c, ldc);
  const sa = (<usize>lda) << 3;
  const sb = (<usize>ldb) << 3;
  const n4 = n & ~3;
  for (let i = 0; i < m; i += 4) {
    const rows = min(4, m - i);
    const ai = a + <usize>i * sa;
    const ci = c + ((<usize>i * <usize>ldc) << 3);
    for (let p0 = 0; p0 < k; p0 += AB_KC) {
      const kc = min(AB_KC, k - p0);
      const ap = ai + ((<usize>p0) << 3);
      const bp = b + <usize>p0 * sb;
      if (rows == 4) {
        for (let j = 0; j < n4; j += 4)
          tileAB4x4(kc, ap, sa, bp + ((<usize>j) << 3), sb, ci + ((<usize>j) << 3), ldc);
        if (n4 < n) edgeAB(4, n - n4, kc, ap, sa, bp + ((<usize>n4) << 3), sb, ci + ((<usize>n4) << 3), ldc);
      } else edgeAB(rows, n, kc, ap, sa, bp, sb, ci, ldc);
    }
  }
}
