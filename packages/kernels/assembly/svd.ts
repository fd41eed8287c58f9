// Thin SVD, A (m×n) = U (m×k) · diag(S) · Vt (k×n), k = min(m, n), S descending, f64 row-major.
// Method: Golub–Kahan–Reinsch. (1) Householder bidiagonalisation of the tall orientation (Aᵀ when
// m < n), fused for row-major storage: one pass per column applies the left reflector, then the right
// reflector, to each row while it is in cache, and accumulates the next column's norm and Gram row.
// (2) Backward accumulation of Uᵀ and Vᵀ, whose rows are the singular vectors, so every later rotation
// touches two contiguous rows. (3) Implicit-shift QR on the bidiagonal (Golub & Van Loan, Alg. 8.6.2:
// Wilkinson shift from the trailing 2×2 of BᵀB, bulge chasing), with zero-diagonal deflation by rotation
// chasing. (4) Signs made positive and values sorted descending.
import { axpyv, dotv, ld, madd, rotv, st } from './simd';
import { transpose } from './elementwise';
import { applyBlockRight, formT } from './wy';

const EPS: f64 = 2.220446049250313e-16;

/** Bytes of workspace svd needs for an m×n input. */
export function svdWorkspaceBytes(m: i32, n: i32): usize {
  const big = <usize>max(m, n);
  const small = <usize>min(m, n);
  return (
    (<usize>2 * <usize>m * <usize>n +
      small * small +
      14 * big +
      16 +
      3 * big * <usize>NB +
      2 * <usize>(NB * NB)) <<
    3
  );
}

function rowPtr(base: usize, i: i32, ld_: i32): usize {
  return base + ((<usize>i * <usize>ld_) << 3);
}

// Bidiagonalise W (M×N, M ≥ N) in place: d (N), e (N−1), reflector scalars tauL/tauR; the left
// reflectors end up below the diagonal, the right ones to the right of the superdiagonal (v₀ = 1 implicit).
function bidiagonalize(
  M: i32,
  N: i32,
  W: usize,
  d: usize,
  e: usize,
  tauL: usize,
  tauR: usize,
  g: usize,
  wl: usize,
  vr: usize,
): void {
  const rowBytes = (<usize>N) << 3;
  // Column 0 sums over rows 1..M.
  memory.fill(g, 0, rowBytes);
  let tail = 0.0;
  for (let i = 1; i < M; i++) {
    const row = rowPtr(W, i, N);
    const x = load<f64>(row);
    tail += x * x;
    axpyv(x, row + 8, g + 8, N - 1);
  }
  for (let j = 0; j < N; j++) {
    const top = rowPtr(W, j, N);
    // Left reflector on column j.
    const x0 = ld(top, j);
    let tl = 0.0;
    let beta = x0;
    let scale = 0.0;
    if (tail > 0.0) {
      const norm = Math.sqrt(x0 * x0 + tail);
      beta = x0 >= 0.0 ? -norm : norm;
      tl = (beta - x0) / beta;
      scale = 1.0 / (x0 - beta);
    }
    st(tauL, j, tl);
    st(d, j, beta);
    st(top, j, beta);
    for (let c = j + 1; c < N; c++) {
      const wc = ld(top, c) + scale * ld(g, c);
      st(wl, c, wc);
      st(top, c, ld(top, c) - tl * wc);
    }
    // Right reflector on row j, columns j+1..N.
    let tr = 0.0;
    const c1 = j + 1;
    if (c1 < N) {
      const y0 = ld(top, c1);
      let rtail = 0.0;
      for (let c = c1 + 1; c < N; c++) {
        const v = ld(top, c);
        rtail += v * v;
      }
      let rbeta = y0;
      let rscale = 0.0;
      if (rtail > 0.0) {
        const norm = Math.sqrt(y0 * y0 + rtail);
        rbeta = y0 >= 0.0 ? -norm : norm;
        tr = (rbeta - y0) / rbeta;
        rscale = 1.0 / (y0 - rbeta);
      }
      st(e, j, rbeta);
      st(top, c1, rbeta);
      st(vr, c1, 1.0);
      for (let c = c1 + 1; c < N; c++) {
        const v = ld(top, c) * rscale;
        st(top, c, v);
        st(vr, c, v);
      }
    }
    st(tauR, j, tr);
    // Rows below: left update, right update, next column's sums, all while the row is hot.
    const next = j + 1;
    memory.fill(g, 0, rowBytes);
    tail = 0.0;
    const nRight = N - c1;
    for (let i = j + 1; i < M; i++) {
      const row = rowPtr(W, i, N);
      const v = ld(row, j) * scale;
      st(row, j, v);
      if (c1 >= N) continue;
      axpyv(-tl * v, wl + ((<usize>c1) << 3), row + ((<usize>c1) << 3), nRight);
      if (tr != 0.0) {
        const dp = dotv(row + ((<usize>c1) << 3), vr + ((<usize>c1) << 3), nRight);
        axpyv(-tr * dp, vr + ((<usize>c1) << 3), row + ((<usize>c1) << 3), nRight);
      }
      if (i > next) {
        const x = ld(row, next);
        tail += x * x;
        axpyv(x, row + ((<usize>(next + 1)) << 3), g + ((<usize>(next + 1)) << 3), N - next - 1);
      }
    }
  }
}

