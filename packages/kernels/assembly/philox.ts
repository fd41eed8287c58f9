// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11, "Parallel random numbers: as easy
// as 1, 2, 3"). Key = the 64-bit seed; counter = (group index within the block as 64 bits, 64-bit block
// index), so the numbers of a block depend only on (seed, block) and any block can be generated on any
// worker in any order. Each 128-bit output yields two uniforms with 53 random bits; normals come from
// Box–Muller on those two uniforms (both the cosine and the sine branch are used).
const M0: u64 = 0xd2511f53;
const M1: u64 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;
const TWO_POW_M53: f64 = 1.1102230246251565e-16; // 2^-53
const TWO_PI: f64 = 6.283185307179586;

let x0: u32 = 0;
let x1: u32 = 0;
let x2: u32 = 0;
let x3: u32 = 0;

function philox(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * <u64>c0;
    const p1 = M1 * <u64>c2;
    const hi0 = <u32>(p0 >> 32);
    const lo0 = <u32>p0;
    const hi1 = <u32>(p1 >> 32);
    const lo1 = <u32>p1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += W0;
    k1 += W1;
  }
  x0 = c0;
  x1 = c1;
  x2 = c2;
  x3 = c3;
}

function unit53(hi: u32, lo: u32): f64 {
  return <f64>(((<u64>(hi >>> 5)) << 26) | (<u64>(lo >>> 6))) * TWO_POW_M53;
}

/** out[0:count] = low + (high − low)·U[0,1), group g of the block using counter (g, block). */
export function fillUniform(
  seedLo: u32,
  seedHi: u32,
  blockLo: u32,
  blockHi: u32,
  out: usize,
  count: i32,
  low: f64,
  high: f64,
): void {
  const width = high - low;
  const groups = (count + 1) >> 1;
  for (let g = 0; g < groups; g++) {
    philox(<u32>g, 0, blockLo, blockHi, seedLo, seedHi);
    const i = g << 1;
    store<f64>(out + ((<usize>i) << 3), low + width * unit53(x0, x1));
    if (i + 1 < count) store<f64>(out + ((<usize>(i + 1)) << 3), low + width * unit53(x2, x3));
  }
}

/** out[0:count] = mean + std·N(0,1), Box–Muller with u1 in (0, 1] so the logarithm is finite. */
export function fillNormal(
  seedLo: u32,
  seedHi: u32,
  blockLo: u32,
  blockHi: u32,
  out: usize,
  count: i32,
  mean: f64,
  std: f64,
): void {
  const groups = (count + 1) >> 1;
  for (let g = 0; g < groups; g++) {
    philox(<u32>g, 0, blockLo, blockHi, seedLo, seedHi);
    const u1 = 1.0 - unit53(x0, x1);
    const u2 = unit53(x2, x3);
    const r = Math.sqrt(-2.0 * Math.log(u1));
    const t = TWO_PI * u2;
    const i = g << 1;
    store<f64>(out + ((<usize>i) << 3), mean + std * r * Math.cos(t));
    if (i + 1 < count) store<f64>(out + ((<usize>(i + 1)) << 3), mean + std * r * Math.sin(t));
  }
}
