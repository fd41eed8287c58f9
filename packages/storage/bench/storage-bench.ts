// Storage benchmark: put/get throughput of 1 MiB and 32 MiB values on 1 and 3 shards and on a 3-master
// cluster, and fan-in script calls per second from one process, each measured through @wukong/storage and
// through raw ioredis doing the same commands, side by side. It starts its own redis-server processes on
// free ports and stops them at the end (also on failure).
//
//   NX_DAEMON=false NX_NO_CLOUD=true npx nx run @wukong/storage:bench
//
// Sequential = one request in flight; pipelined = PIPELINE_DEPTH requests in flight (wukong: one mget of
// that many keys; raw: that many getBuffer calls issued together, which ioredis writes back to back).
// The machine is shared and its load drifts, so the store and the raw client are measured interleaved at
// fine grain (alternating single operations, batches, or rounds of fan-in calls) over several passes, and
// each figure is the median rate of its own slices: drift hits both columns alike, spikes are ignored.
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
import { startCluster, startShards, stopAll, type RedisProcess } from '../src/testing/index.js';

const MiB = 1024 * 1024;
const TTL_MS = 600_000;
const REPEATS = 3;
const PIPELINE_DEPTH = 16;
/** Fan-in calls per client and in-flight level, cut into alternating rounds (more, shorter rounds at 1 in flight). */
const FANIN_CALLS = 49_152;
const FANIN_ROUND_CALLS: Record<number, number> = { 1: 16, 256: 1024 };
const FANIN_IN_FLIGHT = [1, 256];
const FANIN_IN_DEGREE = 4;
/**
 * The raw ioredis baseline uses the connection options the store sets by default (a per-command timeout,
 * one retry), so the comparison isolates what this package adds on top of ioredis.
 */
const SAME_CONNECTION_OPTIONS = { commandTimeout: 5000, connectTimeout: 5000, maxRetriesPerRequest: 1 };

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

/**
 * The slices of work one client did in one measurement. The figure is the median of the per-slice rates:
 * on a machine shared with other builds a slice that coincides with a load spike is an outlier, and the
 * median ignores it where a total would not.
 */
class Tally {
  readonly #rates: number[] = [];
  async time<T>(units: number, op: () => Promise<T>): Promise<T> {
    const t0 = now();
    const result = await op();
    this.#rates.push(units / ((now() - t0) / 1000));
    return result;
  }
  rate(): number {
    const sorted = [...this.#rates].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }
}

type Pair = { name: string; client: Client; job: string }[];

/** put / get / pipelined get of `size`-byte values, store and raw interleaved operation by operation. */
async function throughput(pair: Pair, size: number): Promise<Map<string, Figures>> {
  const value = payload(size);
  const n = valueCount(size);
  const tallies = new Map(
    pair.map((c) => [c.name, { put: new Tally(), get: new Tally(), pipe: new Tally() }]),
  );
  const keyLists = new Map(
    pair.map((c) => [c.name, Array.from({ length: n }, (_, i) => keys.out(c.job, i))]),
  );
  for (let pass = 0; pass < REPEATS; pass++) {
    const order = pass % 2 === 0 ? pair : [...pair].reverse();
    for (let i = 0; i < n; i++) {
      for (const c of order) {
        const key = (keyLists.get(c.name) as string[])[i] as string;
        await tallies.get(c.name)?.put.time(size, () => c.client.set(key, value));
      }
    }
    for (let i = 0; i < n; i++) {
      for (const c of order) {
        const key = (keyLists.get(c.name) as string[])[i] as string;
        const v = await tallies.get(c.name)?.get.time(size, () => c.client.get(key));
        if (v === null || v?.byteLength !== size) throw new Error(`lost ${key}`);
      }
    }
    const depth = Math.min(PIPELINE_DEPTH, n);
    for (let i = 0; i < n; i += depth) {
      for (const c of order) {
        const batch = (keyLists.get(c.name) as string[]).slice(i, i + depth);
        const values = await tallies
          .get(c.name)
          ?.pipe.time(size * batch.length, () => c.client.getMany(batch));
        if (values?.some((v) => v === null)) throw new Error('lost a value');
      }
    }
    for (const c of pair) await c.client.del(keyLists.get(c.name) as string[]);
  }
  const out = new Map<string, Figures>();
  for (const [name, t] of tallies)
    out.set(name, { put: t.put.rate() / 1e6, get: t.get.rate() / 1e6, pipe: t.pipe.rate() / 1e6 });
  return out;
}

/**
 * Fan-in calls per second with `inFlight` calls outstanding: rounds of `round` calls, alternating between
 * the clients, `rounds` rounds each.
 */
async function fanInRates(
  pair: Pair,
  inFlight: number,
  round: number,
  rounds: number,
): Promise<Map<string, number>> {
  const tallies = new Map(pair.map((c) => [c.name, new Tally()]));
  let child = 0;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? pair : [...pair].reverse();
    for (const c of order) {
      const base = child;
      child += round / FANIN_IN_DEGREE;
      let next = 0;
      await tallies.get(c.name)?.time(round, () =>
        Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (next < round) {
              const i = next++;
              await c.client.fanIn(c.job, base + Math.floor(i / FANIN_IN_DEGREE), i % FANIN_IN_DEGREE);
            }
          }),
        ),
      );
    }
  }
  return new Map([...tallies].map(([name, t]) => [name, t.rate()]));
}

