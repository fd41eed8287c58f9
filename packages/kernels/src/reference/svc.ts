// Reference C-SVC in plain TypeScript: the same SMO as assembly/svc.ts (libsvm's WSS-3 working-set
// selection, two-variable update and ρ rule, no shrinking) with every kernel row kept, and a per-row,
// per-support-vector decision function as libsvm's predict computes it.
import {
  distinctClasses,
  pairSubset,
  resolveSvcParams,
  voteOvo,
  type SvcModel,
  type SvcOvoModel,
  type SvcParams,
} from '../svc-model.js';

const TAU = 1e-12;

function dotSeq(x: Float64Array, i: number, y: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += (x[i * d + k] as number) * (y[j * d + k] as number);
  return s;
}

function kernelValue(
  kind: string,
  dot: number,
  ni: number,
  nj: number,
  gamma: number,
  coef0: number,
  degree: number,
): number {
  if (kind === 'rbf') return Math.exp(-gamma * (ni + nj - 2 * dot));
  if (kind === 'poly') {
    let r = 1;
    const b = gamma * dot + coef0;
    for (let i = 0; i < degree; i++) r *= b;
    return r;
  }
  return dot;
}

export function svcFitRef(
  x: Float64Array,
  labels: Float64Array,
  n: number,
  d: number,
  params: SvcParams = {},
): SvcModel {
  const p = resolveSvcParams(params, x, n, d);
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  if (classes.length !== 2) throw new Error('svcFitRef: need exactly two classes');
  const [neg, pos] = classes as [number, number];
  const y = labels.map((v) => (v === pos ? 1 : -1));
  const xsq = new Float64Array(n);
  const QD = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xsq[i] = dotSeq(x, i, x, i, d);
    QD[i] = kernelValue(
      p.kernel,
      xsq[i] as number,
      xsq[i] as number,
      xsq[i] as number,
      p.gamma,
      p.coef0,
      p.degree,
    );
  }
  const rows = new Map<number, Float64Array>();
  const row = (i: number): Float64Array => {
    let r = rows.get(i);
    if (!r) {
      r = new Float64Array(n);
      for (let t = 0; t < n; t++)
        r[t] = kernelValue(
          p.kernel,
          dotSeq(x, i, x, t, d),
          xsq[i] as number,
          xsq[t] as number,
          p.gamma,
          p.coef0,
          p.degree,
        );
      rows.set(i, r);
    }
    return r;
  };
  const alpha = new Float64Array(n);
  const G = new Float64Array(n).fill(-1);
  const C = p.C;
  let iter = 0;
  let converged = false;
  while (iter < p.maxIter) {
    let Gmax = -Infinity;
    let Gmax2 = -Infinity;
    let ii = -1;
    for (let t = 0; t < n; t++) {
      const a = alpha[t] as number;
      const gt = G[t] as number;
      if ((y[t] as number) > 0) {
        if (a < C && -gt >= Gmax) {
          Gmax = -gt;
          ii = t;
        }
      } else if (a > 0 && gt >= Gmax) {
        Gmax = gt;
        ii = t;
      }
    }
    if (ii < 0) {
      converged = true;
      break;
    }
    const Ki = row(ii);
    const qdi = QD[ii] as number;
    let jj = -1;
    let objMin = Infinity;
    for (let t = 0; t < n; t++) {
      const a = alpha[t] as number;
      const gt = G[t] as number;
      let gd: number;
      if ((y[t] as number) > 0) {
        if (!(a > 0)) continue;
        gd = Gmax + gt;
        if (gt >= Gmax2) Gmax2 = gt;
      } else {
        if (!(a < C)) continue;
        gd = Gmax - gt;
        if (-gt >= Gmax2) Gmax2 = -gt;
      }
      if (gd > 0) {
        let quad = qdi + (QD[t] as number) - 2 * (Ki[t] as number);
        if (quad <= 0) quad = TAU;
        const obj = -(gd * gd) / quad;
        if (obj <= objMin) {
          objMin = obj;
          jj = t;
        }
      }
    }
    if (Gmax + Gmax2 < p.tol || jj < 0) {
      converged = true;
      break;
    }
    iter++;
    const Kj = row(jj);
    const yi = y[ii] as number;
    const yj = y[jj] as number;
    const Kij = Ki[jj] as number;
    const oldAi = alpha[ii] as number;
    const oldAj = alpha[jj] as number;
    let ai = oldAi;
    let aj = oldAj;
    const Gi = G[ii] as number;
    const Gj = G[jj] as number;
    if (yi !== yj) {
      let quad = qdi + (QD[jj] as number) - 2 * Kij;
      if (quad <= 0) quad = TAU;
      const delta = (-Gi - Gj) / quad;
      const diff = ai - aj;
      ai += delta;
      aj += delta;
      if (diff > 0) {
        if (aj < 0) {
          aj = 0;
          ai = diff;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = -diff;
      }
      if (diff > 0) {
        if (ai > C) {
          ai = C;
          aj = C - diff;
        }
      } else if (aj > C) {
        aj = C;
        ai = C + diff;
      }
    } else {
      let quad = qdi + (QD[jj] as number) - 2 * Kij;
      if (quad <= 0) quad = TAU;
      const delta = (Gi - Gj) / quad;
      const total = ai + aj;
      ai -= delta;
      aj += delta;
      if (total > C) {
        if (ai > C) {
          ai = C;
          aj = total - C;
        }
      } else if (aj < 0) {
        aj = 0;
        ai = total;
      }
      if (total > C) {
        if (aj > C) {
          aj = C;
          ai = total - C;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = total;
      }
    }
    alpha[ii] = ai;
    alpha[jj] = aj;
    const di = (ai - oldAi) * yi;
    const dj = (aj - oldAj) * yj;
    for (let t = 0; t < n; t++)
      G[t] = (G[t] as number) + (y[t] as number) * ((Ki[t] as number) * di + (Kj[t] as number) * dj);
  }
  let ub = Infinity;
  let lb = -Infinity;
  let nFree = 0;
  let sumFree = 0;
  for (let t = 0; t < n; t++) {
    const yt = y[t] as number;
    const yG = yt * (G[t] as number);
    const a = alpha[t] as number;
    if (a >= C) {
      if (yt < 0) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else if (a <= 0) {
      if (yt > 0) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else {
      nFree++;
      sumFree += yG;
    }
  }
  const rho = nFree > 0 ? sumFree / nFree : (ub + lb) / 2;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if ((alpha[i] as number) > 0) idx.push(i);
  const supportVectors = new Float64Array(idx.length * d);
  const dualCoef = new Float64Array(idx.length);
  idx.forEach((i, s) => {
    supportVectors.set(x.subarray(i * d, i * d + d), s * d);
    dualCoef[s] = (alpha[i] as number) * (y[i] as number);
  });
  return {
    kernel: p.kernel,
    gamma: p.gamma,
    coef0: p.coef0,
    degree: p.degree,
    C: p.C,
    classes: [neg, pos],
    d,
    nSV: idx.length,
    supportVectors,
    supportIndices: Int32Array.from(idx),
    dualCoef,
    intercept: -rho,
    iterations: iter,
    converged,
  };
}

/** Decision values, one kernel evaluation per (row, support vector), as libsvm predicts. */
export function svcDecisionRef(model: SvcModel, x: Float64Array, rows: number): Float64Array {
  const d = model.d;
  const sv = model.supportVectors;
  const svn = new Float64Array(model.nSV);
  for (let s = 0; s < model.nSV; s++) svn[s] = dotSeq(sv, s, sv, s, d);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const xn = dotSeq(x, r, x, r, d);
    let f = model.intercept;
    for (let s = 0; s < model.nSV; s++) {
      f +=
        (model.dualCoef[s] as number) *
        kernelValue(
          model.kernel,
          dotSeq(x, r, sv, s, d),
          xn,
          svn[s] as number,
          model.gamma,
          model.coef0,
          model.degree,
        );
    }
    out[r] = f;
  }
  return out;
}

export function svcPredictRef(model: SvcModel, x: Float64Array, rows: number): Float64Array {
  const f = svcDecisionRef(model, x, rows);
  return f.map((v) => (v > 0 ? model.classes[1] : model.classes[0]));
}

/** One-vs-one multi-class fit over svcFitRef (gamma resolved once on all of x). */
export function svcFitOvoRef(
  x: Float64Array,
  y: Float64Array,
  n: number,
  d: number,
  params: SvcParams = {},
): SvcOvoModel {
  const classes = distinctClasses('svcFitOvoRef', y, 2);
  const gamma = resolveSvcParams(params, x, n, d).gamma;
  const pairs: SvcModel[] = [];
  for (let i = 0; i < classes.length; i++) {
    for (let j = i + 1; j < classes.length; j++) {
      const sub = pairSubset(x, y, d, classes[i] as number, classes[j] as number);
      pairs.push(svcFitRef(sub.x, sub.y, sub.n, d, { ...params, gamma }));
    }
  }
  return { classes, d, pairs };
}

export function svcPredictOvoRef(model: SvcOvoModel, x: Float64Array, rows: number): Float64Array {
  return voteOvo(
    model.classes,
    model.pairs.map((p) => svcPredictRef(p, x, rows)),
    rows,
  );
}