const NB: i32 = 32;

// Uᵀ (N×M) = [I 0]·H_{N−1}⋯H_0, built backward a block of NB reflectors at a time; the block
// starting at j0 changes only rows ≥ j0 and columns ≥ j0.
function formUt(
  M: i32,
  N: i32,
  W: usize,
  tauL: usize,
  Ut: usize,
  Y: usize,
  T: usize,
  G: usize,
  Z: usize,
  Z2: usize,
  gw: usize,
): void {
  memory.fill(Ut, 0, (<usize>N * <usize>M) << 3);
  for (let i = 0; i < N; i++) st(rowPtr(Ut, i, M), i, 1.0);
  const last = ((N - 1) / NB) * NB;
  for (let j0 = last; j0 >= 0; j0 -= NB) {
    const nb = min(NB, N - j0);
    const len = M - j0;
    // Y[i − j0, c] = v_{j0+c}[i]: zero above the unit diagonal, then column j0+c of W.
    for (let i = 0; i < len; i++) {
      const src = rowPtr(W, j0 + i, N) + ((<usize>j0) << 3);
      const dst = Y + ((<usize>(i * nb)) << 3);
      for (let c = 0; c < nb; c++) st(dst, c, i > c ? ld(src, c) : i == c ? 1.0 : 0.0);
    }
    formT(Y, len, nb, tauL + ((<usize>j0) << 3), T, G, gw);
    applyBlockRight(rowPtr(Ut, j0, M) + ((<usize>j0) << 3), M, N - j0, len, Y, T, nb, Z, Z2, gw);
  }
}

