// Storage benchmark: put/get throughput of 1 MiB and 32 MiB values on 1 and 3 shards and on a 3-master
// cluster, and fan-in script calls per second from one process, each measured through @wukong/storage and
// through raw ioredis doing the same commands, side by side. It starts its own redis-server processes on
// free ports and stops them at the end (also on failure).
//
//   NX_DAEMON=false NX_NO_CLOUD=true npx nx run @wukong/storage:bench
//
// Sequential = one request in flight; pipelined = PIPELINE_DEPTH requests in flight (wukong: one mget of
// that many keys; raw: that many getBuffer calls issued together, which ioredis writes back to back).
// Each cell is the best of REPEATS runs, alternating store and raw client; the machine is shared, so treat
// the figures as noisy.
import { Cluster, Redis } from 'ioredis';
import {
  MemoryStore,
  RedisCluster,
  RedisShards,
  keys,
  scriptSpec,
  slotOf,
  slotRanges,
  type Store,
} from '../src/index.js';
import { startCluster, startShards, stopAll, type RedisProcess } from '../test/harness/redis-servers.js';

const MiB = 1024 * 1024;
const TTL_MS = 600_000;
const REPEATS = 3;
const PIPELINE_DEPTH = 16;
const FANIN_CALLS = 24_000;
const FANIN_IN_FLIGHT = [1, 256];
const FANIN_REPEATS = 6;
const FANIN_IN_DEGREE = 4;

interface RawTarget {
  readonly name: string;
  clientFor(key: string): Redis | Cluster;
  close(): void;
}

interface Row {
  backend: string;
  op: string;
  wukong: number;
  raw: number | undefined;
  unit: string;
}

const rows: Row[] = [];

function now(): number {
  return performance.now();
}

function payload(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4096) b[i] = i & 0xff;
  return b;
}

function valueCount(size: number): number {
  return size >= 32 * MiB ? 12 : 256;
}

/** MB/s (10^6 bytes) of `ops` operations of `size` bytes that took `ms`. */
function mbps(size: number, ops: number, ms: number): number {
  return (size * ops) / 1e6 / (ms / 1000);
}

/** The operations measured, as done by @wukong/storage or by raw ioredis. */
interface Client {
  set(key: string, value: Buffer): Promise<unknown>;
  get(key: string): Promise<Uint8Array | null>;
  getMany(keys: string[]): Promise<(Uint8Array | null)[]>;
  fanIn(job: string, child: number, parent: number): Promise<unknown>;
  del(keys: string[]): Promise<unknown>;
}

function storeClient(store: Store): Client {
  return {
    set: (key, value) => store.set(key, value, TTL_MS),
    get: (key) => store.get(key),
    getMany: (ks) => store.mget(ks),
    fanIn: (job, child, parent) =>
      store.runScript(
        'fanIn',
        [keys.fanIn(job, child), keys.trigger(job, child)],
        [parent, FANIN_IN_DEGREE, TTL_MS],
      ),
    del: (ks) => store.delete(ks),
  };
}

function rawClient(raw: RawTarget): Client {
  const sha = scriptSpec('fanIn').sha1;
  return {
    set: (key, value) => raw.clientFor(key).set(key, value, 'PX', TTL_MS),
    get: (key) => raw.clientFor(key).getBuffer(key),
    getMany: (ks) => Promise.all(ks.map((key) => raw.clientFor(key).getBuffer(key))),
    fanIn: (job, child, parent) => {
      const k1 = keys.fanIn(job, child);
      return raw.clientFor(k1).evalsha(sha, 2, k1, keys.trigger(job, child), parent, FANIN_IN_DEGREE, TTL_MS);
    },
    del: (ks) => Promise.all(ks.map((key) => raw.clientFor(key).del(key))),
  };
}

interface Figures {
  put: number;
  get: number;
  pipe: number;
}

async function throughput(client: Client, job: string, size: number): Promise<Figures> {
  const value = payload(size);
  const n = valueCount(size);
  const ks = Array.from({ length: n }, (_, i) => keys.out(job, i));
  let t0 = now();
  for (const key of ks) await client.set(key, value);
  const put = mbps(size, n, now() - t0);
  t0 = now();
  for (const key of ks) {
    const v = await client.get(key);
    if (v === null || v.byteLength !== size) throw new Error(`lost ${key}`);
  }
  const get = mbps(size, n, now() - t0);
  const depth = Math.min(PIPELINE_DEPTH, n);
  t0 = now();
  for (let i = 0; i < n; i += depth) {
    const values = await client.getMany(ks.slice(i, i + depth));
    if (values.some((v) => v === null)) throw new Error('lost a value');
  }
  const pipe = mbps(size, n, now() - t0);
  await client.del(ks);
  return { put, get, pipe };
}

/** Runs `total` calls with at most `inFlight` outstanding; returns calls per second. */
async function callsPerSecond(
  total: number,
  inFlight: number,
  call: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await call(next++);
    }),
  );
  return total / ((now() - t0) / 1000);
}

function fanInRate(client: Client, job: string, total: number, inFlight: number): Promise<number> {
  return callsPerSecond(total, inFlight, (i) =>
    client.fanIn(job, Math.floor(i / FANIN_IN_DEGREE), i % FANIN_IN_DEGREE),
  );
}

function maxFigures(a: Figures | undefined, b: Figures): Figures {
  return a ? { put: Math.max(a.put, b.put), get: Math.max(a.get, b.get), pipe: Math.max(a.pipe, b.pipe) } : b;
}

