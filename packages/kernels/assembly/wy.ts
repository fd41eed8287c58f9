// Compact-WY block reflectors (Schreiber & Van Loan 1989; LAPACK dlarft/dlarfb), shared by the blocked
// QR and the SVD's Uᵀ/Vᵀ accumulation. A block of nb reflectors H_0⋯H_{nb−1} = I − Y·T·Yᵀ, with Y
// (len×nb, row-major, unit lower trapezoidal: the reflector vectors as columns) and T (nb×nb) upper
// triangular; applying it to a matrix is three GEMMs, so the bulk of the work runs in the SIMD kernel.
import { ld, st } from './simd';
import { gemm } from './gemm';

// T built column by column as dlarft does: T[0:c, c] = −τ_c·T[0:c, 0:c]·(Yᵀ·Y)[0:c, c]; G (nb×nb) is
// scratch for the Gram matrix Yᵀ·Y.
export function formT(Y: usize, len: i32, nb: i32, tau: usize, T: usize, G: usize, gemmWork: usize): void {
  gemm(1, 0, nb, nb, len, 1.0, Y, nb, Y, nb, 0.0, G, nb, gemmWork);
  memory.fill(T, 0, (<usize>(nb * nb)) << 3);
  for (let c = 0; c < nb; c++) {
    const tc = ld(tau, c);
    st(T, c * nb + c, tc);
    for (let r = 0; r < c; r++) {
      let acc = 0.0;
      for (let q = r; q < c; q++) acc += ld(T, r * nb + q) * ld(G, q * nb + c);
      st(T, r * nb + c, -tc * acc);
    }
  }
}

// X[rows×len] ← X·(I − Y·T·Yᵀ)ᵀ = X − ((X·Y)·Tᵀ)·Yᵀ, X with leading dimension ldx. Z and Z2 hold
// rows×nb each.
export function applyBlockRight(
  X: usize,
  ldx: i32,
  rows: i32,
  len: i32,
  Y: usize,
  T: usize,
  nb: i32,
  Z: usize,
  Z2: usize,
  gemmWork: usize,
): void {
  gemm(0, 0, rows, nb, len, 1.0, X, ldx, Y, nb, 0.0, Z, nb, gemmWork);
  gemm(0, 1, rows, nb, nb, 1.0, Z, nb, T, nb, 0.0, Z2, nb, gemmWork);
  gemm(0, 1, rows, len, nb, -1.0, Z2, nb, Y, nb, 1.0, X, ldx, gemmWork);
}

// C[len×cols] ← op(I − Y·T·Yᵀ)·C = C − Y·(op(T)·(Yᵀ·C)), C with leading dimension ldc; op(T) = Tᵀ when
// transT (the transposed block, H_{nb−1}⋯H_0, which is what a factorisation applies to the trailing
// columns), T otherwise (H_0⋯H_{nb−1}, what forming Q applies). Z and Z2 hold nb×cols each (leading
// dimension cols). When `zReady` columns of Z are already filled (Yᵀ·C known for C's first zReady
// columns), only the rest is computed.
export function applyBlockLeft(
  C: usize,
  ldc: i32,
  len: i32,
  cols: i32,
  Y: usize,
  T: usize,
  nb: i32,
  transT: bool,
  Z: usize,
  Z2: usize,
  zReady: i32,
  gemmWork: usize,
): void {
  if (cols <= 0) return;
  if (zReady < cols) {
    const o = (<usize>zReady) << 3;
    gemm(1, 0, nb, cols - zReady, len, 1.0, Y, nb, C + o, ldc, 0.0, Z + o, cols, gemmWork);
  }
  gemm(transT ? 1 : 0, 0, nb, cols, nb, 1.0, T, nb, Z, cols, 0.0, Z2, cols, gemmWork);
  gemm(0, 0, len, cols, nb, -1.0, Y, nb, Z2, cols, 1.0, C, ldc, gemmWork);
}
