/**
 * `wukong run` end to end: the built CLI (dist/cli.js) in a child process, its stdout parsed as the one
 * JSON object of --json, its --trace file parsed as Chrome-trace JSON, its exit status and stderr checked.
 * Stderr is a pipe here, never a TTY, so no progress bar may appear on it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardsUrl, startShards, stopAll, type RedisProcess } from '@wukong/storage/testing';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function wukong(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

interface Summary {
  workload: string;
  ok: boolean;
  check: Record<string, unknown>;
  wall_ms: number;
  tasks: number;
  invocations: number;
  tasks_executed: number;
  bytes_stored: number;
  bytes_kept_local: number;
  retries: number;
}

/** Runs the CLI with --json, expects success and exactly one JSON line on stdout and nothing on stderr. */
async function runJson(...args: string[]): Promise<Summary> {
  const { code, stdout, stderr } = await wukong('run', ...args, '--json');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.trimEnd().split('\n')).toHaveLength(1);
  return JSON.parse(stdout) as Summary;
}

let dir: string;
let shards: RedisProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wukong-cli-run-'));
  shards = await startShards(3);
});
afterAll(async () => {
  await stopAll(shards);
  await rm(dir, { recursive: true, force: true });
});

describe('wukong run tree-reduction', () => {
  it('prints one JSON object with the checked result and the job figures', async () => {
    const s = await runJson('tree-reduction', '--leaves', '64', '--workers', '2');
    expect(Object.keys(s).sort()).toEqual(
      [
        'workload',
        'ok',
        'check',
        'wall_ms',
        'tasks',
        'invocations',
        'tasks_executed',
        'bytes_stored',
        'bytes_kept_local',
        'retries',
      ].sort(),
    );
    expect(s).toMatchObject({
      workload: 'tree-reduction',
      ok: true,
      check: { expected: 2080, actual: 2080 },
      tasks: 63,
      tasks_executed: 63,
      retries: 0,
    });
    expect(s.wall_ms).toBeGreaterThan(0);
    // 32 leaves are invoked by the client; every other task is become or invoked by an executor.
    expect(s.invocations).toBeGreaterThanOrEqual(32);
    expect(s.invocations).toBeLessThanOrEqual(63);
    // Each of 31 fan-ins needs one parent's output in storage; the final is stored too.
    expect(s.bytes_stored).toBeGreaterThan(0);
    expect(s.bytes_kept_local).toBeGreaterThanOrEqual(0);
  });

  it('prints a readable summary without --json, and nothing on stderr when stderr is not a TTY', async () => {
    const { code, stdout, stderr } = await wukong(
      'run',
      'tree-reduction',
      '--leaves',
      '64',
      '--workers',
      '2',
    );
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^tree-reduction: ok \(expected 2080, actual 2080\)$/m);
    expect(stdout).toMatch(
      /^ {2}wall [\d.]+ ms, 63 tasks \([\d.]+ µs\/task\), \d+ invocations, 63 executed, 0 retries$/m,
    );
  });

  it('writes a Chrome-trace JSON of the spans with --trace', async () => {
    const path = join(dir, 'trace.json');
    const s = await runJson('tree-reduction', '--leaves', '16', '--workers', '2', '--trace', path);
    expect(s.ok).toBe(true);
    const trace = JSON.parse(await readFile(path, 'utf8')) as {
      traceEvents: {
        name: string;
        ph: string;
        ts: number;
        dur?: number;
        pid: number;
        tid: number;
        args: { task?: string };
      }[];
      displayTimeUnit: string;
    };
    const complete = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(complete.length).toBeGreaterThan(0);
    for (const e of complete) {
      expect(e.ts).toBeGreaterThanOrEqual(0);
      expect(e.dur).toBeGreaterThanOrEqual(1);
      expect(e.name).toMatch(/^(fetch|compute|store|fanin|invoke|wait) t\d+\.\d+$/);
      expect(e.name.endsWith(` ${e.args.task}`)).toBe(true);
    }
    // Every one of the 15 tasks was computed, so each has a compute span naming it.
    const computed = new Set(complete.filter((e) => e.name.startsWith('compute ')).map((e) => e.args.task));
    expect(computed.size).toBe(15);
    expect(computed).toContain('t4.0');
    // Rows are executors, each named by a metadata event.
    const rows = new Set(complete.map((e) => e.tid));
    const named = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid);
    expect(new Set(named)).toEqual(rows);
  });

  it('runs on 3 Redis shards with --storage', async () => {
    const s = await runJson(
      'tree-reduction',
      '--leaves',
      '64',
      '--workers',
      '2',
      '--storage',
      shardsUrl(shards),
    );
    expect(s).toMatchObject({ ok: true, check: { actual: 2080 }, tasks_executed: 63, retries: 0 });
    expect(s.bytes_stored).toBeGreaterThan(0);
  });

  it('still computes the right sum when every invocation is delivered twice', async () => {
    const s = await runJson('tree-reduction', '--leaves', '64', '--workers', '2', '--duplicate-rate', '1');
    expect(s).toMatchObject({ ok: true, check: { actual: 2080 }, tasks: 63, tasks_executed: 63 });
  });

  it('still computes the right sum when a fifth of the tasks crash their executor', async () => {
    const s = await runJson('tree-reduction', '--leaves', '64', '--workers', '2', '--crash-rate', '0.2');
    expect(s).toMatchObject({ ok: true, check: { expected: 2080, actual: 2080 }, tasks: 63 });
    // 63 tasks at a 20% crash rate: some crash (P(none) = 0.8^63 < 1e-6) and are retried by the watchdog.
    expect(s.retries).toBeGreaterThan(0);
  });
});

