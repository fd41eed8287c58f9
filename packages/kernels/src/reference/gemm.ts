// Reference GEMM: the textbook triple loop in i-p-j order (unit stride on B and C), plain TypeScript.
// The tests compare the wasm kernel against it; the bench reports the wasm speed-up over it.

/** C (m×n) = alpha·op(A)·op(B) + beta·C; A stored m×k (k×m when transA), B k×n (n×k when transB). */
export function gemmRef(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  b: Float64Array,
  beta: number,
  c: Float64Array,
): void {
  for (let i = 0; i < m * n; i++) c[i] = beta === 0 ? 0 : beta * (c[i] as number);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = alpha * (transA ? (a[p * m + i] as number) : (a[i * k + p] as number));
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) {
        const bpj = transB ? (b[j * k + p] as number) : (b[p * n + j] as number);
        c[i * n + j] = (c[i * n + j] as number) + aip * bpj;
      }
    }
  }
}

/** A (m×k) · B (k×n) as a new array. */
export function matmulRef(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(m * n);
  gemmRef(false, false, m, n, k, 1, a, b, 0, c);
  return c;
}
