import { describe, expect, it } from 'vitest';
import type { NDArray } from '@wukong/graph';
import { OpRegistry } from '../src/ops/registry.js';
import { standardOps } from '../src/ops/standard.js';
import type { Value } from '../src/values.js';

const ops = new OpRegistry(standardOps);
const run = async (op: string, ...args: Value[]): Promise<Value> =>
  ops.resolve(op, 't', args.length).run(args, { task: 't', signal: new AbortController().signal });

describe('standard ops', () => {
  it('lists every standard op with its documentation', () => {
    expect(ops.names()).toEqual([
      'add',
      'fail',
      'getitem',
      'identity',
      'max',
      'min',
      'mod',
      'mul',
      'sleep',
      'sum',
    ]);
    for (const d of ops.describe()) expect(d.doc.startsWith(d.name)).toBe(true);
  });

  it('folds numbers', async () => {
    expect(await run('add', 1, 2, 3)).toBe(6);
    expect(await run('sum', [4, 5])).toBe(9);
    expect(await run('mul', 2, 3, 4)).toBe(24);
    expect(await run('min', 3, -1, 2)).toBe(-1);
    expect(await run('max', 3, -1, 2)).toBe(3);
    expect(await run('mod', -7, 3)).toBe(2);
  });

  it('works elementwise on equal-shape arrays and broadcasts numbers', async () => {
    const a: NDArray = { dtype: 'f64', shape: [2, 2], data: Float64Array.from([1, 2, 3, 4]) };
    const b: NDArray = { dtype: 'f64', shape: [2, 2], data: Float64Array.from([10, 20, 30, 40]) };
    const sum = (await run('add', a, b, 1)) as NDArray;
    expect(sum.shape).toEqual([2, 2]);
    expect(Array.from(sum.data)).toEqual([12, 23, 34, 45]);
    expect(Array.from((await run('max', Float64Array.from([1, 5]), 3)) as Float64Array)).toEqual([3, 5]);
    const c: NDArray = { dtype: 'f64', shape: [4], data: new Float64Array(4) };
    await expect(run('add', a, c)).rejects.toMatchObject({ code: 'BAD_OP_ARGS' });
  });

  it('identity, getitem and their errors', async () => {
    expect(await run('identity', 'x')).toBe('x');
    expect(await run('getitem', [1, 2, 3], 1)).toBe(2);
    expect(await run('getitem', [1, 2, 3], -1)).toBe(3);
    await expect(run('getitem', [1], 5)).rejects.toThrow(/out of range/);
    await expect(run('getitem', 4, 0)).rejects.toThrow(/must be a list/);
    await expect(run('mod', 1, 0)).rejects.toThrow(/modulo by zero/);
    await expect(run('add', 'a', 1)).rejects.toThrow(/numbers or numeric arrays/);
  });

  it('sleep waits and adds; it stops when aborted', async () => {
    const t0 = Date.now();
    expect(await run('sleep', 20, 1, 2)).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const pending = ops.resolve('sleep', 't', 1).run([10_000], { task: 't', signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('fail throws a typed, named error', async () => {
    await expect(run('fail', 'boom')).rejects.toMatchObject({
      name: 'DeliberateFailure',
      code: 'DELIBERATE_FAILURE',
      message: 'boom',
    });
  });

  it('rejects unknown ops and wrong arity at execute time', () => {
    expect(() => ops.resolve('exec', 'k', 0)).toThrow(expect.objectContaining({ code: 'UNKNOWN_OP' }));
    expect(() => ops.resolve('mod', 'k', 3)).toThrow(/task 'k' passes 3 argument\(s\), expected 2/);
  });
});
