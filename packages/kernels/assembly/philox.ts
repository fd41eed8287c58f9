// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11, "Parallel random numbers: as easy
// as 1, 2, 3"). Key = the 64-bit seed; counter = (group index within the block as 64 bits, 64-bit block
// index), so the numbers of a block depend only on (seed, block) and any block can be generated on any
// worker in any order. Each 128-bit output yields two uniforms with 53 random bits; normals come from
// Box–Muller on those two uniforms (both the cosine and the sine branch are used).
//
// The generator runs GROUPS_PER_STEP consecutive groups at once, most of them in four i32x4 vectors of
// four groups, one lane per group, so a vector holds word j of four counters. A round's two 32×32→64-bit
// products are i64x2.extmul_low/high_i32x4_u (two lanes each) and two shuffles split the 64-bit products
// back into their low and high words. Four independent vectors keep the shuffle and multiply units busy
// while one vector's rounds wait on each other: measured on a 2000×2000 block, the scalar loop takes
// 25 ms, one vector 16.5 ms, two 10.7 ms, four 8.8 ms (bound by the shuffles: V8 lowers each extmul to
// two unpacks and a pmuludq); two more groups in scalar registers alongside bring it to 8.3 ms.
// The numbers are bit for bit those of the scalar definition (src/reference/philox.ts): the integer
// arithmetic is exact, and 53-bit uniforms are formed as (hi·2^26 + lo)·2^-53 = hi·2^-27 + lo·2^-53,
// two exactly scaled conversions whose sum is exact; `low + width·u` is a multiply and an add, never fused.
// A range's odd first element and its last few groups go through the scalar generator. A group's counter
// is (g, 0, blockLo, blockHi), so in the first two rounds one of the two products is the same for every
// group of a step: it is computed once, in scalar registers (about 8 % faster per value).
const M0: u32 = 0xd2511f53;
const M1: u32 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;
const TWO_POW_M27: f64 = 7.450580596923828e-9; // 2^-27
const TWO_POW_M53: f64 = 1.1102230246251565e-16; // 2^-53
const TWO_PI: f64 = 6.283185307179586;

/** Groups (128-bit outputs, two f64 values each) computed per step: 16 in vectors, 2 scalar. */
const GROUPS_PER_STEP: i32 = 18;

// The scalar generator's output (module globals: no linear memory, so the heap layout is untouched).
let x0: u32 = 0;
let x1: u32 = 0;
let x2: u32 = 0;
let x3: u32 = 0;

/** Philox4x32-10 of one counter (c0, c1, c2, c3) with key (k0, k1) into x0 … x3. */
function philox(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let r = 0; r < 10; r++) {
    const p0 = <u64>M0 * <u64>c0;
    const p1 = <u64>M1 * <u64>c2;
    c0 = (<u32>(p1 >> 32)) ^ c1 ^ k0;
    c1 = <u32>p1;
    c2 = (<u32>(p0 >> 32)) ^ c3 ^ k1;
    c3 = <u32>p0;
    k0 += W0;
    k1 += W1;
  }
  x0 = c0;
  x1 = c1;
  x2 = c2;
  x3 = c3;
}

/** The low 32-bit words of the four 64-bit lanes of a and b. */
function lowWords(a: v128, b: v128): v128 {
  return v128.shuffle<u32>(a, b, 0, 2, 4, 6);
}

/** The high 32-bit words of the four 64-bit lanes of a and b. */
function highWords(a: v128, b: v128): v128 {
  return v128.shuffle<u32>(a, b, 1, 3, 5, 7);
}

/**
 * Philox4x32-10 of groups g0 … g0+17 (counter (g, 0, blockLo, blockHi), key (k0, k1)) as uniforms
 * low + width·U into out[0:36], group g0+j's two values at 2j and 2j+1. A round maps (c0, c1, c2, c3)
 * to (hi(M1·c2) ⊕ c1 ⊕ k0, lo(M1·c2), hi(M0·c0) ⊕ c3 ⊕ k1, lo(M0·c0)). Groups 0–15 run in the four
 * vectors, 16 and 17 in scalar registers alongside: the scalar multiplier is otherwise idle, and the
 * two extra groups come almost free (5 % faster per value).
 */