// Vᵀ (N×N) = G_{N−2}⋯G_0 (G_j acts on indices > j), built as I·G_{N−2}⋯G_0 a block at a time; the
// block starting at j0 changes only rows and columns > j0.
function formVt(
  N: i32,
  W: usize,
  tauR: usize,
  Vt: usize,
  Y: usize,
  T: usize,
  G: usize,
  Z: usize,
  Z2: usize,
  gw: usize,
): void {
  memory.fill(Vt, 0, (<usize>N * <usize>N) << 3);
  for (let i = 0; i < N; i++) st(rowPtr(Vt, i, N), i, 1.0);
  const count = N - 1; // reflectors j = 0..N−2 (trailing ones have τ = 0)
  if (count <= 0) return;
  const last = ((count - 1) / NB) * NB;
  for (let j0 = last; j0 >= 0; j0 -= NB) {
    const nb = min(NB, count - j0);
    const len = N - j0 - 1;
    // Y[i, c] = v_{j0+c}[j0+1+i]: zero above the unit diagonal, then row j0+c of W.
    for (let i = 0; i < len; i++) {
      const dst = Y + ((<usize>(i * nb)) << 3);
      for (let c = 0; c < nb; c++) {
        st(dst, c, i > c ? ld(rowPtr(W, j0 + c, N), j0 + 1 + i) : i == c ? 1.0 : 0.0);
      }
    }
    formT(Y, len, nb, tauR + ((<usize>j0) << 3), T, G, gw);
    applyBlockRight(rowPtr(Vt, j0 + 1, N) + ((<usize>(j0 + 1)) << 3), N, len, len, Y, T, nb, Z, Z2, gw);
  }
}

// √(y² + z²): the plain formula when neither square can overflow or underflow (the input was scaled
// to unit max-abs, so this is the common case), else Math.hypot.
function givens(y: f64, z: f64): f64 {
  const ay = abs(y);
  const az = abs(z);
  if (max(ay, az) < 1e150 && min(ay, az) > 1e-150) return Math.sqrt(y * y + z * z);
  return Math.hypot(y, z);
}

// Fast (scaled) Givens rotations (Gentleman 1973; Golub & Van Loan §5.1.13): each row of Uᵀ and Vᵀ
// carries a scale δ (true row = δ·stored row), so a rotation costs two multiply-adds per element
// instead of four. With G = [c s; −s c] acting on true rows X = δx·x, Y = δy·y:
//   |c| ≥ |s| (form 0): x ← x + p·y, y ← y + q·x, p = t·δy/δx, q = −t·δx/δy, t = s/c, δx ← c·δx, δy ← c·δy
//   |c| < |s| (form 1): x ← p·x + y, y ← x + q·y, p = t·δx/δy, q = −t·δy/δx, t = c/s, δx ← s·δy, δy ← −s·δx
// Choosing the form by |c| vs |s| bounds growth per rotation by 2; |δ| shrinks by at most √2 per
// rotation and rows are renormalised when |δ| < 1e-32. Three consecutive rotations are applied
// together to four rows streaming along the rows (2 multiply-adds and 4/3 stores per rotation and
// element pair); the eight form combinations are generic instantiations, so the loops hold no branches.
const RESCALE_BELOW: f64 = 1e-32;
function fastCoefficients(c: f64, s: f64, scales: usize, k: i32, kind: usize, p: usize, q: usize): void {
  const dx = ld(scales, k);
  const dy = ld(scales, k + 1);
  if (abs(c) >= abs(s)) {
    const t = s / c;
    st(kind, k, 0.0);
    st(p, k, (t * dy) / dx);
    st(q, k, (-t * dx) / dy);
    st(scales, k, c * dx);
    st(scales, k + 1, c * dy);
  } else {
    const t = c / s;
    st(kind, k, 1.0);
    st(p, k, (t * dx) / dy);
    st(q, k, (-t * dy) / dx);
    st(scales, k, s * dy);
    st(scales, k + 1, -s * dx);
  }
}

// Form markers for the generic kernels below: i32 = form 0, i64 = form 1 (resolved at compile time).
function firstOut<F>(p: v128, x: v128, y: v128): v128 {
  if (sizeof<F>() == 4) return madd(p, y, x);
  return madd(p, x, y);
}

function secondOut<F>(q: v128, x: v128, y: v128): v128 {
  if (sizeof<F>() == 4) return madd(q, x, y);
  return madd(q, y, x);
}

function firstOutScalar<F>(p: f64, x: f64, y: f64): f64 {
  if (sizeof<F>() == 4) return x + p * y;
  return p * x + y;
}

function secondOutScalar<F>(q: f64, x: f64, y: f64): f64 {
  if (sizeof<F>() == 4) return y + q * x;
  return x + q * y;
}

