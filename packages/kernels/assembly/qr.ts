// Householder QR, A (m×n) = Q (m×k) · R (k×n), k = min(m, n), f64 row-major. Method: unblocked
// Householder (LAPACK dgeqr2/dorg2r conventions: H = I − τ·v·vᵀ, v₀ = 1, R_jj = β = −sign(x₀)·‖x‖),
// reorganised for row-major storage so that every reflector costs ONE streaming pass over the trailing
// rows: while row i is updated by reflector j, the quantities reflector j+1 needs (the squared tail of
// column j+1 and g = Σ_i x_i·row_i) are accumulated from the freshly updated row. Q is formed by backward
// accumulation with the same fusion (the row sums for reflector j−1 ride along the pass for j).
import { axpyv, ld, madd, st } from './simd';

/** Bytes of workspace qr needs: a copy of A plus three vectors of length n. */
export function qrWorkspaceBytes(m: i32, n: i32): usize {
  return (<usize>m * <usize>n + 3 * <usize>n + 4) << 3;
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

/**
 * Factor a (m×n, left untouched) into q (m×k) and r (k×n). Returns 0. `work` has qrWorkspaceBytes(m, n).
 * After the call, work[0 : m·n] holds the reflectors below the diagonal (LAPACK layout) and
 * work[m·n : m·n+n] holds τ.
 */
export function qr(m: i32, n: i32, a: usize, q: usize, r: usize, work: usize): i32 {
  const k = min(m, n);
  const W = work;
  const tau = W + ((<usize>m * <usize>n) << 3);
  let g = tau + ((<usize>n) << 3); // Σ_{i below the top row} x_i·row_i for the current column
  let w = g + ((<usize>n) << 3); // vᵀ·(trailing rows) for the current reflector
  memory.copy(W, a, (<usize>m * <usize>n) << 3);
  const rowBytes = (<usize>n) << 3;

  // Sums for column 0 over rows 1..m.
  memory.fill(g, 0, rowBytes);
  let tail = 0.0;
  for (let i = 1; i < m; i++) {
    const row = W + <usize>i * rowBytes;
    const x = load<f64>(row);
    tail += x * x;
    axpyv(x, row + 8, g + 8, n - 1);
  }

  for (let j = 0; j < k; j++) {
    const top = W + <usize>j * rowBytes;
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
    for (let c = j + 1; c < n; c++) {
      const wc = ld(top, c) + scale * ld(g, c);
      st(w, c, wc);
      st(top, c, ld(top, c) - t * wc);
    }
    const next = j + 1;
    const accumulate = next < k;
    memory.fill(g, 0, rowBytes);
    tail = 0.0;
    for (let i = j + 1; i < m; i++) {
      const row = W + <usize>i * rowBytes;
      const v = ld(row, j) * scale;
      st(row, j, v);
      const tv = t * v;
      if (accumulate && i > next) {
        const x = ld(row, next) - tv * ld(w, next);
        st(row, next, x);
        tail += x * x;
        updateAccumulate(row, w, g, next + 1, n, tv, x);
      } else {
        updateOnly(row, w, next, n, tv);
      }
    }
  }

  // R: upper trapezoid of the first k rows.
  for (let i = 0; i < k; i++) {
    const src = W + <usize>i * rowBytes;
    const dst = r + <usize>i * rowBytes;
    memory.fill(dst, 0, (<usize>i) << 3);
    memory.copy(dst + ((<usize>i) << 3), src + ((<usize>i) << 3), (<usize>(n - i)) << 3);
  }

  // Q = H_0 … H_{k−1} [I_k; 0], applied backward. Before H_j, row j of Q is e_j and column j is zero
  // below row j, so w_j[j] = 1 and w_j[c] = Σ_{i>j} v_i·Q[i, c] for c > j: these sums for j−1 are
  // accumulated while the pass for j writes the rows.
  const qRow = (<usize>k) << 3;
  memory.fill(q, 0, <usize>m * qRow);
  for (let i = 0; i < k; i++) st(q + <usize>i * qRow, i, 1.0);
  memory.fill(w, 0, rowBytes);
  for (let j = k - 1; j >= 0; j--) {
    const t = ld(tau, j);
    st(w, j, 1.0);
    const prev = j - 1;
    memory.fill(g, 0, rowBytes);
    for (let i = j; i < m; i++) {
      const row = q + <usize>i * qRow;
      const v = i == j ? 1.0 : ld(W + <usize>i * rowBytes, j);
      if (prev >= 0) {
        updateAccumulate(row, w, g, j, k, t * v, ld(W + <usize>i * rowBytes, prev));
      } else {
        updateOnly(row, w, j, k, t * v);
      }
    }
    const swap = w;
    w = g;
    g = swap;
  }
  return 0;
}