function step(
  g0: u32,
  blockLo: u32,
  blockHi: u32,
  k0: u32,
  k1: u32,
  out: usize,
  low: v128,
  width: v128,
): void {
  const m0 = i32x4.splat(M0);
  const m1 = i32x4.splat(M1);
  const first = i32x4.add(i32x4.splat(g0), i32x4(0, 1, 2, 3));
  // The first two rounds, where every group of the step shares words: a group's counter is (g, 0,
  // blockLo, blockHi), so round 1's M1·c2 and the words it makes are the same for all groups, and so
  // is round 2's M0·c0. Only one product per group in each of those rounds depends on g.
  const p1 = <u64>M1 * <u64>blockLo;
  const w0 = (<u32>(p1 >> 32)) ^ k0; // word 0 after round 1
  const w1 = <u32>p1; // word 1 after round 1
  const p2 = <u64>M0 * <u64>w0;
  const k0b = k0 + W0;
  const k1b = k1 + W1;
  const sh0 = i32x4.splat(w1 ^ k0b); // round 2: word 0 = hi(M1·c2) ⊕ w1 ⊕ k0
  const sh2 = i32x4.splat((<u32>(p2 >> 32)) ^ k1b); // round 2: word 2 = hi(M0·w0) ⊕ c3 ⊕ k1
  const sh3 = i32x4.splat(<u32>p2); // round 2: word 3 = lo(M0·w0)
  const hk1 = i32x4.splat(blockHi ^ k1); // round 1: word 2 = hi(M0·g) ⊕ blockHi ⊕ k1
  // Round 1 (word 2 and 3 from M0·g), then round 2 (words 0 and 1 from M1·word 2), per vector.
  let a0 = first;
  let p = i64x2.extmul_low_i32x4_u(a0, m0);
  let q = i64x2.extmul_high_i32x4_u(a0, m0);
  let a2 = v128.xor(highWords(p, q), hk1);
  let a3 = lowWords(p, q);
  p = i64x2.extmul_low_i32x4_u(a2, m1);
  q = i64x2.extmul_high_i32x4_u(a2, m1);
  a0 = v128.xor(highWords(p, q), sh0);
  let a1 = lowWords(p, q);
  a2 = v128.xor(a3, sh2);
  a3 = sh3;
  let b0 = i32x4.add(first, i32x4.splat(4));
  p = i64x2.extmul_low_i32x4_u(b0, m0);
  q = i64x2.extmul_high_i32x4_u(b0, m0);
  let b2 = v128.xor(highWords(p, q), hk1);
  let b3 = lowWords(p, q);
  p = i64x2.extmul_low_i32x4_u(b2, m1);
  q = i64x2.extmul_high_i32x4_u(b2, m1);
  b0 = v128.xor(highWords(p, q), sh0);
  let b1 = lowWords(p, q);
  b2 = v128.xor(b3, sh2);
  b3 = sh3;
  let c0 = i32x4.add(first, i32x4.splat(8));
  p = i64x2.extmul_low_i32x4_u(c0, m0);
  q = i64x2.extmul_high_i32x4_u(c0, m0);
  let cc2 = v128.xor(highWords(p, q), hk1);
  let cc3 = lowWords(p, q);
  p = i64x2.extmul_low_i32x4_u(cc2, m1);
  q = i64x2.extmul_high_i32x4_u(cc2, m1);
  c0 = v128.xor(highWords(p, q), sh0);
  let c1 = lowWords(p, q);
  cc2 = v128.xor(cc3, sh2);
  cc3 = sh3;
  let d0 = i32x4.add(first, i32x4.splat(12));
  p = i64x2.extmul_low_i32x4_u(d0, m0);
  q = i64x2.extmul_high_i32x4_u(d0, m0);
  let d2 = v128.xor(highWords(p, q), hk1);
  let d3 = lowWords(p, q);
  p = i64x2.extmul_low_i32x4_u(d2, m1);
  q = i64x2.extmul_high_i32x4_u(d2, m1);
  d0 = v128.xor(highWords(p, q), sh0);
  let d1 = lowWords(p, q);
  d2 = v128.xor(d3, sh2);
  d3 = sh3;
  // The two scalar groups: the same two rounds.
  let u = <u64>M0 * <u64>(g0 + 16);
  let e2 = (<u32>(u >> 32)) ^ blockHi ^ k1;
  let e3 = <u32>u;
  u = <u64>M1 * <u64>e2;
  let e0 = (<u32>(u >> 32)) ^ w1 ^ k0b;
  let e1 = <u32>u;
  e2 = e3 ^ (<u32>(p2 >> 32)) ^ k1b;
  e3 = <u32>p2;
  u = <u64>M0 * <u64>(g0 + 17);
  let f2 = (<u32>(u >> 32)) ^ blockHi ^ k1;
  let f3 = <u32>u;
  u = <u64>M1 * <u64>f2;
  let f0 = (<u32>(u >> 32)) ^ w1 ^ k0b;
  let f1 = <u32>u;
  f2 = f3 ^ (<u32>(p2 >> 32)) ^ k1b;
  f3 = <u32>p2;
  k0 = k0b + W0;
  k1 = k1b + W1;
  for (let r = 2; r < 10; r++) {
    const kk0 = i32x4.splat(k0);
    const kk1 = i32x4.splat(k1);
    p = i64x2.extmul_low_i32x4_u(a0, m0);
    q = i64x2.extmul_high_i32x4_u(a0, m0);
    let s = i64x2.extmul_low_i32x4_u(a2, m1);
    let t = i64x2.extmul_high_i32x4_u(a2, m1);
    a0 = v128.xor(v128.xor(highWords(s, t), a1), kk0);
    a1 = lowWords(s, t);
    a2 = v128.xor(v128.xor(highWords(p, q), a3), kk1);
    a3 = lowWords(p, q);
    p = i64x2.extmul_low_i32x4_u(b0, m0);
    q = i64x2.extmul_high_i32x4_u(b0, m0);
    s = i64x2.extmul_low_i32x4_u(b2, m1);
    t = i64x2.extmul_high_i32x4_u(b2, m1);
    b0 = v128.xor(v128.xor(highWords(s, t), b1), kk0);
    b1 = lowWords(s, t);
    b2 = v128.xor(v128.xor(highWords(p, q), b3), kk1);
    b3 = lowWords(p, q);
    p = i64x2.extmul_low_i32x4_u(c0, m0);
    q = i64x2.extmul_high_i32x4_u(c0, m0);
    s = i64x2.extmul_low_i32x4_u(cc2, m1);
    t = i64x2.extmul_high_i32x4_u(cc2, m1);
    c0 = v128.xor(v128.xor(highWords(s, t), c1), kk0);
    c1 = lowWords(s, t);
    cc2 = v128.xor(v128.xor(highWords(p, q), cc3), kk1);
    cc3 = lowWords(p, q);
    p = i64x2.extmul_low_i32x4_u(d0, m0);
    q = i64x2.extmul_high_i32x4_u(d0, m0);
    s = i64x2.extmul_low_i32x4_u(d2, m1);
    t = i64x2.extmul_high_i32x4_u(d2, m1);
    d0 = v128.xor(v128.xor(highWords(s, t), d1), kk0);
    d1 = lowWords(s, t);
    d2 = v128.xor(v128.xor(highWords(p, q), d3), kk1);
    d3 = lowWords(p, q);
    let u0 = <u64>M0 * <u64>e0;
    let u1 = <u64>M1 * <u64>e2;
    e0 = (<u32>(u1 >> 32)) ^ e1 ^ k0;
    e1 = <u32>u1;
    e2 = (<u32>(u0 >> 32)) ^ e3 ^ k1;
    e3 = <u32>u0;
    u0 = <u64>M0 * <u64>f0;
    u1 = <u64>M1 * <u64>f2;
    f0 = (<u32>(u1 >> 32)) ^ f1 ^ k0;
    f1 = <u32>u1;
    f2 = (<u32>(u0 >> 32)) ^ f3 ^ k1;
    f3 = <u32>u0;
    k0 += W0;
    k1 += W1;
  }
  storeUniform4(out, a0, a1, a2, a3, low, width);
  storeUniform4(out + 64, b0, b1, b2, b3, low, width);
  storeUniform4(out + 128, c0, c1, cc2, cc3, low, width);
  storeUniform4(out + 192, d0, d1, d2, d3, low, width);
  const lo = f64x2.extract_lane(low, 0);
  const wd = f64x2.extract_lane(width, 0);
  store<f64>(out, lo + wd * unit53(e0, e1), 256);
  store<f64>(out, lo + wd * unit53(e2, e3), 264);
  store<f64>(out, lo + wd * unit53(f0, f1), 272);
  store<f64>(out, lo + wd * unit53(f2, f3), 280);
}

