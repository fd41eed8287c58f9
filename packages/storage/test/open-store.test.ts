// openStore URLs and options: credentials (password, ACL user), TLS (rediss://), validation, and typed
// errors that survive JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthFailed,
  InvalidOption,
  InvalidStoreUrl,
  MemoryStore,
  ObjectLost,
  ShardUnreachable,
  keys,
  openStore,
  parseStoreUrl,
  storageErrorFromJSON,
} from '../src/index.js';
import { freePort, startRedis, stopAll, type RedisProcess } from '../src/testing/index.js';

describe('parseStoreUrl', () => {
  it('parses memory, shard lists, TLS, credentials, db and cluster URLs', () => {
    expect(parseStoreUrl('memory')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('redis://a:7000, rediss://u%40x:p%3Aw@b:7001/2')).toEqual({
      kind: 'redis-shards',
      addresses: [
        { host: 'a', port: 7000, tls: false },
        { host: 'b', port: 7001, tls: true, username: 'u@x', password: 'p:w', db: 2 },
      ],
    });
    expect(parseStoreUrl('redis-cluster://:pw@h1:7000,redis-cluster://h2:7001')).toMatchObject({
      kind: 'redis-cluster',
      addresses: [
        { host: 'h1', port: 7000, password: 'pw' },
        { host: 'h2', port: 7001 },
      ],
    });
    expect(parseStoreUrl('redis://h')).toMatchObject({ addresses: [{ port: 6379 }] });
  });

  it('rejects unknown schemes, mixed kinds and bad databases, without echoing passwords', () => {
    expect(() => parseStoreUrl('http://a:1')).toThrow(InvalidStoreUrl);
    expect(() => parseStoreUrl('redis://a:1,redis-cluster://b:2')).toThrow(InvalidStoreUrl);
    expect(() => parseStoreUrl('redis://a:1/x')).toThrow(InvalidStoreUrl);
    expect(() => parseStoreUrl('redis-cluster://a:1/1')).toThrow(InvalidStoreUrl);
    expect(() => parseStoreUrl('')).toThrow(InvalidStoreUrl);
    try {
      parseStoreUrl('ftp://user:hunter2@a:1');
    } catch (err) {
      expect((err as InvalidStoreUrl).message).not.toContain('hunter2');
      expect((err as InvalidStoreUrl).url).not.toContain('hunter2');
    }
  });

  it('rejects out-of-range options naming the option', async () => {
    const err = await openStore('redis://127.0.0.1:1', { chunkBytes: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOption);
    expect((err as InvalidOption).option).toBe('chunkBytes');
    expect(() => new MemoryStore({ sweepIntervalMs: -1 })).toThrow(InvalidOption);
    const store = await openStore('memory');
    const ttl = await store.set(keys.out('j', 1), new Uint8Array(1), 0).catch((e: unknown) => e);
    expect((ttl as InvalidOption).option).toBe('ttlMs');
    await store.close();
  });

  it('fails fast with ShardUnreachable when nothing listens', async () => {
    const port = await freePort();
    const err = await openStore(`redis://127.0.0.1:${port}`, {
      connectTimeoutMs: 300,
      commandTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShardUnreachable);
    expect((err as ShardUnreachable).shard).toContain(`127.0.0.1:${port}`);
  });
});

describe('typed errors', () => {
  it('survive a JSON round trip with name, code and fields', () => {
    const original = new ObjectLost('wk:{j:1}:out', 'shard 2 (h:1)');
    const back = storageErrorFromJSON(JSON.parse(JSON.stringify(original)) as Record<string, unknown>);
    expect(back).toBeInstanceOf(ObjectLost);
    expect(back).toMatchObject({
      name: 'ObjectLost',
      code: 'OBJECT_LOST',
      key: 'wk:{j:1}:out',
      shard: 'shard 2 (h:1)',
    });
    expect(back.message).toBe(original.message);
  });
});

describe('credentials', () => {
  let server: RedisProcess;
  beforeAll(async () => {
    server = await startRedis({
      extraArgs: ['--requirepass', 's3cret', '--user', 'alice', 'on', '>wonder', '~*', '&*', '+@all'],
    });
  });
  afterAll(async () => {
    await stopAll([server]);
  });

  it('authenticates with a password or an ACL user from the URL or the options', async () => {
    for (const [url, opts] of [
      [`redis://:s3cret@127.0.0.1:${server.port}`, {}],
      [`redis://alice:wonder@127.0.0.1:${server.port}`, {}],
      [`redis://127.0.0.1:${server.port}`, { username: 'alice', password: 'wonder' }],
    ] as const) {
      const store = await openStore(url, opts);
      const key = keys.out('auth', url.length);
      await store.set(key, new Uint8Array([7]), 10_000);
      expect(Array.from(await store.getRequired(key))).toEqual([7]);
      await store.close();
    }
  });

  it('reports refused credentials as AuthFailed naming the shard', async () => {
    for (const url of [`redis://alice:nope@127.0.0.1:${server.port}`, `redis://127.0.0.1:${server.port}`]) {
      const err = await openStore(url, { connectTimeoutMs: 500, commandTimeoutMs: 1000 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AuthFailed);
      expect((err as AuthFailed).shard).toContain(`:${server.port}`);
    }
  });
});

describe('TLS (rediss://)', () => {
  let server: RedisProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wk-tls-'));
    const sh = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    sh(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=wk-test-ca',
    );
    sh(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    sh(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
    server = await startRedis({
      tls: {
        certFile: join(dir, 'server.crt'),
        keyFile: join(dir, 'server.key'),
        caFile: join(dir, 'ca.crt'),
      },
    });
  });
  afterAll(async () => {
    await stopAll(server ? [server] : []);
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects over TLS with the CA given in the options', async () => {
    expect(server.url.startsWith('rediss://')).toBe(true);
    const store = await openStore(server.url, { tls: { ca: readFileSync(join(dir, 'ca.crt')) } });
    const key = keys.out('tls', 1);
    await store.set(key, new Uint8Array([1, 2, 3]), 10_000);
    expect(Array.from(await store.getRequired(key))).toEqual([1, 2, 3]);
    await store.close();
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    const err = await openStore(server.url, { connectTimeoutMs: 500, commandTimeoutMs: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ShardUnreachable);
  });

  it('a plain redis:// client cannot talk to the TLS port', async () => {
    const err = await openStore(`redis://127.0.0.1:${server.port}`, {
      connectTimeoutMs: 500,
      commandTimeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShardUnreachable);
  });
});
