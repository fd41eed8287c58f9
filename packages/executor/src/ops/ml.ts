/**
 * Ops of the ML API (names from @wukong/graph's ML_OPS): SVC training on a sample, blockwise prediction
 * and an accuracy count. A trained model travels between tasks as a plain list value:
 *   ['svc', kernel, gamma, coef0, degree, C, negClass, posClass, supportVectors (nSV×d), dualCoef (nSV),
 *    intercept, iterations, converged]
 */
import { ML_OPS, isNDArray } from '@wukong/graph';
import type { SvcModel, SvcParams } from '@wukong/kernels';
import { BadOpArgsError } from '../errors.js';
import type { Value } from '../values.js';
import { f64, kernels, operandBlock, release, viewOf } from './blocks.js';
import type { OpDefinition } from './registry.js';

const MODEL_TAG = 'svc';

function encodeModel(m: SvcModel): Value {
  return [
    MODEL_TAG,
    m.kernel,
    m.gamma,
    m.coef0,
    m.degree,
    m.C,
    m.classes[0],
    m.classes[1],
    f64([m.nSV, m.d], m.supportVectors),
    f64([m.nSV], m.dualCoef),
    m.intercept,
    m.iterations,
    m.converged,
  ];
}

function decodeModel(op: string, v: Value): SvcModel {
  if (!Array.isArray(v) || v[0] !== MODEL_TAG || v.length !== 13)
    throw new BadOpArgsError(op, 'model must be the output of ml.svc-fit');
  const sv = v[8];
  const coef = v[9];
  if (
    !isNDArray(sv) ||
    !isNDArray(coef) ||
    !(sv.data instanceof Float64Array) ||
    !(coef.data instanceof Float64Array)
  )
    throw new BadOpArgsError(op, 'model arrays are missing');
  const kernel = v[1];
  if (kernel !== 'rbf' && kernel !== 'linear' && kernel !== 'poly')
    throw new BadOpArgsError(op, `unknown kernel ${String(kernel)}`);
  return {
    kernel,
    gamma: v[2] as number,
    coef0: v[3] as number,
    degree: v[4] as number,
    C: v[5] as number,
    classes: [v[6] as number, v[7] as number],
    d: sv.shape[1]!,
    nSV: sv.shape[0]!,
    supportVectors: sv.data,
    supportIndices: new Int32Array(0),
    dualCoef: coef.data,
    intercept: v[10] as number,
    iterations: v[11] as number,
    converged: v[12] as boolean,
  };
}

function svcParams(op: string, v: Value | undefined): SvcParams {
  if (!Array.isArray(v) || v.length !== 6)
    throw new BadOpArgsError(op, 'params must be [kernel, C, gamma, degree, coef0, tol]');
  const [kernel, C, gamma, degree, coef0, tol] = v as Value[];
  if (kernel !== 'rbf' && kernel !== 'linear' && kernel !== 'poly')
    throw new BadOpArgsError(op, `unknown kernel ${String(kernel)}`);
  if (typeof gamma !== 'number' && gamma !== 'scale' && gamma !== 'auto')
    throw new BadOpArgsError(op, 'gamma must be a number, scale or auto');
  return {
    kernel,
    C: C as number,
    gamma,
    degree: degree as number,
    coef0: coef0 as number,
    tol: tol as number,
  };
}

export const mlOps: readonly OpDefinition[] = [
  {
    name: ML_OPS.svcFit,
    doc: 'ml.svc-fit(x, y, rows, params) — a C-SVC trained on the first rows of x and y; params [kernel, C, gamma, degree, coef0, tol].',
    minArgs: 4,
    maxArgs: 4,
    run: async (args) => {
      const op = ML_OPS.svcFit;
      const k = await kernels();
      const rows = args[2];
      if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 2)
        throw new BadOpArgsError(op, 'rows must be an integer ≥ 2');
      const x = operandBlock(k, op, args[0]!, 'x', rows);
      const y = operandBlock(k, op, args[1]!, 'y', rows);
      try {
        if (x.rows < rows || y.rows < rows)
          throw new BadOpArgsError(op, `needs ${rows} rows, x has ${x.rows}, y ${y.rows}`);
        const xs = viewOf(x).slice(0, rows * x.cols);
        const ys = viewOf(y).slice(0, rows);
        return encodeModel(k.svcFit(xs, ys, rows, x.cols, svcParams(op, args[3])));
      } finally {
        release(k, x, y);
      }
    },
  },
  {
    name: ML_OPS.svcPredict,
    doc: 'ml.svc-predict(model, x) — predicted labels of the rows of x (a block or a generator spec).',
    minArgs: 2,
    maxArgs: 2,
    run: async (args) => {
      const op = ML_OPS.svcPredict;
      const k = await kernels();
      const model = decodeModel(op, args[0]!);
      const x = operandBlock(k, op, args[1]!, 'x');
      try {
        if (x.cols !== model.d)
          throw new BadOpArgsError(op, `x has ${x.cols} features, the model ${model.d}`);
        return f64([x.rows], k.svcPredict(model, x.data, x.rows));
      } finally {
        release(k, x);
      }
    },
  },
  {
    name: ML_OPS.accuracy,
    doc: 'ml.accuracy(yTrue, yPred, skipRows) — [correct, counted] over the rows after the first skipRows.',
    minArgs: 3,
    maxArgs: 3,
    run: async (args) => {
      const op = ML_OPS.accuracy;
      const k = await kernels();
      const skip = args[2];
      if (typeof skip !== 'number' || !Number.isSafeInteger(skip) || skip < 0)
        throw new BadOpArgsError(op, 'skipRows must be a non-negative integer');
      const t = operandBlock(k, op, args[0]!, 'yTrue');
      const p = operandBlock(k, op, args[1]!, 'yPred');
      try {
        if (t.rows !== p.rows) throw new BadOpArgsError(op, `${t.rows} true labels, ${p.rows} predictions`);
        const tv = viewOf(t);
        const pv = viewOf(p);
        let correct = 0;
        for (let i = skip; i < t.rows; i++) if (tv[i] === pv[i]) correct++;
        return f64([2], Float64Array.of(correct, Math.max(0, t.rows - skip)));
      } finally {
        release(k, t, p);
      }
    },
  },
];
