// Householder QR, A (m×n) = Q (m×k) · R (k×n), k = min(m, n), f64 row-major. Method: blocked Householder
// (LAPACK dgeqrf/dorgqr: H = I − τ·v·vᵀ, v₀ = 1, R_jj = β = −sign(x₀)·‖x‖). The columns are factored in
// panels of NB: a panel is copied to a contiguous len×NB buffer and factored there unblocked, then its NB
// reflectors, as the compact-WY block I − Y·T·Yᵀ (assembly/wy.ts), are applied to the trailing columns
// by three GEMMs. The unblocked panel factorisation is reorganised for row-major storage so that every
// reflector costs ONE streaming pass over the panel rows: while row i is updated by reflector j, the
// quantities reflector j+1 needs (the squared tail of column j+1 and g = Σ_i x_i·row_i) are accumulated
// from the freshly updated row. The last panel (at most LAST_MAX reflectors) is factored in place
// together with every column right of it. Thin Q is formed backward a block at a time (dorgqr): block b
// maps Q[j0:, j0:] to (I − Y·T·Yᵀ)·Q[j0:, j0:], and since Q[j0:, j0:j0+nb] is still [I; 0] at that
// point, Yᵀ·Q for those columns is the top nb×nb of Yᵀ and needs no GEMM. The R-only entry skips Q.
import { axpyv, ld, madd, st } from './simd';
import { applyBlockLeft, formT } from './wy';

/** Columns per panel (reflectors per compact-WY block). Measured on 10000×100, 1000×1000 and 4000×400:
 * 16 beats 24, 32 and 48, because the unblocked panel factorisation, not the GEMM, is the bottleneck. */
const NB: i32 = 16;
/** The final panel is factored unblocked, in place, with everything right of it, when at most this many
 * reflectors remain: a GEMM update of a few trailing columns costs more than it saves. */
const LAST_MAX: i32 = 32;

/** Bytes of workspace qr needs: a copy of A (unless it may be overwritten), three vectors of length n,
 * and the blocked buffers. */
export function qrWorkspaceBytes(m: i32, n: i32, overwriteA: i32): usize {
  return (
    ((overwriteA != 0 ? 0 : <usize>m * <usize>n) +
      3 * <usize>n +
      4 +
      <usize>m * <usize>LAST_MAX +
      2 * <usize>(LAST_MAX * LAST_MAX) +
      2 * <usize>LAST_MAX * <usize>n +
      <usize>(n / NB + 1) * <usize>(NB * NB)) <<
    3
  );
}

// y[c] -= t·w[c] for c in [c0, c1) of one row, accumulating g[c] += x·y[c] (fused update + next sums).
function updateAccumulate(row: usize, w: usize, g: usize, c0: i32, c1: i32, t: f64, x: f64): void {
  const vt = f64x2.splat(-t);
  const vx = f64x2.splat(x);
  let c = c0;
  for (; c + 2 <= c1; c += 2) {
    const o = (<usize>c) << 3;
    const y = madd(vt, v128.load(w + o), v128.load(row + o));
    v128.store(row + o, y);
    v128.store(g + o, madd(vx, y, v128.load(g + o)));
  }
  for (; c < c1; c++) {
    const y = ld(row, c) - t * ld(w, c);
    st(row, c, y);
    st(g, c, ld(g, c) + x * y);
  }
}

function updateOnly(row: usize, w: usize, c0: i32, c1: i32, t: f64): void {
  const vt = f64x2.splat(-t);
  let c = c0;
  for (; c + 2 <= c1; c += 2) {
    const o = (<usize>c) << 3;
    v128.store(row + o, madd(vt, v128.load(w + o), v128.load(row + o)));
  }
  for (; c < c1; c++) st(row, c, ld(row, c) - t * ld(w, c));
}

