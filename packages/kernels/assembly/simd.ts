// Shared SIMD helpers. `madd` is the one place the two builds differ: the relaxed-SIMD build lowers it to
// f64x2.relaxed_madd (a fused multiply-add on x86 with FMA3), the SIMD128 build to a multiply and an add.

export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f64x2.relaxed_madd(a, b, c);
  } else {
    return f64x2.add(f64x2.mul(a, b), c);
  }
}

export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

export function ld(p: usize, i: i32): f64 {
  return load<f64>(p + ((<usize>i) << 3));
}

export function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + ((<usize>i) << 3), v);
}

/** Dot product of two contiguous vectors of length n: two f64x2 accumulators, scalar tail. */
export function dotv(x: usize, y: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 3;
    a0 = madd(v128.load(x + o), v128.load(y + o), a0);
    a1 = madd(v128.load(x + o, 16), v128.load(y + o, 16), a1);
  }
  let s = hsum(f64x2.add(a0, a1));
  for (; i < n; i++) s += ld(x, i) * ld(y, i);
  return s;
}

/** y += alpha·x over contiguous vectors of length n. */
export function axpyv(alpha: f64, x: usize, y: usize, n: i32): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 3;
    v128.store(y + o, madd(va, v128.load(x + o), v128.load(y + o)));
    v128.store(y + o, madd(va, v128.load(x + o, 16), v128.load(y + o, 16)), 16);
  }
  for (; i < n; i++) st(y, i, ld(y, i) + alpha * ld(x, i));
}

/** Plane rotation of two contiguous rows: x' = c·x + s·y, y' = c·y − s·x. */
export function rotv(x: usize, y: usize, n: i32, c: f64, s: f64): void {
  const vc = f64x2.splat(c);
  const vs = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    const a = v128.load(x + o);
    const b = v128.load(y + o);
    v128.store(x + o, madd(vc, a, f64x2.mul(vs, b)));
    v128.store(y + o, f64x2.sub(f64x2.mul(vc, b), f64x2.mul(vs, a)));
  }
  for (; i < n; i++) {
    const a = ld(x, i);
    const b = ld(y, i);
    st(x, i, c * a + s * b);
    st(y, i, c * b - s * a);
  }
}
