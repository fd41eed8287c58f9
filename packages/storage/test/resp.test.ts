// RespConnection, the RESP2 client of RedisShards, against real redis-server processes: reply types, large
// values, ordering of many commands in one turn, pipelines, command timeouts, reconnecting after a restart,
// close() during a blocking read. The parser is also fed crafted replies split at every byte.
import { createServer, type Socket } from 'node:net';
import type { ChainableCommander } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  ReplyError,
  RespConnection,
  RespParser,
  RespWriter,
  type RespConnectionOptions,
} from '../src/redis/resp.js';
import type { CommandPipeline } from '../src/redis/topology.js';
import { freePort, startRedis, stopRedis, type RedisProcess } from '../src/testing/index.js';
import { settleWithin as settle } from './harness/settle.js';

// ioredis pipelines (RedisCluster) must keep satisfying the pipeline interface the store uses.
const _ioredisPipelineFits = (p: ChainableCommander): CommandPipeline => p;

/** Bound on how long any call here may take to settle. */
const SETTLE_MS = 5000;
const settleWithin = (p: Promise<unknown>, ms = SETTLE_MS): Promise<unknown> => settle(p, ms);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function options(server: RedisProcess, extra: Partial<RespConnectionOptions> = {}): RespConnectionOptions {
  return { host: server.host, port: server.port, connectTimeoutMs: 2000, commandTimeoutMs: 5000, ...extra };
}

describe('RespParser', () => {
  // Replies as the server would send them, each with the value expected in text and in buffer mode.
  const cases: { wire: string; text: unknown; binary?: unknown }[] = [
    { wire: '+OK\r\n', text: 'OK', binary: Buffer.from('OK') },
    { wire: ':0\r\n', text: 0 },
    { wire: ':-42\r\n', text: -42 },
    { wire: ':9007199254740991\r\n', text: 9007199254740991 },
    { wire: '$0\r\n\r\n', text: '', binary: Buffer.alloc(0) },
    { wire: '$-1\r\n', text: null },
    { wire: '*-1\r\n', text: null },
    { wire: '*0\r\n', text: [] },
    { wire: '$8\r\nh\xc3\xa9llo\r\n\r\n', text: 'héllo\r\n', binary: Buffer.from('héllo\r\n') },
    {
      wire: '*4\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n$-1\r\n*0\r\n+x\r\n',
      text: [1, ['a', [null]], [], 'x'],
      binary: [1, [Buffer.from('a'), [null]], [], Buffer.from('x')],
    },
  ];
  const stream = Buffer.from(cases.map((c) => c.wire).join(''), 'latin1');

  function parseAll(pieces: Buffer[], binary: boolean): unknown[] {
    const out: unknown[] = [];
    const parser = new RespParser(
      (v) => out.push(v),
      () => binary,
      (err) => out.push(err),
    );
    for (const piece of pieces) parser.feed(piece);
    return out;
  }

  it('parses every reply type, whole or split at any byte, in text and buffer mode', () => {
    for (const binary of [false, true]) {
      const expected = cases.map((c) => (binary && 'binary' in c ? c.binary : c.text));
      expect(parseAll([stream], binary)).toEqual(expected);
      const bytes = [...stream].map((b) => Buffer.from([b]));
      expect(parseAll(bytes, binary)).toEqual(expected);
      for (let cut = 1; cut < stream.length; cut++) {
        expect(parseAll([stream.subarray(0, cut), stream.subarray(cut)], binary)).toEqual(expected);
      }
    }
  });

  it('returns error replies as ReplyError values, nested ones inside their arrays', () => {
    const [top, nested] = parseAll([Buffer.from('-ERR bad thing\r\n*2\r\n-NOSCRIPT x\r\n:1\r\n')], false);
    expect(top).toBeInstanceOf(ReplyError);
    expect((top as Error).name).toBe('ReplyError');
    expect((top as Error).message).toBe('ERR bad thing');
    expect((nested as unknown[])[0]).toBeInstanceOf(ReplyError);
    expect((nested as unknown[])[1]).toBe(1);
  });

  it('reports bytes that are no RESP as a protocol error', () => {
    const [err] = parseAll([Buffer.from('?what\r\n')], false);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('protocol error');
  });

  it('encodes what it parses: strings, numbers and bytes as bulk strings', () => {
    const writer = new RespWriter();
    writer.command('SET', ['k€', 12, -3, 1.5, new Uint8Array([0, 13, 10])]);
    const wire = Buffer.concat(writer.take()).toString('latin1');
    expect(wire).toBe(
      '*6\r\n$3\r\nSET\r\n$4\r\nk\xe2\x82\xac\r\n$2\r\n12\r\n$2\r\n-3\r\n$3\r\n1.5\r\n$3\r\n\x00\r\n\r\n',
    );
  });

  it('writes a string whose UTF-8 length has more digits than its length in units', () => {
    // 9 units, 18 bytes; a lone surrogate becomes U+FFFD (3 bytes), as Buffer writes it.
    const writer = new RespWriter();
    const text = 'ééééééééé';
    const lone = `a${String.fromCharCode(0xd800)}`;
    writer.command('SET', [text, lone, 'ascii-only']);
    const wire = Buffer.concat(writer.take());
    const expected = Buffer.concat([
      Buffer.from('*4\r\n$3\r\nSET\r\n$18\r\n'),
      Buffer.from(text, 'utf8'),
      Buffer.from('\r\n$4\r\n'),
      Buffer.from(lone, 'utf8'),
      Buffer.from('\r\n$10\r\nascii-only\r\n'),
    ]);
    expect(wire.equals(expected)).toBe(true);
  });
});

