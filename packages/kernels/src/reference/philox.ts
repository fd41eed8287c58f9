// Reference Philox4x32-10 (Salmon et al., SC'11) with the same counter layout, 53-bit uniforms and
// Box–Muller normals as assembly/philox.ts, in plain TypeScript (32-bit products split into 16-bit
// halves so every step is exact in doubles).
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32. */
function mulhi32(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const bh = b >>> 16;
  const bl = b & 0xffff;
  const lo = al * bl;
  const mid1 = ah * bl;
  const mid2 = al * bh;
  const carry = ((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (ah * bh + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/** One Philox4x32-10 block: counter (c0..c3), key (k0, k1) → four u32. */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
): [number, number, number, number] {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

function unit53(hi: number, lo: number): number {
  return ((hi >>> 5) * 67108864 + (lo >>> 6)) / 9007199254740992;
}

function split(v: number): [number, number] {
  return [v >>> 0, Math.floor(v / 2 ** 32) >>> 0];
}

export function rngUniformRef(seed: number, block: number, count: number, low = 0, high = 1): Float64Array {
  const out = new Float64Array(count);
  const [sl, sh] = split(seed);
  const [bl, bh] = split(block);
  for (let g = 0; 2 * g < count; g++) {
    const [x0, x1, x2, x3] = philox4x32(g, 0, bl, bh, sl, sh);
    out[2 * g] = low + (high - low) * unit53(x0, x1);
    if (2 * g + 1 < count) out[2 * g + 1] = low + (high - low) * unit53(x2, x3);
  }
  return out;
}

export function rngNormalRef(seed: number, block: number, count: number, mean = 0, std = 1): Float64Array {
  const out = new Float64Array(count);
  const [sl, sh] = split(seed);
  const [bl, bh] = split(block);
  for (let g = 0; 2 * g < count; g++) {
    const [x0, x1, x2, x3] = philox4x32(g, 0, bl, bh, sl, sh);
    const u1 = 1 - unit53(x0, x1);
    const u2 = unit53(x2, x3);
    const r = Math.sqrt(-2 * Math.log(u1));
    const t = 2 * Math.PI * u2;
    out[2 * g] = mean + std * r * Math.cos(t);
    if (2 * g + 1 < count) out[2 * g + 1] = mean + std * r * Math.sin(t);
  }
  return out;
}
