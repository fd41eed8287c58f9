// keys.ts: the DESIGN.md §5 scheme, one hash tag per task, the slot function of Redis Cluster, and the
// job patterns used by deleteJob.
import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import {
  InvalidKeyPart,
  hashTag,
  isJobKey,
  jobKeyPattern,
  keys,
  sameHashTag,
  slotOf,
  taskKeys,
  chunkKey,
} from '../src/index.js';

describe('keys', () => {
  it('builds the DESIGN.md §5 keys', () => {
    expect(keys.plan('j1')).toBe('wk:{j1}:plan');
    expect(keys.planSegment('j1', 3)).toBe('wk:{j1}:plan:3');
    expect(keys.events('j1')).toBe('wk:{j1}:events');
    expect(keys.out('j1', 5)).toBe('wk:{j1:5}:out');
    expect(keys.fanIn('j1', 'x-1')).toBe('wk:{j1:x-1}:in');
    expect(keys.trigger('j1', 5)).toBe('wk:{j1:5}:trigger');
    expect(keys.lease('j1', 5)).toBe('wk:{j1:5}:run');
  });

  it('puts every key of one task in one slot, and job keys in the job slot', () => {
    for (const task of [0, 1, 77, 'sum-(3, 4)', 'a:b']) {
      const slots = new Set(taskKeys('job', task).map(slotOf));
      expect(slots.size).toBe(1);
      expect(hashTag(keys.out('job', task))).toBe(`job:${task}`);
    }
    expect(slotOf(keys.plan('job'))).toBe(slotOf(keys.events('job')));
    expect(slotOf(keys.planSegment('job', 9))).toBe(slotOf(keys.plan('job')));
  });

  it('computes slots exactly as Redis Cluster (CRC16 XMODEM of the tag mod 16384)', () => {
    // Reference values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
    expect(slotOf('foo')).toBe(12182);
    expect(slotOf('123456789')).toBe(0x31c3 % 16384);
    expect(slotOf('{user1000}.following')).toBe(slotOf('{user1000}.followers'));
    expect(slotOf('{bar}x')).toBe(slotOf('bar'));
    expect(hashTag('foo{}{bar}')).toBe('foo{}{bar}');
    expect(hashTag('foo{{bar}}zap')).toBe('{bar');
  });

  it('hashes odd brace placements and non-ASCII tags as Redis Cluster does', () => {
    // CLUSTER KEYSLOT of a real redis-server 7 in cluster mode.
    const fromRedis: [string, number][] = [
      ['foo{}{bar}', 8363], // an empty first tag: the whole key (cluster-key-slot hashes '{bar' instead)
      ['foo{{bar}}zap', 4015],
      ['a{}b', 13694],
      ['{}', 15257],
      ['x{é}y', 10180],
      ['{😀}', 2959],
    ];
    for (const [key, slot] of fromRedis) expect(slotOf(key), key).toBe(slot);
  });

  it('agrees with cluster-key-slot wherever the first tag is not empty', () => {
    const samples = ['', '{', '}', '{a', 'a}', 'ключ', 'wk:{jé:1}:out', keys.out('j1', 12345)];
    let seed = 7;
    for (let n = 0; n < 500; n++) {
      let key = '';
      for (let i = (n % 23) + 1; i > 0; i--) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        key += '{}:abcxyz019-é'.charAt(seed % 14);
      }
      if (!/^[^{]*\{\}/.test(key)) samples.push(key);
    }
    expect(samples.length).toBeGreaterThan(300);
    for (const key of samples) expect(slotOf(key), key).toBe(calculateSlot(key));
  });

  it('rejects parts that would break the hash tag or blur job boundaries', () => {
    expect(() => keys.out('j{1', 1)).toThrow(InvalidKeyPart);
    expect(() => keys.out('j', 'a}b')).toThrow(InvalidKeyPart);
    expect(() => keys.plan('')).toThrow(InvalidKeyPart);
    expect(() => keys.plan('a:b')).toThrow(InvalidKeyPart);
    expect(() => keys.plan('a#b')).toThrow(InvalidKeyPart);
    expect(() => keys.out('j', -1)).toThrow(InvalidKeyPart);
    expect(() => keys.out('j', 1.5)).toThrow(InvalidKeyPart);
    expect(() => keys.planSegment('j', -2)).toThrow(InvalidKeyPart);
    const err = (() => {
      try {
        keys.out('j', 'a}b');
      } catch (e) {
        return e as InvalidKeyPart;
      }
    })();
    expect(err?.code).toBe('INVALID_KEY_PART');
    expect(err?.message).toContain('a}b');
  });

  it('matches exactly the keys of a job, including chunks, never a neighbour job', () => {
    const mine = [
      keys.plan('j1'),
      keys.planSegment('j1', 2),
      keys.events('j1'),
      ...taskKeys('j1', 4),
      ...taskKeys('j1', 'x'),
      chunkKey(keys.out('j1', 4), 'abc', 0),
      chunkKey(keys.plan('j1'), 'abc', 3),
    ];
    const theirs = [
      keys.plan('j10'),
      ...taskKeys('j10', 4),
      keys.plan('j'),
      chunkKey(keys.out('j10', 1), 'w', 0),
      'other',
    ];
    for (const key of mine) expect(isJobKey('j1', key)).toBe(true);
    for (const key of theirs) expect(isJobKey('j1', key)).toBe(false);
    expect(jobKeyPattern('j1')).toBe('wk:*{j1[}:#]*');
    expect(jobKeyPattern('a*b')).toBe('wk:*{a\\*b[}:#]*');
  });
});

describe('sameHashTag', () => {
  it('agrees with comparing hashTag results', () => {
    const samples = [
      'wk:{a:1}:in',
      'wk:{a:1}:trigger',
      'wk:{a:2}:in',
      'plain',
      'plain',
      'x{}y',
      'x{}y',
      '{a:1}',
      'a{b',
      'wk:{a:1',
      'other:{a:1}:in',
      'wk:{a:10}:in',
      'wk:{a:1}}',
      'wk:{a:1}{b}',
      '{a:1}x',
      'wk:{}{a:1}',
    ];
    for (const a of samples)
      for (const b of samples) expect(sameHashTag(a, b)).toBe(hashTag(a) === hashTag(b));
  });
});