describe('RespConnection', () => {
  let server: RedisProcess;
  let conn: RespConnection;

  beforeAll(async () => {
    server = await startRedis();
    conn = new RespConnection(options(server));
    await conn.connect();
  });
  afterAll(async () => {
    conn?.close();
    if (server) await stopRedis(server);
  });

  it('answers with RESP2 values: strings, integers, nulls, nested arrays', async () => {
    expect(await conn.call('SET', 'rt:s', 'héllo ✓ 𝄞')).toBe('OK');
    expect(await conn.call('GET', 'rt:s')).toBe('héllo ✓ 𝄞');
    expect(await conn.call('GET', 'rt:missing')).toBeNull();
    expect(await conn.call('INCRBY', 'rt:n', -7)).toBe(-7);
    expect(await conn.call('INCRBYFLOAT', 'rt:f', 1.5)).toBe('1.5');
    expect(await conn.call('RPUSH', ['rt:l', 'a', 'b', 'c'])).toBe(3);
    expect(await conn.call('LRANGE', 'rt:l', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await conn.call('EVAL', "return {1, {2, 'x', {}}, {}, false, 'y'}", 0)).toEqual([
      1,
      [2, 'x', []],
      [],
      null,
      'y',
    ]);
    // A null array: BLPOP that timed out.
    expect(await conn.call('BLPOP', 'rt:empty', '0.01')).toBeNull();
  });

  it('returns error replies as ReplyError, also inside arrays, and stays usable', async () => {
    const err = await conn.call('NOSUCHCOMMAND', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('ReplyError');
    expect((err as Error).message).toMatch(/^ERR unknown command/);
    const mixed = (await conn.call('EVAL', "return {1, redis.error_reply('BOOM')}", 0)) as unknown[];
    expect(mixed[0]).toBe(1);
    expect((mixed[1] as Error).name).toBe('ReplyError');
    expect((mixed[1] as Error).message).toMatch(/BOOM$/);
    expect(await conn.call('PING')).toBe('PONG');
  });

  it('callBuffer returns bulk and simple strings as Buffers, integers as numbers', async () => {
    const bytes = new Uint8Array([0, 1, 2, 255, 13, 10, 3]);
    // A Uint8Array view at an offset, not a Buffer.
    const view = new Uint8Array(new Uint8Array([9, 9, ...bytes]).buffer, 2, bytes.length);
    await conn.call('SET', 'rt:b', view);
    const value = await conn.callBuffer('GET', 'rt:b');
    expect(Buffer.isBuffer(value)).toBe(true);
    expect([...(value as Buffer)]).toEqual([...bytes]);
    expect(await conn.callBuffer('PING')).toEqual(Buffer.from('PONG'));
    expect(await conn.callBuffer('STRLEN', 'rt:b')).toBe(bytes.length);
    expect(await conn.callBuffer('LRANGE', 'rt:l', 0, 0)).toEqual([Buffer.from('a')]);
  });

  it('round-trips an 8 MiB value byte for byte, and a 2 MiB non-ASCII string', async () => {
    const big = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    expect(await conn.call('SET', 'rt:big', big)).toBe('OK');
    const back = (await conn.callBuffer('GET', 'rt:big')) as Buffer;
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
    const text = 'ünïcødé 𝄞 '.repeat(150_000);
    await conn.call('SET', 'rt:text', text);
    expect(await conn.call('GET', 'rt:text')).toBe(text);
    // Values next to each other in one turn stay apart.
    const [a, b, c] = await Promise.all([
      conn.callBuffer('GET', 'rt:big'),
      conn.call('GET', 'rt:s'),
      conn.callBuffer('GETRANGE', 'rt:big', 0, 3),
    ]);
    expect((a as Buffer).equals(big)).toBe(true);
    expect(b).toBe('héllo ✓ 𝄞');
    expect([...(c as Buffer)]).toEqual([...big.subarray(0, 4)]);
  });

  it('answers many commands issued in one turn in order', async () => {
    const n = 5000;
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0) replies.push(conn.call('INCR', 'rt:order'));
      else if (i % 3 === 1) replies.push(conn.call('SET', `rt:order:${i}`, i));
      else replies.push(conn.call('GET', `rt:order:${i - 1}`));
    }
    const got = await Promise.all(replies);
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0) expect(got[i]).toBe(i / 3 + 1);
      else if (i % 3 === 1) expect(got[i]).toBe('OK');
      else expect(got[i]).toBe(String(i - 1));
    }
  });

  it('execs a pipeline with a refused command in its slot', async () => {
    await conn.call('SET', 'rt:p:text', 'abc');
    const replies = await conn
      .pipeline()
      .call('SET', 'rt:p:a', '1')
      .call('INCR', 'rt:p:text')
      .callBuffer('GET', 'rt:p:a')
      .call('INCR', 'rt:p:a')
      .exec();
    expect(replies).toHaveLength(4);
    expect(replies?.[0]).toEqual([null, 'OK']);
    expect(replies?.[1]?.[0]?.name).toBe('ReplyError');
    expect(replies?.[1]?.[0]?.message).toMatch(/not an integer/);
    expect(replies?.[2]).toEqual([null, Buffer.from('1')]);
    expect(replies?.[3]).toEqual([null, 2]);
    expect(await conn.pipeline().exec()).toEqual([]);
  });

  it('times out commands the server does not answer, then stays in sync', async () => {
    const hasty = new RespConnection(options(server, { commandTimeoutMs: 200 }));
    const admin = new RespConnection(options(server, { commandTimeoutMs: undefined }));
    try {
      await hasty.call('SET', 'rt:t', 0);
      expect(await admin.call('CLIENT', 'PAUSE', 500, 'ALL')).toBe('OK');
      const late = [
        hasty.call('INCR', 'rt:t'),
        hasty.call('INCR', 'rt:t'),
        hasty.pipeline().call('INCR', 'rt:t').call('GET', 'rt:t').exec(),
      ].map((p) => settleWithin(p));
      for (const err of await Promise.all(late)) {
        expect(err).toBeInstanceOf(ConnectionError);
        expect((err as Error).message).toMatch(/no reply from 127\.0\.0\.1:\d+ within 200 ms/);
      }
      await admin.call('CLIENT', 'UNPAUSE');
      // The late replies are dropped: every later command gets its own reply.
      expect(await hasty.call('ECHO', 'after')).toBe('after');
      expect(await hasty.call('GET', 'rt:t')).toBe('3');
      expect(hasty.status).toBe('ready');
    } finally {
      hasty.close();
      admin.close();
    }
  });

  it('connects with AUTH and SELECT, and reports a refused password as a ReplyError', async () => {
    const secured = await startRedis({ extraArgs: ['--requirepass', 's3cret'] });
    try {
      const bad = new RespConnection(options(secured, { password: 'nope' }));
      const err = await bad.connect().catch((e: unknown) => e);
      expect((err as Error).name).toBe('ReplyError');
      expect((err as Error).message).toMatch(/^WRONGPASS/);
      expect(bad.lastError).toBe(err);
      bad.close();
      const db2 = new RespConnection(options(secured, { password: 's3cret', db: 2 }));
      const db0 = new RespConnection(options(secured, { password: 's3cret' }));
      await db2.call('SET', 'rt:db', 'two');
      expect(await db2.call('GET', 'rt:db')).toBe('two');
      expect(await db0.call('GET', 'rt:db')).toBeNull();
      db2.close();
      db0.close();
    } finally {
      await stopRedis(secured);
    }
  });

  it('fails connect() and queued commands when nothing listens', async () => {
    const port = await freePort();
    const nowhere = new RespConnection({ host: '127.0.0.1', port, connectTimeoutMs: 500 });
    try {
      const queued = nowhere.call('PING');
      const err = await settleWithin(nowhere.connect());
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      expect(await settleWithin(queued)).toBeInstanceOf(ConnectionError);
    } finally {
      nowhere.close();
    }
  });
});

