import { describe, expect, it } from 'vitest';
import { DuplicateKeyError, GraphBuilder, taskDependencies } from '../src/index.js';

describe('GraphBuilder', () => {
  it('builds tasks in order, returning refs', () => {
    const b = new GraphBuilder();
    const x = b.task('x', 'add', 1, 2);
    expect(x).toEqual({ ref: 'x' });
    const y = b.taskWith('y', 'mul', [x, 3], { outputBytes: 8 });
    b.task('z', 'sum', y, x, y);
    const g = b.build();
    expect(g.tasks).toEqual([
      { key: 'x', op: 'add', args: [1, 2] },
      { key: 'y', op: 'mul', args: [{ ref: 'x' }, 3], outputBytes: 8 },
      { key: 'z', op: 'sum', args: [{ ref: 'y' }, { ref: 'x' }, { ref: 'y' }] },
    ]);
    expect(taskDependencies(g.tasks[2]!)).toEqual(['y', 'x']);
    b.task('w', 'identity');
    expect(g.tasks.length).toBe(3);
    expect(b.size).toBe(4);
  });

  it('rejects duplicate keys immediately', () => {
    const b = new GraphBuilder();
    b.task('x', 'add');
    expect(() => b.task('x', 'add')).toThrow(DuplicateKeyError);
  });

  it('hands out fresh keys that avoid existing ones', () => {
    const b = new GraphBuilder();
    b.task('blk-1', 'identity');
    const k0 = b.freshKey('blk');
    b.task(k0, 'identity');
    const k1 = b.freshKey('blk');
    expect(k0).toBe('blk-0');
    expect(k1).toBe('blk-2');
    expect(b.has('blk-1')).toBe(true);
  });
});
