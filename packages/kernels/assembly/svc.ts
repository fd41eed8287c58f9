// C-SVC (binary, labels ±1). Training: SMO with libsvm's second-order working-set selection (Fan, Chen &
// Lin, JMLR 2005, "WSS 3") and libsvm's two-variable update and ρ rule, without shrinking; kernel rows are
// computed on demand into an LRU row cache owned by the host's workspace. Prediction: decision values
// f(x) = Σ_s coef_s·K(sv_s, x) − ρ over blocks of rows, with the inner products of a block against all
// support vectors computed by one GEMM (X_blk·SVᵀ), then the kernel map and the weighted sum per row.
import { gemm } from './gemm';
import { dotv, ld, st } from './simd';

export const KERNEL_LINEAR: i32 = 0;
export const KERNEL_POLY: i32 = 1;
export const KERNEL_RBF: i32 = 2;

const TAU: f64 = 1e-12;
const PREDICT_BLOCK: i32 = 64;

/** Bytes of training workspace for n rows and a cache of cacheRows kernel rows. */
export function svcTrainWorkspaceBytes(n: i32, cacheRows: i32): usize {
  return (
    ((<usize>3 * <usize>n + <usize>cacheRows * <usize>n) << 3) + ((<usize>n + 2 * <usize>cacheRows) << 2) + 64
  );
}

/** Bytes of prediction workspace for nSV support vectors (excluding the GEMM pack workspace). */
export function svcPredictWorkspaceBytes(nSV: i32, d: i32): usize {
  return (<usize>(PREDICT_BLOCK + nSV + PREDICT_BLOCK * nSV + d + 2)) << 3;
}

function powInt(b: f64, e: i32): f64 {
  let r = 1.0;
  for (let i = 0; i < e; i++) r *= b;
  return r;
}

// Sequential dot product (same order as the reference implementation, so training paths agree).
function dotSeq(x: usize, y: usize, d: i32): f64 {
  let s = 0.0;
  for (let i = 0; i < d; i++) s += ld(x, i) * ld(y, i);
  return s;
}

function kernelValue(kind: i32, dot: f64, ni: f64, nj: f64, gamma: f64, coef0: f64, degree: i32): f64 {
  if (kind == KERNEL_RBF) return Math.exp(-gamma * (ni + nj - 2.0 * dot));
  if (kind == KERNEL_POLY) return powInt(gamma * dot + coef0, degree);
  return dot;
}

// Training state (one training run at a time per instance).
let nRows: i32 = 0;
let dims: i32 = 0;
let X: usize = 0;
let xsq: usize = 0;
let kind: i32 = 0;
let kGamma: f64 = 0;
let kCoef0: f64 = 0;
let kDegree: i32 = 0;
let cache: usize = 0;
let slots: i32 = 0;
let slotOfRow: usize = 0; // i32[n], −1 when not cached
let rowOfSlot: usize = 0; // i32[slots]
let lastUse: usize = 0; // i32[slots]
let clock: i32 = 0;

function kernelRow(i: i32): usize {
  clock++;
  const cached = load<i32>(slotOfRow + ((<usize>i) << 2));
  if (cached >= 0) {
    store<i32>(lastUse + ((<usize>cached) << 2), clock);
    return cache + ((<usize>cached * <usize>nRows) << 3);
  }
  let victim = 0;
  let oldest = i32.MAX_VALUE;
  for (let s = 0; s < slots; s++) {
    const t = load<i32>(lastUse + ((<usize>s) << 2));
    if (t < oldest) {
      oldest = t;
      victim = s;
    }
  }
  const prev = load<i32>(rowOfSlot + ((<usize>victim) << 2));
  if (prev >= 0) store<i32>(slotOfRow + ((<usize>prev) << 2), -1);
  store<i32>(rowOfSlot + ((<usize>victim) << 2), i);
  store<i32>(slotOfRow + ((<usize>i) << 2), victim);
  store<i32>(lastUse + ((<usize>victim) << 2), clock);
  const row = cache + ((<usize>victim * <usize>nRows) << 3);
  const xi = X + ((<usize>i * <usize>dims) << 3);
  const ni = ld(xsq, i);
  for (let t = 0; t < nRows; t++) {
    const dp = dotSeq(xi, X + ((<usize>t * <usize>dims) << 3), dims);
    st(row, t, kernelValue(kind, dp, ni, ld(xsq, t), kGamma, kCoef0, kDegree));
  }
  return row;
}

/**
 * Train on x (n×d) with labels y (±1). Writes alpha (n) and stats = [ρ, iterations, converged(0/1)].
 * cacheRows ≥ 2. Returns 0.
 */
