import { describe, expect, it } from 'vitest';
import {
  ForbiddenKeyError,
  GraphFormatError,
  InvalidArgError,
  graphToJson,
  parseGraphJson,
  validateGraph,
  type Graph,
} from '../src/index.js';

const EXAMPLE = `{
  "format": "wukong-graph",
  "version": 1,
  "description": "x = [1,2,3,4] as 2x2; y = x * 3; z = sum(y) + 1",
  "tasks": [
    { "key": "x", "op": "identity", "args": [{ "ndarray": { "dtype": "f64", "shape": [2, 2], "data": [1, 2, 3, 4] } }] },
    { "key": "y", "op": "mul", "args": [{ "ref": "x" }, 3], "outputBytes": 32 },
    { "key": "s", "op": "sum", "args": [{ "ref": "y" }] },
    { "key": "z", "op": "add", "args": [{ "ref": "s" }, 1, "label", true, null, [1, [2, 3]],
      { "typedarray": { "dtype": "i32", "data": [-1, 7] } }] },
    { "key": "w", "op": "identity" }
  ]
}`;

describe('parseGraphJson', () => {
  it('parses the documented format', () => {
    const g = parseGraphJson(EXAMPLE);
    expect(g.tasks.map((t) => t.key)).toEqual(['x', 'y', 's', 'z', 'w']);
    const x = g.tasks[0]!.args[0] as { dtype: string; shape: number[]; data: Float64Array };
    expect(x.dtype).toBe('f64');
    expect(x.shape).toEqual([2, 2]);
    expect(x.data).toBeInstanceOf(Float64Array);
    expect([...x.data]).toEqual([1, 2, 3, 4]);
    expect(g.tasks[1]).toEqual({ key: 'y', op: 'mul', args: [{ ref: 'x' }, 3], outputBytes: 32 });
    const z = g.tasks[3]!.args;
    expect(z.slice(0, 6)).toEqual([{ ref: 's' }, 1, 'label', true, null, [1, [2, 3]]]);
    expect(z[6]).toEqual(new Int32Array([-1, 7]));
    expect(g.tasks[4]!.args).toEqual([]);
    expect(() => validateGraph(g, { ops: ['identity', 'mul', 'sum', 'add'] })).not.toThrow();
  });

  it('decodes base64 tensors as little-endian bytes', () => {
    const bytes = Buffer.from(new Float32Array([1.5, -2, 3.25]).buffer).toString('base64');
    const g = parseGraphJson(
      JSON.stringify({
        tasks: [
          { key: 'a', op: 'identity', args: [{ ndarray: { dtype: 'f32', shape: [3], base64: bytes } }] },
        ],
      }),
    );
    const nd = g.tasks[0]!.args[0] as { data: Float32Array };
    expect(nd.data).toEqual(new Float32Array([1.5, -2, 3.25]));
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects "%s" keys anywhere, with the path', (name) => {
    const places = [
      `{"tasks": [], "${name}": {}}`,
      `{"tasks": [{"key": "a", "op": "add", "args": [], "${name}": {"polluted": true}}]}`,
      `{"tasks": [{"key": "a", "op": "add", "args": [{"ref": "b", "${name}": 1}]}]}`,
      `{"tasks": [{"key": "a", "op": "add", "args": [[1, {"${name}": 1}]]}]}`,
      `{"tasks": [{"key": "a", "op": "add", "args": [{"ndarray": {"dtype": "f64", "shape": [1], "data": [1], "${name}": {}}}]}]}`,
    ];
    for (const text of places) {
      let err: unknown;
      try {
        parseGraphJson(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ForbiddenKeyError);
      expect(err).toMatchObject({ code: 'GRAPH_FORBIDDEN_KEY', property: name });
      expect((err as Error).message).toContain(name);
      if (text.includes('"key": "a"')) expect((err as ForbiddenKeyError).key).toBe('a');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects format errors with typed errors', () => {
    const formatErrors = [
      'not json',
      '[]',
      '{"task": []}',
      '{"tasks": [], "format": "other"}',
      '{"tasks": [], "version": 2}',
      '{"tasks": [{"key": "a", "op": "add", "arg": [1]}]}',
      '{"tasks": [{"key": "", "op": "add"}]}',
      '{"tasks": [{"key": "a", "op": 3}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": {}}]}',
      '{"tasks": [{"key": "a", "op": "add", "outputBytes": "big"}]}',
    ];
    for (const text of formatErrors) expect(() => parseGraphJson(text), text).toThrow(GraphFormatError);
    const argErrors = [
      '{"tasks": [{"key": "a", "op": "add", "args": [{"ref": 3}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [[{"ref": "b"}]]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"obj": 1}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"ndarray": {"dtype": "f64", "shape": [3], "data": [1, 2]}}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"ndarray": {"dtype": "c64", "shape": [1], "data": [1]}}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"typedarray": {"dtype": "u8", "data": [256]}}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"typedarray": {"dtype": "i32", "data": [1.5]}}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"typedarray": {"dtype": "f64", "base64": "AAA"}}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"typedarray": {"dtype": "f64", "data": [1], "base64": ""}}]}]}',
      '{"tasks": [{"key": "a", "op": "add", "args": [{"typedarray": {"dtype": "f64", "data": ["1"]}}]}]}',
    ];
    for (const text of argErrors) {
      let err: unknown;
      try {
        parseGraphJson(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(InvalidArgError);
      expect(err).toMatchObject({ key: 'a', argIndex: 0 });
    }
  });
});

describe('graphToJson', () => {
  it('round-trips through parseGraphJson, tensors included', () => {
    const g: Graph = {
      tasks: [
        {
          key: 'a',
          op: 'identity',
          args: [{ dtype: 'f64', shape: [2, 3], data: new Float64Array([1, 2, 3, 4, 5, 6.5]) }],
        },
        {
          key: 'b',
          op: 'add',
          args: [{ ref: 'a' }, -1.25, 'str', false, null, [1, [new Uint8Array([9, 8])]]],
        },
        { key: 'c', op: 'sum', args: [{ ref: 'b' }, { ref: 'a' }, new Int16Array([-3, 3])], outputBytes: 16 },
        { key: 'd', op: 'identity', args: [{ dtype: 'f32', shape: [], data: new Float32Array([0.1]) }] },
      ],
    };
    const text = graphToJson(g);
    expect(text.split('\n').length).toBeGreaterThan(g.tasks.length);
    expect(parseGraphJson(text)).toEqual(g);
    expect(parseGraphJson(graphToJson(parseGraphJson(text)))).toEqual(g);
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => graphToJson({ tasks: [{ key: 'n', op: 'add', args: [NaN] }] })).toThrow(/"n".*NaN/);
  });
});