// Unblocked fused Householder on P (rows×cols, leading dimension ldp): kr reflectors, from columns
// 0..kr−1, applied to all `cols` columns. Reflector vectors overwrite the subdiagonal, β the diagonal,
// τ goes to tau[0:kr]. g and w hold `cols` values each.
function factorPanel(
  P: usize,
  ldp: i32,
  rows: i32,
  cols: i32,
  kr: i32,
  tau: usize,
  g: usize,
  w: usize,
): void {
  const rowBytes = (<usize>ldp) << 3;
  const colBytes = (<usize>cols) << 3;
  // Sums for column 0 over rows 1..rows.
  memory.fill(g, 0, colBytes);
  let tail = 0.0;
  for (let i = 1; i < rows; i++) {
    const row = P + <usize>i * rowBytes;
    const x = load<f64>(row);
    tail += x * x;
    axpyv(x, row + 8, g + 8, cols - 1);
  }

  for (let j = 0; j < kr; j++) {
    const top = P + <usize>j * rowBytes;
    const x0 = ld(top, j);
    let t = 0.0;
    let beta = x0;
    let scale = 0.0;
    if (tail > 0.0) {
      const norm = Math.sqrt(x0 * x0 + tail);
      beta = x0 >= 0.0 ? -norm : norm;
      t = (beta - x0) / beta;
      scale = 1.0 / (x0 - beta);
    }
    st(tau, j, t);
    st(top, j, beta);
    // w = vᵀ·X[:, j+1:] = top row + scale·g; then the top row itself is updated.
    for (let c = j + 1; c < cols; c++) {
      const wc = ld(top, c) + scale * ld(g, c);
      st(w, c, wc);
      st(top, c, ld(top, c) - t * wc);
    }
    const next = j + 1;
    const accumulate = next < kr;
    memory.fill(g, 0, colBytes);
    tail = 0.0;
    for (let i = j + 1; i < rows; i++) {
      const row = P + <usize>i * rowBytes;
      const v = ld(row, j) * scale;
      st(row, j, v);
      const tv = t * v;
      if (accumulate && i > next) {
        const x = ld(row, next) - tv * ld(w, next);
        st(row, next, x);
        tail += x * x;
        updateAccumulate(row, w, g, next + 1, cols, tv, x);
      } else if (next < cols) {
        updateOnly(row, w, next, cols, tv);
      }
    }
  }
}

// Y (len×nb) ← the reflectors of the block at (j0, j0) of W (leading dimension n): unit diagonal, zeros
// above it, the stored vectors below.
function loadBlock(W: usize, n: i32, j0: i32, len: i32, nb: i32, Y: usize): void {
  const src0 = W + ((<usize>j0 * <usize>n + <usize>j0) << 3);
  for (let i = 0; i < len; i++) {
    const src = src0 + ((<usize>i * <usize>n) << 3);
    const dst = Y + ((<usize>i * <usize>nb) << 3);
    if (i >= nb) {
      memory.copy(dst, src, (<usize>nb) << 3);
    } else {
      for (let c = 0; c < nb; c++) st(dst, c, i > c ? ld(src, c) : i == c ? 1.0 : 0.0);
    }
  }
}

// Where the final (unblocked) panel starts: panels of NB columns until at most LAST_MAX remain.
function finalPanelStart(k: i32): i32 {
  return k <= LAST_MAX ? 0 : ((k - LAST_MAX + NB - 1) / NB) * NB;
}

/**
 * Factor a (m×n) into r (k×n) and, unless q is 0, q (m×k). Returns 0. a is left untouched unless
 * overwriteA is non-zero, in which case it is factored in place (the host passes a staged copy) and
 * ends up holding R above and, when q is formed, the reflectors below the diagonal (LAPACK layout);
 * otherwise the first m·n values of `work` do. `work` has qrWorkspaceBytes(m, n, overwriteA), `gemmWork`
 * gemmWorkspaceBytes().
 */
