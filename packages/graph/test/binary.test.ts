import { describe, expect, it } from 'vitest';
import {
  GraphCodecError,
  decodeFrame,
  decodeGraph,
  decodeInlines,
  encodeFrame,
  encodeGraph,
  encodeInlines,
  sectionAs,
  type Graph,
  type NDArray,
  type Task,
} from '../src/index.js';

const GRAPH: Graph = {
  tasks: [
    {
      key: 'a',
      op: 'identity',
      args: [{ dtype: 'f64', shape: [2, 2], data: new Float64Array([1, NaN, -0.5, 4]) }],
    },
    { key: 'b', op: 'add', args: [{ ref: 'a' }, 1, 'two', true, null, [3, [new Uint8Array([1, 2, 3])]]] },
    {
      key: 'c',
      op: 'sum',
      args: [{ ref: 'a' }, { ref: 'b' }, new Int32Array([7, -7]), Infinity],
      outputBytes: 8,
    },
    {
      key: 'd',
      op: 'identity',
      args: [new Float32Array(0), { dtype: 'u16', shape: [3], data: new Uint16Array([1, 2, 65535]) }],
    },
  ],
};

describe('binary graph codec', () => {
  it('round-trips structure, hints and every tensor kind', () => {
    const decoded = decodeGraph(encodeGraph(GRAPH));
    expect(decoded).toEqual(GRAPH);
  });

  it('stores tensors as raw aligned bytes, not element lists, and views them in place', () => {
    const data = new Float64Array(4096).map((_, i) => i * 0.5);
    const g: Graph = {
      tasks: [{ key: 't', op: 'identity', args: [{ dtype: 'f64', shape: [64, 64], data }] }],
    };
    const bytes = encodeGraph(g);
    // Raw f64 bytes plus a small header: an element list in msgpack would take 9 bytes per element.
    expect(bytes.byteLength).toBeLessThan(data.byteLength + 256);
    const raw = new Uint8Array(data.buffer);
    const at = Buffer.from(bytes).indexOf(Buffer.from(raw.subarray(0, 64)));
    expect(at % 8).toBe(0);
    const decoded = decodeGraph(bytes).tasks[0]!.args[0] as NDArray;
    expect(decoded.data.buffer).toBe(bytes.buffer);
    expect(decoded.data.byteOffset).toBe(at);
  });

  it('decodes from an unaligned buffer by copying once', () => {
    const bytes = encodeGraph(GRAPH);
    const shifted = new Uint8Array(bytes.byteLength + 3).subarray(3);
    shifted.set(bytes);
    expect(decodeGraph(shifted)).toEqual(GRAPH);
  });

  it('round-trips a 200,000-task graph', () => {
    const tasks: Task[] = [{ key: 'k0', op: 'identity', args: [0] }];
    for (let i = 1; i < 200_000; i++)
      tasks.push({ key: `k${i}`, op: 'add', args: [{ ref: `k${i - 1}` }, i] });
    const decoded = decodeGraph(encodeGraph({ tasks }));
    expect(decoded.tasks.length).toBe(200_000);
    expect(decoded.tasks[199_999]).toEqual(tasks[199_999]);
  });

  it('rejects bytes that are not a graph with GraphCodecError', () => {
    expect(() => decodeGraph(new Uint8Array(3))).toThrow(GraphCodecError);
    expect(() => decodeGraph(new Uint8Array(64))).toThrow(/magic/);
    expect(() => decodeGraph(encodeInlines([1]))).toThrow(GraphCodecError);
    const bytes = encodeGraph(GRAPH);
    const truncated = bytes.slice(0, 24);
    expect(() => decodeGraph(truncated)).toThrow(GraphCodecError);
  });
});

describe('frames and inline values', () => {
  it('aligns every section to 8 bytes and views typed arrays in place', () => {
    const f64 = new Float64Array([1.5, 2.5]);
    const frame = encodeFrame(0x1234, 3, [new Uint8Array([1, 2, 3]), f64, new Uint32Array([9])]);
    const { version, sections } = decodeFrame(frame, 0x1234, 'test');
    expect(version).toBe(3);
    expect(sections.map((s) => s.byteOffset % 8)).toEqual([0, 0, 0]);
    expect([...sections[0]!]).toEqual([1, 2, 3]);
    const view = sectionAs(Float64Array, sections[1]!, 'f64');
    expect(view.buffer).toBe(frame.buffer);
    expect([...view]).toEqual([1.5, 2.5]);
    expect([...sectionAs(Uint32Array, sections[2]!, 'u32')]).toEqual([9]);
    expect(() => sectionAs(Float64Array, sections[0]!, 'odd')).toThrow(/whole number/);
  });

  it('round-trips inline value lists', () => {
    const values = [
      1,
      'a',
      null,
      [new Int8Array([-1])],
      { dtype: 'f64' as const, shape: [1], data: new Float64Array([3]) },
    ];
    expect(decodeInlines(encodeInlines(values))).toEqual(values);
  });
});