/**
 * hi·2^-27 + lo·2^-53 for i32 lanes 0 and 1 of (hi >>> 5, lo >>> 6): two 53-bit uniforms in [0, 1).
 * The shifted words are below 2^27, so the signed conversion is exact.
 */
function unit53x2(hi: v128, lo: v128): v128 {
  return f64x2.add(
    f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shr_u(hi, 5)), f64x2.splat(TWO_POW_M27)),
    f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shr_u(lo, 6)), f64x2.splat(TWO_POW_M53)),
  );
}

function unit53(hi: u32, lo: u32): f64 {
  return <f64>(((<u64>(hi >>> 5)) << 26) | (<u64>(lo >>> 6))) * TWO_POW_M53;
}

/**
 * Writes the uniforms of four groups (one per lane of the words w0 … w3) to out[0:8]: the first group's
 * (w0, w1) then (w2, w3), then the second group's, and so on.
 */
function storeUniform4(out: usize, w0: v128, w1: v128, w2: v128, w3: v128, low: v128, width: v128): void {
  // hNN / lNN: the (hi, lo) words of the uniforms of groups NN, two groups per vector.
  const h01 = v128.shuffle<u32>(w0, w2, 0, 4, 1, 5);
  const h23 = v128.shuffle<u32>(w0, w2, 2, 6, 3, 7);
  const l01 = v128.shuffle<u32>(w1, w3, 0, 4, 1, 5);
  const l23 = v128.shuffle<u32>(w1, w3, 2, 6, 3, 7);
  const u0 = unit53x2(h01, l01);
  const u1 = unit53x2(v128.shuffle<u32>(h01, h01, 2, 3, 2, 3), v128.shuffle<u32>(l01, l01, 2, 3, 2, 3));
  const u2 = unit53x2(h23, l23);
  const u3 = unit53x2(v128.shuffle<u32>(h23, h23, 2, 3, 2, 3), v128.shuffle<u32>(l23, l23, 2, 3, 2, 3));
  v128.store(out, f64x2.add(low, f64x2.mul(width, u0)));
  v128.store(out, f64x2.add(low, f64x2.mul(width, u1)), 16);
  v128.store(out, f64x2.add(low, f64x2.mul(width, u2)), 32);
  v128.store(out, f64x2.add(low, f64x2.mul(width, u3)), 48);
}

