// Typed errors at the boundary: shape mismatches, bad dimensions, non-finite inputs where they matter,
// invalid options, buffers of another instance; stable name/code that survive structured clone.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BufferFreedError,
  InvalidArgumentError,
  KernelError,
  loadKernels,
  NonFiniteInputError,
  ShapeError,
  type Kernels,
} from '../src/index.js';
import { randomMatrix } from './helpers.js';

let k: Kernels;
let other: Kernels;
beforeAll(async () => {
  k = await loadKernels();
  other = await loadKernels({ warmUp: false });
});

function thrown(f: () => unknown): KernelError {
  try {
    f();
  } catch (e) {
    return e as KernelError;
  }
  throw new Error('expected a throw');
}

describe('errors', () => {
  it('shape mismatches name the routine and argument', () => {
    const e = thrown(() => k.matmul(new Float64Array(6), 2, 3, new Float64Array(5), 2));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.code).toBe('KERNELS_SHAPE_MISMATCH');
    expect(e.message).toMatch(/matmul: b has 5 elements, the shape needs 6/);
    expect(() => k.add(new Float64Array(3), new Float64Array(4))).toThrow(ShapeError);
    expect(() => k.qr(new Float64Array(5), 2, 3)).toThrow(ShapeError);
    expect(thrown(() => k.qrR(new Float64Array(5), 2, 3)).message).toMatch(/^qrR: a has 5 elements/);
    expect(() => k.svd(new Float64Array(4), 2, 2.5)).toThrow(ShapeError);
    expect(() => k.transpose(new Float64Array(4), -2, -2)).toThrow(ShapeError);
    expect(() => k.svcFit(new Float64Array(6), new Float64Array(2), 3, 2)).toThrow(ShapeError);
  });

  it('non-finite inputs to qr, svd and svc are rejected with the offending index', () => {
    const a = randomMatrix(4, 3, 1);
    a[7] = NaN;
    const e = thrown(() => k.qr(a, 4, 3));
    expect(e).toBeInstanceOf(NonFiniteInputError);
    expect(e.code).toBe('KERNELS_NON_FINITE');
    expect((e as NonFiniteInputError).index).toBe(7);
    a[7] = 1;
    a[11] = -Infinity;
    expect((thrown(() => k.svd(a, 4, 3)) as NonFiniteInputError).index).toBe(11);
    const x = randomMatrix(4, 2, 2);
    x[3] = Infinity;
    expect(() => k.svcFit(x, new Float64Array([0, 1, 0, 1]), 4, 2)).toThrow(NonFiniteInputError);
    const big = randomMatrix(1000, 3, 3);
    big[2500] = NaN;
    expect((thrown(() => k.qr(big, 1000, 3)) as NonFiniteInputError).index).toBe(2500);
    expect((thrown(() => k.qrR(big, 1000, 3)) as NonFiniteInputError).index).toBe(2500);
    const e2 = thrown(() => k.svd(big, 1000, 3)); // the QR-first path names svd
    expect((e2 as NonFiniteInputError).index).toBe(2500);
    expect(e2.message).toMatch(/^svd/);
  });

  it('invalid options get InvalidArgumentError', () => {
    const x = randomMatrix(6, 2, 4);
    const y = new Float64Array([0, 1, 0, 1, 0, 1]);
    expect(() => k.svcFit(x, y, 6, 2, { C: 0 })).toThrow(InvalidArgumentError);
    expect(() => k.svcFit(x, y, 6, 2, { gamma: -1 })).toThrow(InvalidArgumentError);
    expect(() => k.svcFit(x, y, 6, 2, { degree: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => k.svcFit(x, new Float64Array([0, 1, 2, 0, 1, 2]), 6, 2)).toThrow(/exactly two distinct/);
    expect(() => k.svcFit(x, new Float64Array(6), 6, 2)).toThrow(InvalidArgumentError);
    expect(() => k.rngUniform(-1, 0, 3)).toThrow(InvalidArgumentError);
    expect(() => k.rngUniform(1, 0.5, 3)).toThrow(InvalidArgumentError);
    expect(() => k.rngUniform(1, 0, 3, { low: 2, high: 1 })).toThrow(InvalidArgumentError);
    expect(() => k.rngNormal(1, 0, 3, { std: -1 })).toThrow(InvalidArgumentError);
  });

  it('a buffer of another instance is rejected', () => {
    const b = other.alloc(4);
    const e = thrown(() => k.sum(b));
    expect(e).toBeInstanceOf(BufferFreedError);
    expect(e.message).toMatch(/another Kernels instance/);
    other.free(b);
  });

  it('name and code survive structured clone (as between worker threads)', () => {
    const e = thrown(() => k.add(new Float64Array(1), new Float64Array(2)));
    const copy = structuredClone({ name: e.name, code: e.code, message: e.message });
    expect(copy).toEqual({ name: 'ShapeError', code: 'KERNELS_SHAPE_MISMATCH', message: e.message });
    expect(Object.keys(e)).toContain('code');
  });
});