function rawShards(servers: readonly RedisProcess[]): RawTarget {
  const clients = servers.map((s) => new Redis({ host: s.host, port: s.port }));
  const owner = slotRanges(servers.length);
  return {
    name: 'raw',
    clientFor: (key) => clients[owner[slotOf(key)] as number] as Redis,
    close: () => clients.forEach((c) => c.disconnect()),
  };
}

function rawCluster(nodes: readonly RedisProcess[]): RawTarget {
  const cluster = new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })));
  return { name: 'raw', clientFor: () => cluster, close: () => cluster.disconnect() };
}

/**
 * Measures one backend. Runs alternate between the store and raw ioredis (so drift in the machine's load
 * hits both alike) after one unrecorded warm-up run of each; every cell is the best of REPEATS runs.
 */
async function benchBackend(backend: string, store: Store, raw: RawTarget | undefined): Promise<void> {
  const tag = backend.replace(/\W/g, '');
  const clients: [string, Client][] = [['wukong', storeClient(store)]];
  if (raw) clients.push(['raw', rawClient(raw)]);
  for (const [, client] of clients) await throughput(client, `warm-${tag}`, MiB);
  for (const size of [1 * MiB, 32 * MiB]) {
    const label = `${size / MiB} MiB`;
    const bestOf = new Map<string, Figures>();
    for (let rep = 0; rep < REPEATS; rep++) {
      const order = rep % 2 === 0 ? clients : [...clients].reverse();
      for (const [name, client] of order) {
        bestOf.set(
          name,
          maxFigures(bestOf.get(name), await throughput(client, `b-${tag}-${name}-${size}`, size)),
        );
      }
    }
    const ours = bestOf.get('wukong') as Figures;
    const theirs = bestOf.get('raw');
    rows.push({ backend, op: `put ${label} sequential`, wukong: ours.put, raw: theirs?.put, unit: 'MB/s' });
    if (raw) {
      rows.push({ backend, op: `get ${label} sequential`, wukong: ours.get, raw: theirs?.get, unit: 'MB/s' });
      const pipelined = `get ${label} pipelined x${PIPELINE_DEPTH}`;
      rows.push({ backend, op: pipelined, wukong: ours.pipe, raw: theirs?.pipe, unit: 'MB/s' });
      printRows(rows.slice(-3));
    } else {
      // The memory store hands out the stored view itself: a get moves no bytes, so count calls instead.
      const calls = (ours.get * 1e6) / size;
      rows.push({
        backend,
        op: `get ${label} (returns the stored view)`,
        wukong: calls,
        raw: undefined,
        unit: 'calls/s',
      });
      printRows(rows.slice(-2));
    }
  }
  for (const inFlight of FANIN_IN_FLIGHT) {
    const total = inFlight === 1 ? FANIN_CALLS / 8 : FANIN_CALLS;
    const rates = new Map<string, number>();
    for (const [, client] of clients) await fanInRate(client, `fwarm-${tag}-${inFlight}`, total, inFlight);
    for (let rep = 0; rep < FANIN_REPEATS; rep++) {
      const order = rep % 2 === 0 ? clients : [...clients].reverse();
      for (const [name, client] of order) {
        const rate = await fanInRate(client, `f-${tag}-${name}-${inFlight}-${rep}`, total, inFlight);
        rates.set(name, Math.max(rates.get(name) ?? 0, rate));
      }
    }
    rows.push({
      backend,
      op: `fanIn script, ${inFlight} in flight`,
      wukong: rates.get('wukong') as number,
      raw: rates.get('raw'),
      unit: 'calls/s',
    });
    printRows(rows.slice(-1));
  }
}

function fmt(n: number | undefined): string {
  return n === undefined ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function overhead(row: Row): string {
  if (row.raw === undefined) return '—';
  return `${(((row.raw - row.wukong) / row.raw) * 100).toFixed(1)}%`;
}

let headerPrinted = false;
function printRows(list: Row[]): void {
  if (!headerPrinted) {
    headerPrinted = true;
    console.log('| backend | operation | @wukong/storage | raw ioredis | unit | client overhead |');
    console.log('|---|---|---:|---:|---|---:|');
  }
  for (const r of list) {
    console.log(`| ${r.backend} | ${r.op} | ${fmt(r.wukong)} | ${fmt(r.raw)} | ${r.unit} | ${overhead(r)} |`);
  }
}

async function main(): Promise<void> {
  const servers: RedisProcess[] = [];
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    console.log('starting 3 standalone redis-server shards and a 3-master cluster on free ports ...');
    servers.push(...(await startShards(3)));
    const clusterNodes = await startCluster(3);
    servers.push(...clusterNodes);
    const shardServers = servers.slice(0, 3);
    console.log(`node ${process.version}, ${new Date().toISOString()}`);

    const one = await RedisShards.connect([shardServers[0] as RedisProcess]);
    const rawOne = rawShards([shardServers[0] as RedisProcess]);
    cleanup.push(
      () => one.close(),
      () => rawOne.close(),
    );
    await benchBackend('redis-shards x1', one, rawOne);

    const three = await RedisShards.connect(shardServers);
    const rawThree = rawShards(shardServers);
    cleanup.push(
      () => three.close(),
      () => rawThree.close(),
    );
    await benchBackend('redis-shards x3', three, rawThree);

    const cluster = await RedisCluster.connect(clusterNodes);
    const rawC = rawCluster(clusterNodes);
    cleanup.push(
      () => cluster.close(),
      () => rawC.close(),
    );
    await benchBackend('redis-cluster x3', cluster, rawC);

    const memory = new MemoryStore();
    cleanup.push(() => memory.close());
    await benchBackend('memory (main thread)', memory, undefined);
  } finally {
    for (const c of cleanup) await c();
    await stopAll(servers);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
