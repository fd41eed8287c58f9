import { describe, expect, it } from 'vitest';
import { keys } from '@wukong/storage';
import { FanInKeys } from '../src/records.js';

describe('the fan-in keys of a job', () => {
  it('are the storage keys of the child, in the order the fan-in script takes them', () => {
    const k = new FanInKeys('jkeys');
    expect(k.of(7, false)).toEqual([
      keys.fanIn('jkeys', 7),
      keys.trigger('jkeys', 7),
      keys.hold('jkeys', 7),
      keys.inputs('jkeys', 7),
    ]);
    expect(k.of(7, true)).toEqual([...k.of(7, false), keys.lease('jkeys', 7), keys.out('jkeys', 7)]);
  });

  it('are built once per child and shared, unchangeable, by every parent that asks', () => {
    const k = new FanInKeys('jkeys');
    const first = k.of(3, true);
    expect(k.of(3, true)).toBe(first);
    expect(k.of(4, true)).not.toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('start over beyond their bound, still answering right', () => {
    const k = new FanInKeys('jkeys', 2);
    const zero = k.of(0, false);
    k.of(1, false);
    k.of(2, false); // the third child: the cache starts over
    const again = k.of(0, false);
    expect(again).not.toBe(zero);
    expect(again).toEqual(zero);
  });
});