function rotate3<A, B, C>(r0: usize, stride: usize, len: i32, k: i32, pc: usize, qc: usize): void {
  const r1 = r0 + stride;
  const r2 = r1 + stride;
  const r3 = r2 + stride;
  const s0 = ld(pc, k);
  const t0 = ld(qc, k);
  const s1 = ld(pc, k + 1);
  const t1 = ld(qc, k + 1);
  const s2 = ld(pc, k + 2);
  const t2 = ld(qc, k + 2);
  const p0 = f64x2.splat(s0);
  const q0 = f64x2.splat(t0);
  const p1 = f64x2.splat(s1);
  const q1 = f64x2.splat(t1);
  const p2 = f64x2.splat(s2);
  const q2 = f64x2.splat(t2);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = (<usize>i) << 3;
    const a = v128.load(r0 + o);
    let b = v128.load(r1 + o);
    let c = v128.load(r2 + o);
    let d = v128.load(r3 + o);
    v128.store(r0 + o, firstOut<A>(p0, a, b));
    b = secondOut<A>(q0, a, b);
    v128.store(r1 + o, firstOut<B>(p1, b, c));
    c = secondOut<B>(q1, b, c);
    v128.store(r2 + o, firstOut<C>(p2, c, d));
    v128.store(r3 + o, secondOut<C>(q2, c, d));
  }
  for (; i < len; i++) {
    const a = ld(r0, i);
    let b = ld(r1, i);
    let c = ld(r2, i);
    const d = ld(r3, i);
    st(r0, i, firstOutScalar<A>(s0, a, b));
    b = secondOutScalar<A>(t0, a, b);
    st(r1, i, firstOutScalar<B>(s1, b, c));
    c = secondOutScalar<B>(t1, b, c);
    st(r2, i, firstOutScalar<C>(s2, c, d));
    st(r3, i, secondOutScalar<C>(t2, c, d));
  }
}

function rotate1<A>(r0: usize, stride: usize, len: i32, k: i32, pc: usize, qc: usize): void {
  const r1 = r0 + stride;
  const s0 = ld(pc, k);
  const t0 = ld(qc, k);
  const p0 = f64x2.splat(s0);
  const q0 = f64x2.splat(t0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = (<usize>i) << 3;
    const a = v128.load(r0 + o);
    const b = v128.load(r1 + o);
    v128.store(r0 + o, firstOut<A>(p0, a, b));
    v128.store(r1 + o, secondOut<A>(q0, a, b));
  }
  for (; i < len; i++) {
    const a = ld(r0, i);
    const b = ld(r1, i);
    st(r0, i, firstOutScalar<A>(s0, a, b));
    st(r1, i, secondOutScalar<A>(t0, a, b));
  }
}

// Apply the sweep's rotations k = l..h−1 to row pairs (k, k+1) of `base` (rows `len` long), in order.
function applyFastRotations(base: usize, len: i32, l: i32, h: i32, kind: usize, pc: usize, qc: usize): void {
  const stride = (<usize>len) << 3;
  let k = l;
  for (; k + 3 <= h; k += 3) {
    const r0 = base + <usize>k * stride;
    const code = <i32>ld(kind, k) + 2 * <i32>ld(kind, k + 1) + 4 * <i32>ld(kind, k + 2);
    switch (code) {
      case 0:
        rotate3<i32, i32, i32>(r0, stride, len, k, pc, qc);
        break;
      case 1:
        rotate3<i64, i32, i32>(r0, stride, len, k, pc, qc);
        break;
      case 2:
        rotate3<i32, i64, i32>(r0, stride, len, k, pc, qc);
        break;
      case 3:
        rotate3<i64, i64, i32>(r0, stride, len, k, pc, qc);
        break;
      case 4:
        rotate3<i32, i32, i64>(r0, stride, len, k, pc, qc);
        break;
      case 5:
        rotate3<i64, i32, i64>(r0, stride, len, k, pc, qc);
        break;
      case 6:
        rotate3<i32, i64, i64>(r0, stride, len, k, pc, qc);
        break;
      default:
        rotate3<i64, i64, i64>(r0, stride, len, k, pc, qc);
    }
  }
  for (; k < h; k++) {
    const r0 = base + <usize>k * stride;
    if (ld(kind, k) == 0.0) rotate1<i32>(r0, stride, len, k, pc, qc);
    else rotate1<i64>(r0, stride, len, k, pc, qc);
  }
}