/**
 * out[0:count] = low + (high − low)·U[0,1) for elements first … first+count−1 of the block's stream:
 * element e is value e mod 2 of group ⌊e/2⌋, the group using counter (⌊e/2⌋, block). A fill at `first`
 * is therefore exactly that part of a fill from 0.
 */
export function fillUniform(
  seedLo: u32,
  seedHi: u32,
  blockLo: u32,
  blockHi: u32,
  out: usize,
  first: i32,
  count: i32,
  low: f64,
  high: f64,
): void {
  if (count <= 0) return;
  const width = high - low;
  const end = first + count;
  let e = first;
  let dst = out;
  if (e & 1) {
    // Odd start: the second value of group ⌊first/2⌋.
    philox(<u32>(e >> 1), 0, blockLo, blockHi, seedLo, seedHi);
    store<f64>(dst, low + width * unit53(x2, x3));
    e++;
    dst += 8;
  }
  const vLow = f64x2.splat(low);
  const vWidth = f64x2.splat(width);
  const full = end >> 1; // groups below this one have both values wanted
  let g = e >> 1;
  for (; g + GROUPS_PER_STEP <= full; g += GROUPS_PER_STEP) {
    step(<u32>g, blockLo, blockHi, seedLo, seedHi, dst, vLow, vWidth);
    dst += (<usize>GROUPS_PER_STEP) << 4;
  }
  for (; g << 1 < end; g++) {
    philox(<u32>g, 0, blockLo, blockHi, seedLo, seedHi);
    store<f64>(dst, low + width * unit53(x0, x1));
    if ((g << 1) + 1 < end) store<f64>(dst, low + width * unit53(x2, x3), 8);
    dst += 16;
  }
}

