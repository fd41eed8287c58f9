// openStore: one URL picks the backend.
//
//   memory                                        the embedded MemoryStore
//   redis://[user:pass@]host:port[/db][,redis://...]   RedisShards over the listed standalone servers
//   rediss://...                                  the same over TLS (each URL may choose redis or rediss)
//   redis-cluster://[user:pass@]host:port[,host:port...]   RedisCluster through these startup nodes
//   rediss-cluster://...                          the same over TLS
//
// Several servers are separated by commas. A port missing from a URL is 6379, Redis's default.
import { InvalidStoreUrl } from './errors.js';
import { MemoryStore } from './memory/memory-store.js';
import type { MemoryStoreOptions, RedisStoreOptions } from './options.js';
import { RedisCluster, type ClusterAddress } from './redis/cluster.js';
import { RedisShards, type ShardAddress } from './redis/shards.js';
import type { Store } from './store.js';

export interface OpenStoreOptions extends RedisStoreOptions, MemoryStoreOptions {}

interface ParsedAddress extends ShardAddress {
  readonly cluster: boolean;
}

function parseOne(whole: string, part: string): ParsedAddress {
  let url: URL;
  try {
    url = new URL(part.trim());
  } catch {
    throw new InvalidStoreUrl(whole, `cannot parse ${JSON.stringify(part.replace(/\/\/[^@/]*@/, '//***@'))}`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  const known = ['redis', 'rediss', 'redis-cluster', 'rediss-cluster'];
  if (!known.includes(scheme))
    throw new InvalidStoreUrl(whole, `unknown scheme ${scheme}: (use memory, ${known.join(', ')})`);
  if (!url.hostname) throw new InvalidStoreUrl(whole, 'a host is required');
  const port = url.port === '' ? 6379 : Number(url.port);
  const cluster = scheme.endsWith('-cluster');
  let db: number | undefined;
  const path = url.pathname.replace(/^\//, '');
  if (path !== '') {
    db = Number(path);
    if (!Number.isSafeInteger(db) || db < 0)
      throw new InvalidStoreUrl(whole, `database ${JSON.stringify(path)} is not an index`);
    if (cluster) throw new InvalidStoreUrl(whole, 'Redis Cluster has no database index');
  }
  return {
    cluster,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    tls: scheme.startsWith('rediss'),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

/** Parses a store URL into addresses (exported for tools that show where a store points). */
export function parseStoreUrl(
  url: string,
): { kind: 'memory' } | { kind: 'redis-shards' | 'redis-cluster'; addresses: ShardAddress[] } {
  const trimmed = url.trim();
  if (trimmed === 'memory' || trimmed === 'memory://') return { kind: 'memory' };
  const parts = trimmed.split(',').filter((p) => p.trim() !== '');
  if (parts.length === 0) throw new InvalidStoreUrl(url, 'empty');
  const parsed = parts.map((p) => parseOne(url, p));
  const clusters = parsed.filter((p) => p.cluster).length;
  if (clusters !== 0 && clusters !== parsed.length) {
    throw new InvalidStoreUrl(url, 'cannot mix redis-cluster:// and redis:// addresses');
  }
  return {
    kind: clusters > 0 ? 'redis-cluster' : 'redis-shards',
    addresses: parsed.map(({ cluster: _cluster, ...address }) => address),
  };
}

/** Opens the store a URL names; Redis stores are connected and checked before this resolves. */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const parsed = parseStoreUrl(url);
  if (parsed.kind === 'memory') {
    const { maxValueBytes, eventTtlMs, sweepIntervalMs } = opts;
    return new MemoryStore({ maxValueBytes, eventTtlMs, sweepIntervalMs });
  }
  if (parsed.kind === 'redis-shards') return RedisShards.connect(parsed.addresses, opts);
  const first = parsed.addresses[0] as ShardAddress;
  const addresses: ClusterAddress[] = parsed.addresses.map((a) => ({ host: a.host, port: a.port }));
  return RedisCluster.connect(addresses, {
    ...opts,
    useTls: parsed.addresses.some((a) => a.tls),
    username: opts.username ?? first.username,
    password: opts.password ?? first.password,
  });
}
