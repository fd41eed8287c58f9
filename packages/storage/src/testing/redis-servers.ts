// Test and bench harness: starts real redis-server processes on free ports (never 6379), each in its own
// temporary directory with persistence off, and stops them again. A 3-master cluster is created with
// `redis-cli --cluster create ... --cluster-yes`. Every process started here is also killed on process
// exit, so a failing test leaves no orphans.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FORBIDDEN_PORT = 6379;
const READY_TIMEOUT_MS = 15_000;

export interface RedisProcess {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  readonly proc: ChildProcess;
  readonly url: string;
}

const live = new Set<RedisProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        p.proc.kill('SIGKILL');
        rmSync(p.dir, { recursive: true, force: true });
      } catch {
        // the process is gone already
      }
    }
  });
}

/** A TCP port that was free a moment ago, below 55536 so that a cluster bus port (+10000) exists. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port !== FORBIDDEN_PORT && port + 10000 !== FORBIDDEN_PORT && port < 55536) return port;
  }
}

export interface StartRedisOptions {
  /** Start with cluster-enabled yes. */
  readonly cluster?: boolean;
  /** Extra redis-server arguments, e.g. ['--requirepass', 'secret']. */
  readonly extraArgs?: readonly string[];
  /** Listen on this port instead of a free one (e.g. to restart a server where it was). */
  readonly port?: number;
  /** Serve TLS only (plain port off), with these PEM files. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

async function startOnce(opts: StartRedisOptions): Promise<RedisProcess> {
  if (opts.port === FORBIDDEN_PORT) throw new Error(`port ${FORBIDDEN_PORT} is never used by tests`);
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'wk-redis-'));
  const listen = opts.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const tlsFiles = opts.tls
    ? [
        '--tls-cert-file',
        opts.tls.certFile,
        '--tls-key-file',
        opts.tls.keyFile,
        '--tls-ca-cert-file',
        opts.tls.caFile,
      ]
    : [];
  const args = [
    ...listen,
    ...tlsFiles,
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--maxmemory-policy',
    'noeviction',
    '--proto-max-bulk-len',
    '536870912',
    ...(opts.cluster
      ? [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '3000',
        ]
      : []),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: RedisProcess = {
    host: '127.0.0.1',
    port,
    dir,
    proc,
    url: `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
  };
  live.add(p);
  installExitHook();
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server on ${port} not ready: ${output}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${String(code)}: ${output}`));
    });
  }).catch(async (err: unknown) => {
    await stopRedis(p);
    throw err;
  });
  // Keep draining the pipes so the server never blocks on a full log pipe.
  proc.stdout?.resume();
  proc.stderr?.resume();
  return p;
}

/** Starts one redis-server on a free port; retries with another port if the chosen one got taken. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** Kills the server (SIGKILL: no shutdown save) and removes its directory. */
export async function stopRedis(p: RedisProcess): Promise<void> {
  if (p.proc.exitCode === null && p.proc.signalCode === null) {
    await new Promise<void>((resolve) => {
      p.proc.once('exit', () => resolve());
      p.proc.kill('SIGKILL');
    });
  }
  live.delete(p);
  rmSync(p.dir, { recursive: true, force: true });
}

export async function startShards(n: number, opts: StartRedisOptions = {}): Promise<RedisProcess[]> {
  const started: RedisProcess[] = [];
  try {
    for (let i = 0; i < n; i++) started.push(await startRedis(opts));
    return started;
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

export async function stopAll(ps: readonly RedisProcess[]): Promise<void> {
  await Promise.all(ps.map((p) => stopRedis(p)));
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 30_000,
  });
  return stdout;
}

/** Starts `n` cluster-enabled servers and joins them into a cluster of n masters (no replicas). */
export async function startCluster(n = 3): Promise<RedisProcess[]> {
  const nodes = await startShards(n, { cluster: true });
  try {
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((p) => `127.0.0.1:${p.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const node of nodes) {
      for (;;) {
        const info = await redisCli(node.port, 'cluster', 'info');
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} not ok: ${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return nodes;
  } catch (err) {
    await stopAll(nodes);
    throw err;
  }
}

export function shardsUrl(ps: readonly RedisProcess[]): string {
  return ps.map((p) => p.url).join(',');
}

export function clusterUrl(ps: readonly RedisProcess[]): string {
  return ps.map((p) => `redis-cluster://127.0.0.1:${p.port}`).join(',');
}