export function svcTrain(
  n: i32,
  d: i32,
  x: usize,
  y: usize,
  kernel: i32,
  gamma: f64,
  coef0: f64,
  degree: i32,
  C: f64,
  eps: f64,
  maxIter: i32,
  cacheRows: i32,
  alpha: usize,
  stats: usize,
  work: usize,
): i32 {
  nRows = n;
  dims = d;
  X = x;
  kind = kernel;
  kGamma = gamma;
  kCoef0 = coef0;
  kDegree = degree;
  slots = cacheRows;
  clock = 0;
  const G = work;
  const QD = G + ((<usize>n) << 3);
  xsq = QD + ((<usize>n) << 3);
  cache = xsq + ((<usize>n) << 3);
  slotOfRow = cache + ((<usize>cacheRows * <usize>n) << 3);
  rowOfSlot = slotOfRow + ((<usize>n) << 2);
  lastUse = rowOfSlot + ((<usize>cacheRows) << 2);
  for (let i = 0; i < n; i++) {
    const xi = x + ((<usize>i * <usize>d) << 3);
    const sq = dotSeq(xi, xi, d);
    st(xsq, i, sq);
    st(QD, i, kernelValue(kind, sq, sq, sq, gamma, coef0, degree));
    st(alpha, i, 0.0);
    st(G, i, -1.0);
    store<i32>(slotOfRow + ((<usize>i) << 2), -1);
  }
  for (let s = 0; s < cacheRows; s++) {
    store<i32>(rowOfSlot + ((<usize>s) << 2), -1);
    store<i32>(lastUse + ((<usize>s) << 2), 0);
  }
  let iter = 0;
  let converged = 0;
  while (iter < maxIter) {
    // Working set: i maximises −y_t·G_t over I_up; j minimises the second-order gain over I_low.
    let Gmax = -Infinity;
    let Gmax2 = -Infinity;
    let ii = -1;
    for (let t = 0; t < n; t++) {
      const a = ld(alpha, t);
      const gt = ld(G, t);
      if (ld(y, t) > 0.0) {
        if (a < C && -gt >= Gmax) {
          Gmax = -gt;
          ii = t;
        }
      } else if (a > 0.0 && gt >= Gmax) {
        Gmax = gt;
        ii = t;
      }
    }
    if (ii < 0) {
      converged = 1;
      break;
    }
    const Ki = kernelRow(ii);
    const qdi = ld(QD, ii);
    let jj = -1;
    let objMin = Infinity;
    for (let t = 0; t < n; t++) {
      const a = ld(alpha, t);
      const gt = ld(G, t);
      let gd = 0.0;
      if (ld(y, t) > 0.0) {
        if (!(a > 0.0)) continue;
        gd = Gmax + gt;
        if (gt >= Gmax2) Gmax2 = gt;
      } else {
        if (!(a < C)) continue;
        gd = Gmax - gt;
        if (-gt >= Gmax2) Gmax2 = -gt;
      }
      if (gd > 0.0) {
        let quad = qdi + ld(QD, t) - 2.0 * ld(Ki, t);
        if (quad <= 0.0) quad = TAU;
        const obj = -(gd * gd) / quad;
        if (obj <= objMin) {
          objMin = obj;
          jj = t;
        }
      }
    }
    if (Gmax + Gmax2 < eps || jj < 0) {
      converged = 1;
      break;
    }
    iter++;
    const Kj = kernelRow(jj);
    // kernelRow(jj) may have evicted ii's row only if slots < 2; the host guarantees slots ≥ 2.
    const yi = ld(y, ii);
    const yj = ld(y, jj);
    const Kij = ld(Ki, jj);
    const oldAi = ld(alpha, ii);
    const oldAj = ld(alpha, jj);
    let ai = oldAi;
    let aj = oldAj;
    const Gi = ld(G, ii);
    const Gj = ld(G, jj);
    if (yi != yj) {
      let quad = qdi + ld(QD, jj) - 2.0 * Kij; // QD_i + QD_j + 2·Q_ij with Q_ij = −K_ij
      if (quad <= 0.0) quad = TAU;
      const delta = (-Gi - Gj) / quad;
      const diff = ai - aj;
      ai += delta;
      aj += delta;
      if (diff > 0.0) {
        if (aj < 0.0) {
          aj = 0.0;
          ai = diff;
        }
      } else if (ai < 0.0) {
        ai = 0.0;
        aj = -diff;
      }
      if (diff > 0.0) {
        if (ai > C) {
          ai = C;
          aj = C - diff;
        }
      } else if (aj > C) {
        aj = C;
        ai = C + diff;
      }
    } else {
      let quad = qdi + ld(QD, jj) - 2.0 * Kij;
      if (quad <= 0.0) quad = TAU;
      const delta = (Gi - Gj) / quad;
      const total = ai + aj;
      ai -= delta;
      aj += delta;
      if (total > C) {
        if (ai > C) {
          ai = C;
          aj = total - C;
        }
      } else if (aj < 0.0) {
        aj = 0.0;
        ai = total;
      }
      if (total > C) {
        if (aj > C) {
          aj = C;
          ai = total - C;
        }
      } else if (ai < 0.0) {
        ai = 0.0;
        aj = total;
      }
    }
    st(alpha, ii, ai);
    st(alpha, jj, aj);
    // G_t += Q_ti·Δα_i + Q_tj·Δα_j, Q_tk = y_t·y_k·K_tk.
    const di = (ai - oldAi) * yi;
    const dj = (aj - oldAj) * yj;
    for (let t = 0; t < n; t++) {
      st(G, t, ld(G, t) + ld(y, t) * (ld(Ki, t) * di + ld(Kj, t) * dj));
    }
  }
  // ρ: mean of y_t·G_t over free vectors, else the midpoint of the feasible interval.
  let ub = Infinity;
  let lb = -Infinity;
  let nFree = 0;
  let sumFree = 0.0;
  for (let t = 0; t < n; t++) {
    const yt = ld(y, t);
    const yG = yt * ld(G, t);
    const a = ld(alpha, t);
    if (a >= C) {
      if (yt < 0.0) ub = min(ub, yG);
      else lb = max(lb, yG);
    } else if (a <= 0.0) {
      if (yt > 0.0) ub = min(ub, yG);
      else lb = max(lb, yG);
    } else {
      nFree++;
      sumFree += yG;
    }
  }
  const rho = nFree > 0 ? sumFree / <f64>nFree : 0.5 * (ub + lb);
  st(stats, 0, rho);
  st(stats, 1, <f64>iter);
  st(stats, 2, <f64>converged);
  return 0;
}