/**
 * out[0:count] = mean + std·N(0,1) for elements first … first+count−1 of the block's stream: Box–Muller
 * on group g's two uniforms (u1 in (0, 1] so the logarithm is finite) gives element 2g (cosine branch)
 * and 2g + 1 (sine branch). Whole steps first write the uniforms into `out` and then replace them.
 */
export function fillNormal(
  seedLo: u32,
  seedHi: u32,
  blockLo: u32,
  blockHi: u32,
  out: usize,
  first: i32,
  count: i32,
  mean: f64,
  std: f64,
): void {
  if (count <= 0) return;
  const end = first + count;
  let e = first;
  let dst = out;
  if (e & 1) {
    philox(<u32>(e >> 1), 0, blockLo, blockHi, seedLo, seedHi);
    storeNormals(dst - 8, unit53(x0, x1), unit53(x2, x3), mean, std, false, true);
    e++;
    dst += 8;
  }
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const full = end >> 1;
  let g = e >> 1;
  for (; g + GROUPS_PER_STEP <= full; g += GROUPS_PER_STEP) {
    step(<u32>g, blockLo, blockHi, seedLo, seedHi, dst, zero, one); // 0 + 1·u = u exactly
    for (let j = 0; j < GROUPS_PER_STEP; j++) {
      const p = dst + ((<usize>j) << 4);
      storeNormals(p, load<f64>(p), load<f64>(p, 8), mean, std, true, true);
    }
    dst += (<usize>GROUPS_PER_STEP) << 4;
  }
  for (; g << 1 < end; g++) {
    philox(<u32>g, 0, blockLo, blockHi, seedLo, seedHi);
    storeNormals(dst, unit53(x0, x1), unit53(x2, x3), mean, std, true, (g << 1) + 1 < end);
    dst += 16;
  }
}

/**
 * A group's two normals from its uniforms (ua, ub): mean + std·√(−2·ln(1 − ua))·cos(2π·ub) at p and
 * the sine branch at p + 8, each only if wanted.
 */
function storeNormals(p: usize, ua: f64, ub: f64, mean: f64, std: f64, first: bool, second: bool): void {
  const r = Math.sqrt(-2.0 * Math.log(1.0 - ua));
  const t = TWO_PI * ub;
  if (first) store<f64>(p, mean + std * r * Math.cos(t));
  if (second) store<f64>(p, mean + std * r * Math.sin(t), 8);
}