describe('wukong run graph', () => {
  it('runs the diamond example and prints its final', async () => {
    const s = await runJson('graph', join(EXAMPLES, 'diamond.json'), '--workers', '2');
    expect(s).toMatchObject({
      workload: `graph ${join(EXAMPLES, 'diamond.json')}`,
      ok: true,
      check: { finals: 1, values: { d: 19 } },
      tasks: 4,
      tasks_executed: 4,
      retries: 0,
    });
  });

  it('exits 1 with the typed error for a bad graph file, starting nothing', async () => {
    const path = join(dir, 'cycle.json');
    await writeFile(
      path,
      JSON.stringify({
        tasks: [
          { key: 'p', op: 'add', args: [{ ref: 'q' }] },
          { key: 'q', op: 'add', args: [{ ref: 'p' }] },
        ],
      }),
    );
    const plain = await wukong('run', 'graph', path);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toBe(
      'wukong: CycleError [GRAPH_CYCLE]: cycle through task "p": "p" -> "q" -> "p"\n',
    );

    const json = await wukong('run', 'graph', path, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      workload: `graph ${path}`,
      ok: false,
      error: {
        name: 'CycleError',
        code: 'GRAPH_CYCLE',
        message: 'cycle through task "p": "p" -> "q" -> "p"',
      },
    });

    const unknown = join(dir, 'unknown-op.json');
    await writeFile(unknown, JSON.stringify({ tasks: [{ key: 'k', op: 'exec', args: ['ls'] }] }));
    const bad = await wukong('run', 'graph', unknown);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^wukong: UnknownOpError \[GRAPH_UNKNOWN_OP\]: task "k" uses unknown op "exec"$/m,
    );

    const missing = await wukong('run', 'graph', join(dir, 'missing.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/GraphFileError \[SCHEDULER_GRAPH_FILE\]: cannot read graph file/);

    const garbage = join(dir, 'garbage.json');
    await writeFile(garbage, 'tasks: [a, b]\n');
    const neither = await wukong('run', 'graph', garbage);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toBe(
      `wukong: GraphFileError [SCHEDULER_GRAPH_FILE]: cannot read graph file ${garbage}: ` +
        'neither a JSON graph (an object, starting with "{") nor a binary graph frame\n',
    );
  });

  it('rejects bad option values before running', async () => {
    const rate = await wukong('run', 'tree-reduction', '--leaves', '8', '--duplicate-rate', '2');
    expect(rate.code).not.toBe(0);
    expect(rate.stderr).toContain('expected a number in [0, 1]');
    const leaves = await wukong('run', 'tree-reduction', '--leaves', '0');
    expect(leaves.code).not.toBe(0);
    expect(leaves.stderr).toContain('expected a positive integer');
  });
});
