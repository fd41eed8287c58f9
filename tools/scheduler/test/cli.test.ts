import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGraph, parseGraphJson } from '@wukong/graph';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

async function wukong(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wukong-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wukong plan', () => {
  it('prints statistics and static schedules of the tree-reduction example', async () => {
    const { code, stdout, stderr } = await wukong('plan', join(EXAMPLES, 'tree-reduction-16.json'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+tasks\s+31$/m);
    expect(stdout).toMatch(/^\s+leaves\s+16$/m);
    expect(stdout).toMatch(/^\s+finals\s+1$/m);
    expect(stdout).toMatch(/^\s+edges\s+30$/m);
    expect(stdout).toMatch(/^\s+max fan-in\s+2$/m);
    expect(stdout).toMatch(/^\s+max fan-out\s+1$/m);
    expect(stdout).toMatch(/^\s+critical path\s+5 tasks$/m);
    expect(stdout).toContain('static schedules: 16 (one per leaf), showing 4');
    // x00's executor adds its way up the tree; every add is a fan-in of two parents.
    expect(stdout).toMatch(
      /leaf x00: 5 tasks\n\s+x00\s+become s1-0\*\n\s+s1-0\*\s+become s2-0\*\n\s+s2-0\*\s+become s3-0\*\n\s+s3-0\*\s+become total\*\n\s+total\*\s+final/,
    );
  });

  it('prints JSON with --json and honours --schedules', async () => {
    const { code, stdout } = await wukong(
      'plan',
      join(EXAMPLES, 'diamond.json'),
      '--json',
      '--schedules',
      '1',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      stats: Record<string, number>;
      scheduleCount: number;
      schedules: unknown[];
    };
    expect(report.stats).toEqual({
      tasks: 4,
      leaves: 1,
      finals: 1,
      edges: 4,
      maxFanIn: 2,
      maxFanOut: 2,
      criticalPathLength: 3,
    });
    expect(report.scheduleCount).toBe(1);
    expect(report.schedules).toEqual([
      {
        leaf: 'a',
        steps: [
          { task: 'a', inDegree: 0, become: 'b', invoke: ['c'] },
          { task: 'b', inDegree: 1, become: 'd', invoke: [] },
          { task: 'd', inDegree: 2, become: null, invoke: [] },
          { task: 'c', inDegree: 1, become: 'd', invoke: [] },
        ],
      },
    ]);
  });

  it('reads the binary graph codec too', async () => {
    const { readFile } = await import('node:fs/promises');
    const graph = parseGraphJson(await readFile(join(EXAMPLES, 'fan-out-fan-in.json'), 'utf8'));
    const path = join(dir, 'fan.wkg');
    await writeFile(path, encodeGraph(graph));
    const { code, stdout } = await wukong('plan', path, '--json', '--schedules', '0');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      stats: { tasks: 10, maxFanIn: 4, maxFanOut: 4 },
      schedules: [],
    });
  });

  it('exits non-zero with the typed error for a graph with a cycle, an unknown op or a forbidden key', async () => {
    const cases: [string, object | string, RegExp][] = [
      [
        'cycle.json',
        {
          tasks: [
            { key: 'p', op: 'add', args: [{ ref: 'q' }] },
            { key: 'q', op: 'add', args: [{ ref: 'p' }] },
          ],
        },
        /^wukong: CycleError \[GRAPH_CYCLE\]: cycle through task "p": "p" -> "q" -> "p"$/m,
      ],
      [
        'unknown-op.json',
        { tasks: [{ key: 'k', op: 'exec', args: [] }] },
        /^wukong: UnknownOpError \[GRAPH_UNKNOWN_OP\]: task "k" uses unknown op "exec"$/m,
      ],
      [
        'dangling.json',
        { tasks: [{ key: 'k', op: 'add', args: [{ ref: 'nowhere' }] }] },
        /DanglingRefError \[GRAPH_DANGLING_REF\]: task "k" references "nowhere"/,
      ],
      [
        'proto.json',
        '{"tasks": [{"key": "k", "op": "add", "args": [], "__proto__": {"x": 1}}]}',
        /ForbiddenKeyError \[GRAPH_FORBIDDEN_KEY\]: forbidden property "__proto__" at tasks\[0\] \(task "k"\)/,
      ],
    ];
    for (const [name, content, expected] of cases) {
      const path = join(dir, name);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
      const { code, stdout, stderr } = await wukong('plan', path);
      expect(code, name).toBe(1);
      expect(stdout, name).toBe('');
      expect(stderr, name).toMatch(expected);
    }
  });

  it('exits non-zero for a missing file and a bad option', async () => {
    const missing = await wukong('plan', join(dir, 'missing.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /GraphFileError \[SCHEDULER_GRAPH_FILE\]: cannot read graph file .*missing\.json: ENOENT/,
    );
    const badOption = await wukong('plan', join(EXAMPLES, 'diamond.json'), '--schedules', '-2');
    expect(badOption.code).not.toBe(0);
    expect(badOption.stderr).toContain('non-negative integer');
  });
});