// Fold the scales of rows [from, to] into the rows (δ ← 1); `onlySmall` limits it to |δ| < 1e-32.
function normalizeRows(base: usize, len: i32, scales: usize, from: i32, to: i32, onlySmall: bool): void {
  for (let r = from; r <= to; r++) {
    const dr = ld(scales, r);
    if (dr == 1.0 || (onlySmall && abs(dr) >= RESCALE_BELOW)) continue;
    scaleRow(base + ((<usize>r * <usize>len) << 3), len, dr);
    st(scales, r, 1.0);
  }
}

// Implicit-shift QR on the bidiagonal (d, e), rotating rows of Ut (length M) and Vt (length N).
// Returns 0 on convergence, 1 when the step budget is exhausted.
function bidiagonalQR(
  M: i32,
  N: i32,
  d: usize,
  e: usize,
  Ut: usize,
  Vt: usize,
  kindR: usize,
  pR: usize,
  qR: usize,
  kindL: usize,
  pL: usize,
  qL: usize,
  scU: usize,
  scV: usize,
): i32 {
  for (let i = 0; i < N; i++) {
    st(scU, i, 1.0);
    st(scV, i, 1.0);
  }
  let bnorm = 0.0;
  for (let i = 0; i < N; i++) {
    const v = abs(ld(d, i)) + (i + 1 < N ? abs(ld(e, i)) : 0.0);
    if (v > bnorm) bnorm = v;
  }
  const dTol = EPS * bnorm;
  const maxSteps = 40 * N + 100;
  let steps = 0;
  let h = N - 1;
  while (h > 0) {
    for (let i = 0; i < h; i++) {
      const ei = abs(ld(e, i));
      if (ei <= EPS * (abs(ld(d, i)) + abs(ld(d, i + 1))) || ei <= EPS * dTol) st(e, i, 0.0);
    }
    if (ld(e, h - 1) == 0.0) {
      h--;
      continue;
    }
    let l = h - 1;
    while (l > 0 && ld(e, l - 1) != 0.0) l--;
    let zi = -1;
    for (let i = l; i <= h; i++) {
      if (abs(ld(d, i)) <= dTol) {
        zi = i;
        break;
      }
    }
    if (steps++ > maxSteps) {
      normalizeRows(Vt, N, scV, 0, N - 1, false);
      normalizeRows(Ut, M, scU, 0, N - 1, false);
      return 1;
    }
    if (zi >= 0) {
      st(d, zi, 0.0);
      // The chases use plain rotations: fold the row scales in first.
      normalizeRows(Ut, M, scU, l, h, false);
      normalizeRows(Vt, N, scV, l, h, false);
      if (zi < h) {
        // Chase e[zi] right along row zi with left rotations of rows (j, zi).
        let f = ld(e, zi);
        st(e, zi, 0.0);
        for (let j = zi + 1; j <= h; j++) {
          const dj = ld(d, j);
          const r = givens(dj, f);
          const c = dj / r;
          const s = f / r;
          st(d, j, r);
          if (j < h) {
            const ej = ld(e, j);
            f = -s * ej;
            st(e, j, c * ej);
          }
          rotv(rowPtr(Ut, j, M), rowPtr(Ut, zi, M), M, c, s);
        }
      } else {
        // d[h] = 0: chase e[h−1] up column h with right rotations of columns (j, h).
        let f = ld(e, h - 1);
        st(e, h - 1, 0.0);
        for (let j = h - 1; j >= l; j--) {
          const dj = ld(d, j);
          const r = givens(dj, f);
          const c = dj / r;
          const s = f / r;
          st(d, j, r);
          if (j > l) {
            const ej = ld(e, j - 1);
            f = -s * ej;
            st(e, j - 1, c * ej);
          }
          rotv(rowPtr(Vt, j, N), rowPtr(Vt, h, N), N, c, s);
        }
      }
      continue;
    }
    // Wilkinson shift: eigenvalue of the trailing 2×2 of BᵀB closest to its last diagonal entry.
    const dh = ld(d, h);
    const dh1 = ld(d, h - 1);
    const eh1 = ld(e, h - 1);
    const eh2 = h - 1 > l ? ld(e, h - 2) : 0.0;
    const a11 = dh1 * dh1 + eh2 * eh2;
    const a12 = dh1 * eh1;
    const a22 = dh * dh + eh1 * eh1;
    const delta = 0.5 * (a11 - a22);
    let mu = a22;
    if (a12 != 0.0) {
      const root = Math.hypot(delta, a12);
      mu = a22 - (a12 * a12) / (delta + (delta >= 0.0 ? root : -root));
    }
    let y = ld(d, l) * ld(d, l) - mu;
    let z = ld(d, l) * ld(e, l);
    for (let k = l; k < h; k++) {
      // Right rotation of columns (k, k+1) zeroing z against y.
      let r = givens(y, z);
      let c = 1.0;
      let s = 0.0;
      if (r != 0.0) {
        c = y / r;
        s = z / r;
      }
      if (k > l) st(e, k - 1, r);
      let dk = ld(d, k);
      let ek = ld(e, k);
      let dk1 = ld(d, k + 1);
      const f = c * dk + s * ek;
      ek = c * ek - s * dk;
      const bulge = s * dk1;
      dk1 = c * dk1;
      dk = f;
      fastCoefficients(c, s, scV, k, kindR, pR, qR);
      // Left rotation of rows (k, k+1) zeroing the bulge below the diagonal.
      r = givens(dk, bulge);
      c = 1.0;
      s = 0.0;
      if (r != 0.0) {
        c = dk / r;
        s = bulge / r;
      }
      dk = r;
      const f2 = c * ek + s * dk1;
      dk1 = c * dk1 - s * ek;
      ek = f2;
      st(d, k, dk);
      st(e, k, ek);
      st(d, k + 1, dk1);
      if (k < h - 1) {
        const ek1 = ld(e, k + 1);
        z = s * ek1;
        st(e, k + 1, c * ek1);
        y = ek;
      }
      fastCoefficients(c, s, scU, k, kindL, pL, qL);
    }
    applyFastRotations(Vt, N, l, h, kindR, pR, qR);
    applyFastRotations(Ut, M, l, h, kindL, pL, qL);
    normalizeRows(Vt, N, scV, l, h, true);
    normalizeRows(Ut, M, scU, l, h, true);
  }
  normalizeRows(Vt, N, scV, 0, N - 1, false);
  normalizeRows(Ut, M, scU, 0, N - 1, false);
  return 0;
}

