/**
 * close() while a blocking event read is in flight: the read ends, and no timer is left that keeps the
 * process alive. (A second disconnect() of the blocking connection that close() had ended used to arm
 * ioredis' 2 s destroy timer on a socket that would never close again, so every
 * `wukong run --storage redis://…` lingered 2 s after its job.) Runs in a child process, where no other
 * timer exists.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterUrl,
  shardsUrl,
  startCluster,
  startShards,
  stopAll,
  type RedisProcess,
} from '../src/testing/index.js';

const execFileAsync = promisify(execFile);
const CHILD = fileURLToPath(new URL('./fixtures/close-during-read.mjs', import.meta.url));

let shards: RedisProcess[] = [];
let cluster: RedisProcess[] = [];
beforeAll(async () => {
  [shards, cluster] = await Promise.all([startShards(2), startCluster(3)]);
}, 120_000);
afterAll(async () => {
  await stopAll([...shards, ...cluster]);
});

describe.each([
  { name: 'Redis shards', url: () => shardsUrl(shards) },
  { name: 'Redis Cluster', url: () => clusterUrl(cluster) },
])('close() during a blocking read on $name', ({ url }) => {
  it('ends the read and leaves no timer or socket behind', async () => {
    const { stdout } = await execFileAsync(process.execPath, [CHILD, url()]);
    const { outcome, timers } = JSON.parse(stdout) as { outcome: Record<string, unknown>; timers: number };
    expect(outcome).not.toHaveProperty('events', 1);
    expect(timers).toBe(0);
  });
});