export function qr(
  m: i32,
  n: i32,
  a: usize,
  q: usize,
  r: usize,
  work: usize,
  gemmWork: usize,
  overwriteA: i32,
): i32 {
  const k = min(m, n);
  const W = overwriteA != 0 ? a : work;
  let p = overwriteA != 0 ? work : W + ((<usize>m * <usize>n) << 3);
  const tau = p;
  p += (<usize>n) << 3;
  const g = p;
  p += (<usize>n) << 3;
  const w = p;
  p += (<usize>(n + 4)) << 3;
  const Y = p;
  p += (<usize>m * <usize>LAST_MAX) << 3;
  const T = p;
  p += (<usize>(LAST_MAX * LAST_MAX)) << 3;
  const G = p;
  p += (<usize>(LAST_MAX * LAST_MAX)) << 3;
  const Z = p;
  p += (<usize>LAST_MAX * <usize>n) << 3;
  const Z2 = p;
  p += (<usize>LAST_MAX * <usize>n) << 3;
  const Ts = p; // the T of every NB-wide block, kept for forming Q
  if (W != a) memory.copy(W, a, (<usize>m * <usize>n) << 3);
  const rowBytes = (<usize>n) << 3;

  const lastStart = finalPanelStart(k);
  for (let j0 = 0; j0 < k; j0 += NB) {
    const len = m - j0;
    const P = W + ((<usize>j0 * <usize>n + <usize>j0) << 3);
    const tj = tau + ((<usize>j0) << 3);
    if (j0 == lastStart) {
      factorPanel(P, n, len, n - j0, k - j0, tj, g, w);
      break;
    }
    const nb = NB;
    const panelBytes = (<usize>nb) << 3;
    for (let i = 0; i < len; i++) memory.copy(Y + <usize>i * panelBytes, P + <usize>i * rowBytes, panelBytes);
    factorPanel(Y, nb, len, nb, nb, tj, g, w);
    // Back to W: R's rows always; the reflectors below only when Q will be formed from them.
    const back = q == 0 ? nb : len;
    for (let i = 0; i < back; i++)
      memory.copy(P + <usize>i * rowBytes, Y + <usize>i * panelBytes, panelBytes);
    for (let i = 0; i < nb; i++) {
      const row = Y + <usize>i * panelBytes;
      st(row, i, 1.0);
      for (let c = i + 1; c < nb; c++) st(row, c, 0.0);
    }
    const Tb = Ts + ((<usize>(j0 / NB) * <usize>(NB * NB)) << 3);
    formT(Y, len, nb, tj, Tb, G, gemmWork);
    applyBlockLeft(P + panelBytes, n, len, n - j0 - nb, Y, Tb, nb, true, Z, Z2, 0, gemmWork);
  }

  // R: upper trapezoid of the first k rows.
  for (let i = 0; i < k; i++) {
    const src = W + <usize>i * rowBytes;
    const dst = r + <usize>i * rowBytes;
    memory.fill(dst, 0, (<usize>i) << 3);
    memory.copy(dst + ((<usize>i) << 3), src + ((<usize>i) << 3), (<usize>(n - i)) << 3);
  }
  if (q == 0) return 0;

  // Q = H_0 … H_{k−1} [I_k; 0], one block of reflectors at a time, last block first.
  const qRow = (<usize>k) << 3;
  memory.fill(q, 0, <usize>m * qRow);
  for (let i = 0; i < k; i++) st(q + <usize>i * qRow, i, 1.0);
  for (let j0 = lastStart; j0 >= 0; j0 -= NB) {
    const nb = j0 == lastStart ? k - j0 : NB;
    const len = m - j0;
    const kc = k - j0;
    loadBlock(W, n, j0, len, nb, Y);
    let Tb = Ts + ((<usize>(j0 / NB) * <usize>(NB * NB)) << 3);
    if (j0 == lastStart) {
      Tb = T;
      formT(Y, len, nb, tau + ((<usize>j0) << 3), T, G, gemmWork);
    }
    // Z[:, 0:nb] = Yᵀ·[I; 0] = (top nb×nb of Y)ᵀ.
    for (let rr = 0; rr < nb; rr++) {
      const zr = Z + ((<usize>rr * <usize>kc) << 3);
      for (let c = 0; c < nb; c++) st(zr, c, ld(Y + ((<usize>c * <usize>nb) << 3), rr));
    }
    applyBlockLeft(
      q + ((<usize>j0 * <usize>k + <usize>j0) << 3),
      k,
      len,
      kc,
      Y,
      Tb,
      nb,
      false,
      Z,
      Z2,
      nb,
      gemmWork,
    );
  }
  return 0;
}
