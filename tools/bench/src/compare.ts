#!/usr/bin/env node
/**
 * `nx run @wukong/bench:compare`: the paper's four applications on Wukong-TS (local backend, memory
 * storage, 2 worker threads), with clustering and delayed I/O on and off, and — when /usr/bin/python3
 * has dask, distributed and scikit-learn — the same computations on a Dask LocalCluster (2 worker
 * processes × 1 thread, OpenBLAS forced to its SkylakeX kernels), in the same run. Prints a markdown table
 * and writes it to results/compare.md (raw figures in results/compare.json).
 *
 * Flags: --reps N (default 3; the best run counts, the machine is shared), --quick (small sizes, a smoke
 * run), --no-dask, --out DIR, --only TEXT (only the workloads whose label contains TEXT).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  connect,
  gemmWorkload,
  svcWorkload,
  svdCompressedWorkload,
  svdTallWorkload,
  type Client,
  type JobReport,
  type Workload,
} from '@wukong/scheduler';

interface Case {
  label: string;
  /** Workload name on the Dask side and its parameters (absent: a Wukong-TS-only variant). */
  dask?: { name: string; params: Record<string, unknown> };
  /**
   * The workload with its random inputs drawn from `seed`. Every run gets a seed of its own, so no run
   * reuses what an earlier one generated (executors cache generated blocks by seed), as the Dask side
   * draws new inputs for every repetition.
   */
  build: (seed: number) => Workload & { flops?: number };
}

interface Measured {
  wallS: number;
  bytes: number;
  computeShare: number;
  ok: boolean;
  check: Record<string, unknown>;
}

const PYTHON = '/usr/bin/python3';
const WORKERS = 2;

function cases(quick: boolean): Case[] {
  const g = quick ? { n: 800, chunk: 200 } : { n: 4000, chunk: 1000 };
  const t = quick ? { rows: 20_000, cols: 50, chunk: 2_000 } : { rows: 200_000, cols: 100, chunk: 10_000 };
  const c1 = quick ? { n: 1000, chunk: 250, rank: 5 } : { n: 4000, chunk: 1000, rank: 5 };
  const c2 = quick ? { n: 2000, chunk: 500, rank: 5 } : { n: 10_000, chunk: 2000, rank: 5 };
  const v = quick
    ? { samples: 80_000, chunk: 8_000, train: 1000 }
    : { samples: 800_000, chunk: 40_000, train: 1000 };
  return [
    {
      label: `GEMM ${g.n}² chunk ${g.chunk} (sum of C)`,
      dask: { name: 'gemm', params: g },
      build: (seed) => gemmWorkload({ ...g, sampleRows: 0, seed }),
    },
    {
      label: `GEMM ${g.n}² chunk ${g.chunk} + sampled dense check (4 rows per block)`,
      build: (seed) => gemmWorkload({ ...g, sampleRows: 4, seed }),
    },
    {
      label: `TSQR SVD ${t.rows}×${t.cols} (s, v)`,
      dask: { name: 'svd-tall', params: { ...t, singularValuesOnly: true } },
      build: (seed) => svdTallWorkload({ ...t, singularValuesOnly: true, denseCheck: false, seed }),
    },
    {
      label: `TSQR SVD ${t.rows}×${t.cols} (u, s, v + reconstruction, UᵀU)`,
      dask: { name: 'svd-tall', params: t },
      build: (seed) => svdTallWorkload({ ...t, denseCheck: false, seed }),
    },
    {
      label: `svd_compressed ${c1.n}² chunk ${c1.chunk} k=${c1.rank}`,
      dask: { name: 'svd-compressed', params: c1 },
      build: (seed) => svdCompressedWorkload({ ...c1, denseLimit: 0, seed }),
    },
    {
      label: `svd_compressed ${c2.n}² chunk ${c2.chunk} k=${c2.rank}`,
      dask: { name: 'svd-compressed', params: c2 },
      build: (seed) => svdCompressedWorkload({ ...c2, denseLimit: 0, seed }),
    },
    {
      label: `svd_compressed ${c2.n}² chunk ${c2.chunk} k=${c2.rank}, blockwise graph (input regenerated in each pass)`,
      build: (seed) => svdCompressedWorkload({ ...c2, denseLimit: 0, sketchStrips: false, seed }),
    },
    {
      label: `svd_compressed ${c2.n}² chunk ${c2.chunk} k=${c2.rank}, input generated once and held between passes`,
      build: (seed) => svdCompressedWorkload({ ...c2, denseLimit: 0, materializeInput: true, seed }),
    },
    {
      label: `SVC ${v.samples.toLocaleString('en')} rows (fit ${v.train}, predict, score)`,
      dask: { name: 'svc', params: v },
      build: (seed) => svcWorkload({ ...v, seed }),
    },
  ];
}