function rawShards(servers: readonly RedisProcess[]): RawTarget {
  const clients = servers.map((s) => new Redis({ host: s.host, port: s.port, ...SAME_CONNECTION_OPTIONS }));
  const owner = slotRanges(servers.length);
  return {
    name: 'raw',
    clientFor: (key) => clients[owner[slotOf(key)] as number] as Redis,
    close: () => clients.forEach((c) => c.disconnect()),
  };
}

function rawCluster(nodes: readonly RedisProcess[]): RawTarget {
  const cluster = new Cluster(
    nodes.map((n) => ({ host: n.host, port: n.port })),
    { redisOptions: SAME_CONNECTION_OPTIONS },
  );
  return { name: 'raw', clientFor: () => cluster, close: () => cluster.disconnect() };
}

/**
 * Measures one backend. Runs alternate between the store and raw ioredis (so drift in the machine's load
 * hits both alike) after one unrecorded warm-up run of each; every cell is the best of REPEATS runs.
 */
/** Measures one backend, after one unrecorded warm-up of each client. */
async function benchBackend(backend: string, store: Store, raw: RawTarget | undefined): Promise<void> {
  const tag = backend.replace(/\W/g, '');
  const pair: Pair = [{ name: 'wukong', client: storeClient(store), job: `w-${tag}` }];
  if (raw) pair.push({ name: 'raw', client: rawClient(raw), job: `r-${tag}` });
  await throughput(
    pair.map((c) => ({ ...c, job: `${c.job}-warm` })),
    MiB,
  );
  for (const size of [1 * MiB, 32 * MiB]) {
    const label = `${size / MiB} MiB`;
    const figures = await throughput(pair, size);
    const ours = figures.get('wukong') as Figures;
    const theirs = figures.get('raw');
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
    const round = FANIN_ROUND_CALLS[inFlight] ?? 2048;
    const calls = inFlight === 1 ? FANIN_CALLS / 8 : FANIN_CALLS;
    const warm = pair.map((c) => ({ ...c, job: `${c.job}-fwarm${inFlight}` }));
    await fanInRates(warm, inFlight, round, Math.max(1, calls / round / 8));
    const measured = pair.map((c) => ({ ...c, job: `${c.job}-f${inFlight}` }));
    const rates = await fanInRates(measured, inFlight, round, calls / round);
    const op = `fanIn script, ${inFlight} in flight`;
    rows.push({ backend, op, wukong: rates.get('wukong') as number, raw: rates.get('raw'), unit: 'calls/s' });
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
