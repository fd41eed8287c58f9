// Reference Householder QR (LAPACK dgeqr2 + dorg2r conventions, unblocked, two passes per reflector),
// plain TypeScript. Returns thin Q (m×k) and R (k×n), k = min(m, n).

export function qrRef(a: Float64Array, m: number, n: number): { q: Float64Array; r: Float64Array } {
  const k = Math.min(m, n);
  const w = Float64Array.from(a);
  const tau = new Float64Array(k);
  const wv = new Float64Array(n);
  for (let j = 0; j < k; j++) {
    const x0 = w[j * n + j] as number;
    let tail = 0;
    for (let i = j + 1; i < m; i++) tail += (w[i * n + j] as number) ** 2;
    let t = 0;
    let beta = x0;
    let scale = 0;
    if (tail > 0) {
      const norm = Math.sqrt(x0 * x0 + tail);
      beta = x0 >= 0 ? -norm : norm;
      t = (beta - x0) / beta;
      scale = 1 / (x0 - beta);
    }
    tau[j] = t;
    w[j * n + j] = beta;
    for (let i = j + 1; i < m; i++) w[i * n + j] = (w[i * n + j] as number) * scale;
    // w = vᵀ X[j:, j+1:], then X -= τ v wᵀ.
    for (let c = j + 1; c < n; c++) wv[c] = w[j * n + c] as number;
    for (let i = j + 1; i < m; i++) {
      const v = w[i * n + j] as number;
      for (let c = j + 1; c < n; c++) wv[c] = (wv[c] as number) + v * (w[i * n + c] as number);
    }
    for (let i = j; i < m; i++) {
      const v = i === j ? 1 : (w[i * n + j] as number);
      for (let c = j + 1; c < n; c++) w[i * n + c] = (w[i * n + c] as number) - t * v * (wv[c] as number);
    }
  }
  const r = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r[i * n + c] = w[i * n + c] as number;
  const q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  const qv = new Float64Array(k);
  for (let j = k - 1; j >= 0; j--) {
    const t = tau[j] as number;
    for (let c = j; c < k; c++) qv[c] = 0;
    for (let i = j; i < m; i++) {
      const v = i === j ? 1 : (w[i * n + j] as number);
      for (let c = j; c < k; c++) qv[c] = (qv[c] as number) + v * (q[i * k + c] as number);
    }
    for (let i = j; i < m; i++) {
      const v = i === j ? 1 : (w[i * n + j] as number);
      for (let c = j; c < k; c++) q[i * k + c] = (q[i * k + c] as number) - t * v * (qv[c] as number);
    }
  }
  return { q, r };
}
