// Test helpers: deterministic inputs (the reference Philox, so no test depends on Math.random) and
// matrix checks used across the suites.
import { reference } from '../src/index.js';

/** m·n values uniform in [-1, 1), fixed by `seed`. */
export function randomMatrix(m: number, n: number, seed: number): Float64Array {
  return reference.rngUniformRef(seed, 0, m * n, -1, 1);
}

/** max |AᵀA − I| for A (m×k). */
export function orthonormalityError(a: Float64Array, m: number, k: number): number {
  let worst = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += (a[r * k + i] as number) * (a[r * k + j] as number);
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

/** U (m×k) · diag(s) · Vt (k×n). */
export function reconstruct(
  u: Float64Array,
  s: Float64Array,
  vt: Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const us = new Float64Array(m * k);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < k; j++) us[i * k + j] = (u[i * k + j] as number) * (s[j] as number);
  return reference.matmulRef(us, m, k, vt, n);
}

/** A small deterministic LCG for choosing sizes and orders in tests. */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