/**
 * Share of the workers' time spent inside ops: per worker thread (executor ids are `w<thread>.<n>`), the
 * union of its compute spans (executors of one thread interleave while awaiting), over threads × wall.
 */
function computeShare(report: JobReport): number {
  const perThread = new Map<string, [number, number][]>();
  for (const s of report.spans) {
    if (s.kind !== 'compute') continue;
    const thread = s.executor.split('.')[0]!;
    let list = perThread.get(thread);
    if (!list) perThread.set(thread, (list = []));
    list.push([s.t0, s.t1]);
  }
  let busy = 0;
  for (const list of perThread.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let [start, end] = list[0]!;
    for (const [t0, t1] of list.slice(1)) {
      if (t0 > end) {
        busy += end - start;
        [start, end] = [t0, t1];
      } else end = Math.max(end, t1);
    }
    busy += end - start;
  }
  return busy / (WORKERS * report.wallMs);
}

/** Seeds 10 apart: a workload may draw several inputs from seed, seed + 1, ... */
const seedOf = (run: number): number => 10 * (run + 1);

async function measure(
  client: Client,
  c: Case,
  clustering: boolean,
  reps: number,
  firstRun: number,
): Promise<Measured> {
  let best: Measured | undefined;
  for (let r = 0; r < reps; r++) {
    const workload = c.build(seedOf(firstRun + r));
    const { outputs, report } = await client.run(workload.graph, { executorOptions: { clustering } });
    const { ok, details } = workload.check(outputs);
    const m: Measured = {
      wallS: report.wallMs / 1000,
      bytes: report.counters.bytesStored + report.counters.bytesRead,
      computeShare: computeShare(report),
      ok,
      check: details,
    };
    if (!ok) return m;
    if (best === undefined || m.wallS < best.wallS) best = m;
  }
  return best!;
}

interface DaskSide {
  available: boolean;
  reason?: string;
  versions?: Record<string, string>;
  blas?: Record<string, unknown>[];
  results?: { label: string; times_s: number[]; check: Record<string, unknown> }[];
}

function runDask(all: Case[], reps: number): DaskSide {
  if (!existsSync(PYTHON)) return { available: false, reason: `${PYTHON} not found` };
  const script = fileURLToPath(new URL('../compare_dask.py', import.meta.url));
  const spec = all.flatMap((c) =>
    c.dask ? [{ label: c.label, name: c.dask.name, params: c.dask.params, reps }] : [],
  );
  const child = spawnSync(PYTHON, [script, JSON.stringify(spec)], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    env: {
      ...process.env,
      OPENBLAS_CORETYPE: 'SkylakeX',
      OPENBLAS_NUM_THREADS: '1',
      OMP_NUM_THREADS: '1',
      MKL_NUM_THREADS: '1',
    },
  });
  const last = child.stdout?.trim().split('\n').pop();
  if (child.status !== 0 || !last)
    return { available: false, reason: `dask run failed: ${child.stderr?.slice(-500)}` };
  return JSON.parse(last) as DaskSide;
}

