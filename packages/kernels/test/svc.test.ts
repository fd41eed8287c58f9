// C-SVC: perfect accuracy on a linearly separable set, RBF needed (and sufficient) on a ring-shaped set,
// decision values against the reference SMO, libsvm's 'scale' gamma, label mapping, models as plain data.
// Reference agreement: both run the same SMO, so with a tight stopping tolerance (tol = 1e-8) they reach
// the same optimum and decision values agree within 1e-6. (At the default tol = 1e-3 the optimum is only
// determined to about 1e-3, and the wasm exp and V8's Math.exp may differ in the last bit, which can
// steer the RBF iteration onto a different, equally valid path.)
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, reference as R, type Kernels, type SvcKernel } from '../src/index.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

/** Two Gaussian blobs separated by a margin along a fixed direction; labels 3 and 7. */
function separable(n: number, d: number, seed: number): { x: Float64Array; y: Float64Array } {
  const x = R.rngNormalRef(seed, 0, n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const positive = i % 2 === 0;
    y[i] = positive ? 7 : 3;
    x[i * d] = (x[i * d] as number) * 0.5 + (positive ? 3 : -3);
  }
  return { x, y };
}

/** Inside vs outside a circle of radius ~1.2 in the first two of d features: not linearly separable. */
function ring(n: number, d: number, seed: number): { x: Float64Array; y: Float64Array } {
  const x = R.rngNormalRef(seed, 0, n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = (x[i * d] as number) ** 2 + (x[i * d + 1] as number) ** 2 > 1.4 ? 1 : 0;
  return { x, y };
}

function accuracy(pred: Float64Array, y: Float64Array): number {
  let hit = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) hit++;
  return hit / y.length;
}

describe('svc', () => {
  it('separates a linearly separable set perfectly, with labels mapped back', () => {
    const train = separable(300, 4, 1);
    const test = separable(500, 4, 2);
    const model = k.svcFit(train.x, train.y, 300, 4, { kernel: 'linear' });
    expect(model.classes).toEqual([3, 7]);
    expect(model.converged).toBe(true);
    expect(accuracy(k.svcPredict(model, test.x, 500), test.y)).toBe(1);
  });

  it('needs the RBF kernel on a ring: rbf ≥ 0.9, linear ≤ 0.75 on held-out rows', () => {
    const train = ring(600, 5, 3);
    const test = ring(1000, 5, 4);
    const rbf = k.svcFit(train.x, train.y, 600, 5, { kernel: 'rbf', C: 10 });
    const lin = k.svcFit(train.x, train.y, 600, 5, { kernel: 'linear' });
    expect(accuracy(k.svcPredict(rbf, test.x, 1000), test.y)).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(k.svcPredict(lin, test.x, 1000), test.y)).toBeLessThanOrEqual(0.75);
  });

  it.each(['rbf', 'linear', 'poly'] as SvcKernel[])(
    '%s: same model and decision values as the reference SMO',
    (kernel) => {
      const train = ring(250, 3, 5);
      const test = ring(300, 3, 6);
      const params = { kernel, C: 2, degree: 2, coef0: 1, tol: 1e-8 };
      const model = k.svcFit(train.x, train.y, 250, 3, params);
      const ref = R.svcFitRef(train.x, train.y, 250, 3, params);
      expect(model.converged).toBe(true);
      expect(Array.from(model.supportIndices)).toEqual(Array.from(ref.supportIndices));
      expect(Math.abs(model.intercept - ref.intercept)).toBeLessThanOrEqual(1e-6);
      const f = k.svcDecision(model, test.x, 300);
      const fr = R.svcDecisionRef(ref, test.x, 300);
      expect(R.maxAbsDiffRef(f, fr)).toBeLessThanOrEqual(1e-6);
      expect(Array.from(k.svcPredict(model, test.x, 300))).toEqual(
        Array.from(R.svcPredictRef(ref, test.x, 300)),
      );
    },
  );

  it('at the default tolerance, decision values agree with the reference within 1e-2', () => {
    const train = ring(400, 4, 11);
    const model = k.svcFit(train.x, train.y, 400, 4);
    const ref = R.svcFitRef(train.x, train.y, 400, 4);
    expect(
      R.maxAbsDiffRef(k.svcDecision(model, train.x, 400), R.svcDecisionRef(ref, train.x, 400)),
    ).toBeLessThanOrEqual(1e-2);
  });

  it("gamma 'scale' is 1/(d·Var(X)) and 'auto' is 1/d", () => {
    const { x, y } = ring(100, 4, 7);
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
    expect(k.svcFit(x, y, 100, 4).gamma).toBeCloseTo(1 / (4 * v), 12);
    expect(k.svcFit(x, y, 100, 4, { gamma: 'auto' }).gamma).toBe(0.25);
  });

  it('a model is plain data: it survives structured clone and predicts the same', () => {
    const { x, y } = ring(200, 3, 8);
    const model = k.svcFit(x, y, 200, 3);
    const copy = structuredClone(model);
    expect(Array.from(k.svcDecision(copy, x, 200))).toEqual(Array.from(k.svcDecision(model, x, 200)));
  });

  it('predicts over many row blocks (rows not a multiple of the block size)', () => {
    const { x, y } = ring(300, 3, 9);
    const model = k.svcFit(x, y, 300, 3);
    const test = ring(1001, 3, 10);
    const f = k.svcDecision(model, test.x, 1001);
    expect(R.maxAbsDiffRef(f, R.svcDecisionRef(model, test.x, 1001))).toBeLessThanOrEqual(1e-9);
  });

  it('multi-class one-vs-one: three blobs classified, same votes as the reference, ties to the smaller class', () => {
    const n = 300;
    const d = 2;
    const centres = [
      [0, 3],
      [3, -2],
      [-3, -2],
    ];
    const make = (seed: number) => {
      const x = R.rngNormalRef(seed, 0, n * d);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const c = i % 3;
        y[i] = c * 10;
        x[i * d] = (x[i * d] as number) + (centres[c]?.[0] ?? 0);
        x[i * d + 1] = (x[i * d + 1] as number) + (centres[c]?.[1] ?? 0);
      }
      return { x, y };
    };
    const train = make(21);
    const test = make(22);
    const model = k.svcFitOvo(train.x, train.y, n, d);
    expect(model.classes).toEqual([0, 10, 20]);
    expect(model.pairs.map((p) => p.classes)).toEqual([
      [0, 10],
      [0, 20],
      [10, 20],
    ]);
    const pred = k.svcPredictOvo(model, test.x, n);
    expect(accuracy(pred, test.y)).toBeGreaterThanOrEqual(0.95);
    const ref = R.svcFitOvoRef(train.x, train.y, n, d);
    expect(Array.from(pred)).toEqual(Array.from(R.svcPredictOvoRef(ref, test.x, n)));
  });
});
