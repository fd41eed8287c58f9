/**
 * The paper's applications through the built `wukong` binary at small sizes: each run verifies its own
 * result and reports it under --json. Clustering on and off must give the same verified results.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Summary {
  workload: string;
  ok: boolean;
  check: Record<string, unknown>;
  tasks: number;
  bytes_stored: number;
}

async function wukongJson(...args: string[]): Promise<Summary> {
  const { stdout } = await run(process.execPath, [CLI, 'run', ...args, '--workers', '2', '--json']);
  return JSON.parse(stdout) as Summary;
}

describe('wukong run <application> --json', () => {
  it('gemm: sampled dense recomputation', async () => {
    const s = await wukongJson('gemm', '--n', '300', '--chunk', '100');
    expect(s.ok).toBe(true);
    expect(s.check.sampled_rows).toBe(12);
    expect(s.check.max_abs_error).toBeLessThan(1e-9);
    // 3×3 output blocks, chains of 3 links, a sum and a check per block, two reductions of 9 (8 + 1, then 1).
    expect(s.tasks).toBe(27 + 9 + 9 + 3 + 3);
  });

  it('svd-tall: reconstruction, orthogonality and singular values against a dense SVD', async () => {
    for (const flags of [[], ['--no-clustering']]) {
      const s = await wukongJson('svd-tall', '--rows', '3000', '--cols', '12', '--chunk', '500', ...flags);
      expect(s.ok).toBe(true);
      expect(s.check.singular_values_rel_error).toBeLessThan(1e-10);
      expect(s.check.reconstruction_error).toBeLessThan(1e-10);
    }
  });

  it('svd-compressed: top-k against a dense reference, orthogonal factors', async () => {
    const s = await wukongJson(
      'svd-compressed',
      '--n',
      '400',
      '--chunk',
      '100',
      '--rank',
      '4',
      '--power-iter',
      '1',
    );
    expect(s.ok).toBe(true);
    expect(s.check.reference_singular_values).toHaveLength(4);
    expect((s.check.relative_shortfall as number[])[0]).toBeLessThan(1e-3);
    // Input blocks held between the passes (the blockwise graph) instead of regenerated in row strips:
    // a different graph and summation order, the same numbers to rounding.
    const held = await wukongJson(
      'svd-compressed',
      ...['--n', '400', '--chunk', '100', '--rank', '4', '--power-iter', '1', '--materialize-input'],
    );
    expect(held.ok).toBe(true);
    expect(held.tasks).toBeGreaterThan(s.tasks as number);
    const [a, b] = [held.check.singular_values as number[], s.check.singular_values as number[]];
    expect(a).toHaveLength(4);
    a.forEach((v, i) => expect(Math.abs(v - b[i]!) / b[0]!).toBeLessThan(1e-12));
  });

  it('svc: held-out accuracy', async () => {
    const s = await wukongJson('svc', '--samples', '12000', '--chunk', '3000', '--train', '300');
    expect(s.ok).toBe(true);
    expect(s.check.held_out).toBe(11_700);
    expect(s.check.accuracy).toBeGreaterThan(0.75);
  });

  it('rejects bad sizes with a typed error and exit status 1', async () => {
    await expect(
      run(process.execPath, [CLI, 'run', 'svd-tall', '--rows', '100', '--cols', '50', '--chunk', '10']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/ArrayArgError \[GRAPH_ARRAY_ARG\]: tsqr/) as unknown,
    });
  });
});