describe('RespConnection connect timeout', () => {
  it('fails connect() and queued commands when the handshake gets no answer in time', async () => {
    // Accepts connections and never answers.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => void accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const conn = new RespConnection({ host: '127.0.0.1', port, password: 'x', connectTimeoutMs: 200 });
    try {
      const queued = settleWithin(conn.call('PING'));
      const err = await settleWithin(conn.connect());
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toContain('timed out after 200 ms');
      expect(await queued).toBe(err);
    } finally {
      conn.close();
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('RespConnection across a server restart', () => {
  let server: RedisProcess | undefined;
  afterAll(async () => {
    if (server) await stopRedis(server);
  });

  it('rejects the commands in flight at the kill, fails new ones promptly, and serves again after', async () => {
    server = await startRedis();
    const port = server.port;
    const conn = new RespConnection(options(server));
    try {
      await conn.call('SET', 'rs:k', 'before');
      // In flight at the kill: a blocked BLPOP and a GET queued behind it on the server.
      const inFlight = [conn.call('BLPOP', 'rs:list', 0), conn.call('GET', 'rs:k')].map((p) =>
        settleWithin(p),
      );
      await sleep(50);
      await stopRedis(server);
      server = undefined;
      for (const err of await Promise.all(inFlight)) {
        expect(err).toBeInstanceOf(ConnectionError);
        expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      }
      // While the server is down, a command fails when the next reconnect attempt does.
      const down = await settleWithin(conn.call('PING'));
      expect(down).toBeInstanceOf(ConnectionError);
      expect(conn.lastError).toBeInstanceOf(ConnectionError);

      server = await startRedis({ port });
      let pong: unknown;
      for (let i = 0; i < 50 && pong !== 'PONG'; i++) {
        pong = await conn.call('PING').catch(() => sleep(100));
      }
      expect(pong).toBe('PONG');
      expect(conn.status).toBe('ready');
      expect(await conn.call('SET', 'rs:k', 'after')).toBe('OK');
      expect(await conn.call('GET', 'rs:k')).toBe('after');
    } finally {
      conn.close();
    }
  });
});

describe('RespConnection.close()', () => {
  let server: RedisProcess;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await stopRedis(server);
  });

  it('rejects a blocked XREAD and everything after, and is idempotent', async () => {
    const blocking = new RespConnection(options(server, { commandTimeoutMs: undefined }));
    const read = blocking.callBuffer('XREAD', 'COUNT', 10, 'BLOCK', 0, 'STREAMS', 'rc:s', '$');
    await sleep(50);
    expect(blocking.status).toBe('ready');
    blocking.close();
    const err = await settleWithin(read);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/connection to 127\.0\.0\.1:\d+ closed/);
    expect(await settleWithin(blocking.call('PING'))).toBeInstanceOf(ConnectionError);
    expect(await settleWithin(blocking.connect())).toBeInstanceOf(ConnectionError);
    blocking.close();
    expect(blocking.status).toBe('closed');
  });
});