function scaleRow(p: usize, n: i32, alpha: f64): void {
  for (let i = 0; i < n; i++) st(p, i, alpha * ld(p, i));
}

function swapRows(a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const t = ld(a, i);
    st(a, i, ld(b, i));
    st(b, i, t);
  }
}

/**
 * a (m×n, untouched) → u (m×k), s (k), vt (k×n), k = min(m, n). Returns 0, or 1 if the bidiagonal QR
 * did not converge. `work` has svdWorkspaceBytes(m, n).
 */
export function svd(
  m: i32,
  n: i32,
  a: usize,
  u: usize,
  s: usize,
  vt: usize,
  work: usize,
  gemmWork: usize,
): i32 {
  const tall = m >= n;
  const M = tall ? m : n;
  const N = tall ? n : m;
  const W = work;
  const second = W + ((<usize>m * <usize>n) << 3); // Uᵀ (tall) or Vᵀ of the transposed problem
  let p = second + ((tall ? <usize>M * <usize>N : <usize>N * <usize>N) << 3);
  const e = p;
  p += (<usize>(N + 1)) << 3;
  const tauL = p;
  p += (<usize>(N + 1)) << 3;
  const tauR = p;
  p += (<usize>(N + 1)) << 3;
  const g = p;
  p += (<usize>(M + 1)) << 3;
  const wl = p;
  p += (<usize>(M + 1)) << 3;
  const vtmp = p;
  p += (<usize>(M + 1)) << 3;
  const pR = p;
  p += (<usize>(N + 1)) << 3;
  const qR = p;
  p += (<usize>(N + 1)) << 3;
  const pL = p;
  p += (<usize>(N + 1)) << 3;
  const qL = p;
  p += (<usize>(N + 1)) << 3;
  const kindR = p;
  p += (<usize>(N + 1)) << 3;
  const kindL = p;
  p += (<usize>(N + 1)) << 3;
  const scU = p;
  p += (<usize>(N + 1)) << 3;
  const scV = p;
  p += (<usize>(N + 1)) << 3;
  const wyY = p;
  p += (<usize>M * <usize>NB) << 3;
  const wyT = p;
  p += (<usize>(NB * NB)) << 3;
  const wyG = p;
  p += (<usize>(NB * NB)) << 3;
  const wyZ = p;
  p += (<usize>N * <usize>NB) << 3;
  const wyZ2 = p;
  if (tall) memory.copy(W, a, (<usize>m * <usize>n) << 3);
  else transpose(m, n, a, W);
  // Scale to unit max-abs so squares in the shift computation neither overflow nor underflow.
  let amax = 0.0;
  for (let i = 0; i < M * N; i++) {
    const v = abs(ld(W, i));
    if (v > amax) amax = v;
  }
  if (amax > 0.0) scaleRow(W, M * N, 1.0 / amax);
  const Ut = tall ? second : vt; // N×M: rows are left vectors of the tall problem
  const Vt = tall ? vt : second; // N×N
  bidiagonalize(M, N, W, s, e, tauL, tauR, g, wl, vtmp);
  formUt(M, N, W, tauL, Ut, wyY, wyT, wyG, wyZ, wyZ2, gemmWork);
  formVt(N, W, tauR, Vt, wyY, wyT, wyG, wyZ, wyZ2, gemmWork);
  const status = bidiagonalQR(M, N, s, e, Ut, Vt, kindR, pR, qR, kindL, pL, qL, scU, scV);
  for (let i = 0; i < N; i++) {
    const v = ld(s, i);
    if (v < 0.0) {
      st(s, i, -v);
      scaleRow(rowPtr(Vt, i, N), N, -1.0);
    }
  }
  for (let i = 0; i < N; i++) {
    let best = i;
    for (let j = i + 1; j < N; j++) if (ld(s, j) > ld(s, best)) best = j;
    if (best != i) {
      const t = ld(s, i);
      st(s, i, ld(s, best));
      st(s, best, t);
      swapRows(rowPtr(Ut, i, M), rowPtr(Ut, best, M), M);
      swapRows(rowPtr(Vt, i, N), rowPtr(Vt, best, N), N);
    }
  }
  if (amax > 0.0) scaleRow(s, N, amax);
  // Tall: U = (Uᵀ)ᵀ. Wide: the tall problem's Vᵀ is N×N = m×m and U = its transpose.
  transpose(N, tall ? M : N, tall ? Ut : Vt, u);
  return status;
}