/**
 * out[r] = Σ_s coef[s]·K(sv_s, x_r) + intercept for r < rows. x (rows×d), sv (nSV×d).
 * work has svcPredictWorkspaceBytes(nSV, d); gemmWork is the GEMM pack workspace.
 */
export function svcDecision(
  rows: i32,
  d: i32,
  x: usize,
  nSV: i32,
  sv: usize,
  coef: usize,
  kernel: i32,
  gamma: f64,
  coef0: f64,
  degree: i32,
  intercept: f64,
  out: usize,
  work: usize,
  gemmWork: usize,
): void {
  const xn = work;
  const svn = xn + ((<usize>PREDICT_BLOCK) << 3);
  const block = svn + ((<usize>nSV) << 3);
  const wvec = block + ((<usize>PREDICT_BLOCK * <usize>nSV) << 3);
  if (kernel == KERNEL_LINEAR) {
    // f(x) = x·w + b with w = Σ_s coef_s·sv_s.
    memory.fill(wvec, 0, (<usize>d) << 3);
    for (let s = 0; s < nSV; s++) {
      const c = ld(coef, s);
      const row = sv + ((<usize>s * <usize>d) << 3);
      for (let k = 0; k < d; k++) st(wvec, k, ld(wvec, k) + c * ld(row, k));
    }
    for (let r = 0; r < rows; r++) st(out, r, dotv(x + ((<usize>r * <usize>d) << 3), wvec, d) + intercept);
    return;
  }
  for (let s = 0; s < nSV; s++) {
    const row = sv + ((<usize>s * <usize>d) << 3);
    st(svn, s, dotv(row, row, d));
  }
  for (let r0 = 0; r0 < rows; r0 += PREDICT_BLOCK) {
    const rb = min(PREDICT_BLOCK, rows - r0);
    const xb = x + ((<usize>r0 * <usize>d) << 3);
    gemm(0, 1, rb, nSV, d, 1.0, xb, d, sv, d, 0.0, block, nSV, gemmWork);
    for (let r = 0; r < rb; r++) {
      const xr = xb + ((<usize>r * <usize>d) << 3);
      const nr = dotv(xr, xr, d);
      const g = block + ((<usize>r * <usize>nSV) << 3);
      let f = intercept;
      if (kernel == KERNEL_RBF) {
        for (let s = 0; s < nSV; s++) {
          f += ld(coef, s) * Math.exp(-gamma * (nr + ld(svn, s) - 2.0 * ld(g, s)));
        }
      } else {
        for (let s = 0; s < nSV; s++) f += ld(coef, s) * powInt(gamma * ld(g, s) + coef0, degree);
      }
      st(out, r0 + r, f);
    }
  }
}