const mb = (b: number): string => (b < 1e6 ? `${(b / 1e3).toFixed(1)} kB` : `${(b / 1e6).toFixed(1)} MB`);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reps = Number(args[args.indexOf('--reps') + 1] ?? 3) || 3;
  const quick = args.includes('--quick');
  const withDask = !args.includes('--no-dask');
  const outDir = args.includes('--out')
    ? args[args.indexOf('--out') + 1]!
    : fileURLToPath(new URL('../results/', import.meta.url));
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const all = cases(quick).filter((c) => only === undefined || c.label.includes(only));
  if (all.length === 0) throw new Error(`--only ${only}: no workload label contains it`);

  const client = await connect({ workers: WORKERS });
  const ours: { on: Measured; off: Measured; flops?: number }[] = [];
  try {
    for (const c of all) {
      const w = c.build(seedOf(0));
      await client.run(w.graph); // warm-up: kernels load in every worker thread
      const on = await measure(client, c, true, reps, 1);
      const off = await measure(client, c, false, reps, 1 + reps);
      ours.push({ on, off, ...(w.flops === undefined ? {} : { flops: w.flops }) });
      process.stderr.write(`${c.label}: ${on.wallS.toFixed(3)} s (off ${off.wallS.toFixed(3)} s)\n`);
    }
  } finally {
    await client.close();
  }
  const dask: DaskSide = withDask ? runDask(all, reps) : { available: false, reason: '--no-dask' };

  const lines = [
    `# Wukong-TS vs Dask`,
    '',
    `Command: \`NX_DAEMON=false NX_NO_CLOUD=true npx nx run @wukong/bench:compare${args.length ? ` -- ${args.join(' ')}` : ''}\``,
    `Date: ${new Date().toISOString()}. Best of ${reps} runs per cell, both systems in this one run.`,
    `Wukong-TS: local backend, memory storage, ${WORKERS} worker threads. ` +
      (dask.available
        ? `Dask ${dask.versions?.dask} (distributed ${dask.versions?.distributed}, numpy ${dask.versions?.numpy}, scikit-learn ${dask.versions?.sklearn}): LocalCluster, 2 worker processes × 1 thread; BLAS: ${(
            dask.blas ?? []
          )
            .filter((b) => b.internal_api === 'openblas')
            .map(
              (b) =>
                `OpenBLAS ${String(b.version)} ${String(b.architecture)} kernels, ${String(b.num_threads)} thread`,
            )
            .join('; ')}.`
        : `Dask column skipped: ${dask.reason}.`),
    '',
    '| workload | Wukong-TS (s) | no clustering (s) | Dask (s) | Dask / Wukong-TS | GFLOP/s Wukong-TS / Dask | bytes through storage: clustering on | off | off / on | compute share | checks |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |',
  ];
  all.forEach((c, i) => {
    const o = ours[i]!;
    const d = dask.results?.find((r) => r.label === c.label);
    const dt = d ? Math.min(...d.times_s) : undefined;
    const gf = (s: number | undefined): string => (o.flops && s ? (o.flops / s / 1e9).toFixed(1) : '–');
    lines.push(
      `| ${c.label} | ${o.on.wallS.toFixed(3)} | ${o.off.wallS.toFixed(3)} | ${dt?.toFixed(3) ?? (c.dask ? 'n/a' : '–')} | ${dt ? (dt / o.on.wallS).toFixed(2) : c.dask ? 'n/a' : '–'} | ${o.flops ? `${gf(o.on.wallS)} / ${gf(dt)}` : '–'} | ${mb(o.on.bytes)} | ${mb(o.off.bytes)} | ${o.on.bytes > 0 ? `${(o.off.bytes / o.on.bytes).toFixed(0)}×` : '∞'} | ${(100 * o.on.computeShare).toFixed(0)}% | ${o.on.ok && o.off.ok ? 'ok' : 'WRONG'} |`,
    );
  });
  lines.push(
    '',
    'Bytes through storage = bytesStored + bytesRead (job counters). Compute share = Σ compute spans / (workers × wall).',
    'GFLOP/s uses the nominal operation count of the computation (GEMM: 2n³).',
  );
  const table = `${lines.join('\n')}\n`;
  process.stdout.write(table);
  await mkdir(outDir, { recursive: true });
  await writeFile(`${outDir}/compare.md`, table);
  await writeFile(
    `${outDir}/compare.json`,
    JSON.stringify({ cases: all.map((c) => c.label), ours, dask }, null, 2),
  );
}

await main();
