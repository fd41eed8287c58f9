// Elementwise maps, transposition and reductions over contiguous f64 vectors. Method: straight f64x2
// loops with two or four independent accumulators (reductions) and a scalar tail; transposition works in
// 8×8 tiles so both the read and the write side stay within a few cache lines.
import { hsum, ld, madd, st } from './simd';

const TILE: i32 = 8;

/** out[j·m + i] = a[i·n + j]: out (n×m) is the transpose of a (m×n); out must not alias a. */
export function transpose(m: i32, n: i32, a: usize, out: usize): void {
  for (let i0 = 0; i0 < m; i0 += TILE) {
    const i1 = min(m, i0 + TILE);
    for (let j0 = 0; j0 < n; j0 += TILE) {
      const j1 = min(n, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const row = a + ((<usize>i * <usize>n) << 3);
        for (let j = j0; j < j1; j++) {
          store<f64>(out + ((<usize>j * <usize>m + <usize>i) << 3), load<f64>(row + ((<usize>j) << 3)));
        }
      }
    }
  }
}

/** out = a + b (length n); out may alias a or b. */
export function add(n: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(out + o, f64x2.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) st(out, i, ld(a, i) + ld(b, i));
}

/** out = a − b (length n); out may alias a or b. */
export function sub(n: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(out + o, f64x2.sub(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) st(out, i, ld(a, i) - ld(b, i));
}

/** out = a ⊙ b, elementwise product (length n); out may alias a or b. */
export function mul(n: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(out + o, f64x2.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) st(out, i, ld(a, i) * ld(b, i));
}

/** out = alpha·a (length n); out may alias a. */
export function scale(n: i32, alpha: f64, a: usize, out: usize): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(out + o, f64x2.mul(va, v128.load(a + o)));
  }
  for (; i < n; i++) st(out, i, alpha * ld(a, i));
}

/** y = alpha·x + y (length n). */
export function axpy(n: i32, alpha: f64, x: usize, y: usize): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(y + o, madd(va, v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) st(y, i, ld(y, i) + alpha * ld(x, i));
}

/** Σ a[i]: four f64x2 partial sums (pairwise-ish), then the tail. */
export function sum(n: i32, a: usize): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let s2 = f64x2.splat(0);
  let s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = a + ((<usize>i) << 3);
    s0 = f64x2.add(s0, v128.load(p));
    s1 = f64x2.add(s1, v128.load(p, 16));
    s2 = f64x2.add(s2, v128.load(p, 32));
    s3 = f64x2.add(s3, v128.load(p, 48));
  }
  let s = hsum(f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3)));
  for (; i < n; i++) s += ld(a, i);
  return s;
}

/** Σ a[i]·b[i]. */
export function dot(n: i32, a: usize, b: usize): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 3;
    s0 = madd(v128.load(a + o), v128.load(b + o), s0);
    s1 = madd(v128.load(a + o, 16), v128.load(b + o, 16), s1);
  }
  let s = hsum(f64x2.add(s0, s1));
  for (; i < n; i++) s += ld(a, i) * ld(b, i);
  return s;
}

/** Σ a[i]² (the squared Frobenius norm of a matrix stored in a). */
export function sumSquares(n: i32, a: usize): f64 {
  return dot(n, a, a);
}

/** max |a[i]|; 0 for n = 0; NaN if any element is NaN. */
export function maxAbs(n: i32, a: usize): f64 {
  let m = 0.0;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const v = abs(ld(a, i));
    if (v > m) m = v;
    else if (v != v) nan = true;
  }
  return nan ? NaN : m;
}

/** max |a[i] − b[i]|; 0 for n = 0; NaN if any difference is NaN. */
export function maxAbsDiff(n: i32, a: usize, b: usize): f64 {
  let m = 0.0;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const v = abs(ld(a, i) - ld(b, i));
    if (v > m) m = v;
    else if (v != v) nan = true;
  }
  return nan ? NaN : m;
}

/** out[j] = Σ_i a[i·n + j]: column sums of a (m×n), accumulated row by row (unit stride). */
export function colSums(m: i32, n: i32, a: usize, out: usize): void {
  memory.fill(out, 0, (<usize>n) << 3);
  for (let i = 0; i < m; i++) {
    const row = a + ((<usize>i * <usize>n) << 3);
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      const o = (<usize>j) << 3;
      v128.store(out + o, f64x2.add(v128.load(out + o), v128.load(row + o)));
    }
    for (; j < n; j++) st(out, j, ld(out, j) + ld(row, j));
  }
}

/** out[i] = Σ_j a[i·n + j]: row sums of a (m×n). */
export function rowSums(m: i32, n: i32, a: usize, out: usize): void {
  for (let i = 0; i < m; i++) st(out, i, sum(n, a + ((<usize>i * <usize>n) << 3)));
}

/** Index of the first NaN or ±Infinity in a[0:n], or −1 when all are finite. */
export function firstNonFinite(n: i32, a: usize): i32 {
  // x·0 is 0 for finite x and NaN otherwise; check blocks of 512 and only scan the block that fails.
  const zero = f64x2.splat(0);
  for (let i0 = 0; i0 < n; i0 += 512) {
    const i1 = min(n, i0 + 512);
    let acc = zero;
    let i = i0;
    for (; i + 2 <= i1; i += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(a + ((<usize>i) << 3)), zero));
    let s = hsum(acc);
    for (; i < i1; i++) s += ld(a, i) * 0.0;
    if (s != s) {
      for (let j = i0; j < i1; j++) {
        const v = ld(a, j);
        if (v * 0.0 != 0.0) return j;
      }
    }
  }
  return -1;
}
