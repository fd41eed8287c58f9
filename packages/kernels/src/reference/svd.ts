// Reference SVD: one-sided Jacobi (Hestenes 1958; the de Rijk sweep without pivoting), plain TypeScript.
// A deliberately different method from the wasm kernel (Golub–Kahan–Reinsch), so the two check each
// other. Columns are rotated until every pair is orthogonal to relative precision; singular values are
// the column norms. Works on the tall orientation; left vectors of zero singular values are left zero.

export function svdRef(
  a: Float64Array,
  m: number,
  n: number,
): { u: Float64Array; s: Float64Array; vt: Float64Array } {
  const tall = m >= n;
  const M = tall ? m : n;
  const N = tall ? n : m;
  // cols[j] = column j of the tall matrix, stored contiguously.
  const cols: Float64Array[] = [];
  for (let j = 0; j < N; j++) {
    const c = new Float64Array(M);
    for (let i = 0; i < M; i++) c[i] = (tall ? a[i * n + j] : a[j * n + i]) as number;
    cols.push(c);
  }
  const v: Float64Array[] = [];
  for (let j = 0; j < N; j++) {
    const r = new Float64Array(N);
    r[j] = 1;
    v.push(r);
  }
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < N - 1; p++) {
      for (let q = p + 1; q < N; q++) {
        const x = cols[p] as Float64Array;
        const y = cols[q] as Float64Array;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < M; i++) {
          const xi = x[i] as number;
          const yi = y[i] as number;
          alpha += xi * xi;
          beta += yi * yi;
          gamma += xi * yi;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < M; i++) {
          const xi = x[i] as number;
          const yi = y[i] as number;
          x[i] = c * xi - s * yi;
          y[i] = s * xi + c * yi;
        }
        const vx = v[p] as Float64Array;
        const vy = v[q] as Float64Array;
        for (let i = 0; i < N; i++) {
          const xi = vx[i] as number;
          const yi = vy[i] as number;
          vx[i] = c * xi - s * yi;
          vy[i] = s * xi + c * yi;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = cols.map((c) => Math.sqrt(c.reduce((acc, x) => acc + x * x, 0)));
  const order = norms.map((_, i) => i).sort((i, j) => (norms[j] as number) - (norms[i] as number));
  const s = new Float64Array(N);
  const left = new Float64Array(N * M); // rows: left singular vectors of the tall problem
  const right = new Float64Array(N * N); // rows: right singular vectors of the tall problem
  order.forEach((j, r) => {
    const nj = norms[j] as number;
    s[r] = nj;
    const c = cols[j] as Float64Array;
    if (nj > 0) for (let i = 0; i < M; i++) left[r * M + i] = (c[i] as number) / nj;
    right.set(v[j] as Float64Array, r * N);
  });
  // Tall: A = Left·S·Right with U = leftᵀ, Vt = right. Wide: Aᵀ = …, so U = rightᵀ and Vt = left.
  const u = new Float64Array(m * N);
  if (tall) {
    for (let r = 0; r < N; r++) for (let i = 0; i < M; i++) u[i * N + r] = left[r * M + i] as number;
    return { u, s, vt: right };
  }
  for (let r = 0; r < N; r++) for (let i = 0; i < N; i++) u[i * N + r] = right[r * N + i] as number;
  return { u, s, vt: left };
}
