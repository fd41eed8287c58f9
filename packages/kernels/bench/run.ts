// Kernel benchmark: prints one table of wasm (SIMD128 and relaxed-SIMD builds) against the plain-TS
// reference and, when /usr/bin/python3 has them, numpy (single-threaded OpenBLAS) and scikit-learn on
// the same inputs. Run: NX_DAEMON=false NX_NO_CLOUD=true npx nx run @wukong/kernels:bench
// Figures are best-of-N wall times on whatever the machine is doing; never assert on them in tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKernels, reference as R, type Kernels, type SvcModel } from '@wukong/kernels';

const PYTHON = '/usr/bin/python3';
const GEMM_SIZES = [256, 512, 1000, 2000];
const QR_SHAPE: [number, number] = [10_000, 100];
const SVD_SIZES = [100, 500];
const SVC = { n: 1000, d: 20, rows: 20_000 };
/** The shapes of svd_compressed 10000² in blocks of 2000 with 15 sample columns (its two GEMMs per block). */
const THIN = { n: 2000, cols: 15 };
/** One 2000×2000 block of uniforms: what svd_compressed 10000² generates 25 times. */
const RNG_COUNT = 2000 * 2000;

function bestMs(fn: () => void, reps: number): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

interface Row {
  kernel: string;
  size: string;
  unit: string;
  simd128: number;
  relaxed: number;
  plain: number | undefined;
  baseline: number | undefined;
  baselineName: string;
  higherIsBetter: boolean;
  target: string;
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined) return '—';
  if (unit === 'rows/s') return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(0)}k`;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Speed of `a` relative to `b` (> 1: a is faster). */
function speedRatio(a: number, b: number | undefined, higherIsBetter: boolean): string {
  if (b === undefined) return '—';
  return `${(higherIsBetter ? a / b : b / a).toFixed(2)}×`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function printTable(rows: Row[]): void {
  const head = [
    'kernel',
    'size',
    'unit',
    'wasm simd128',
    'wasm relaxed',
    'plain TS',
    'wasm ÷ TS',
    'numpy/sklearn',
    'wasm ÷ numpy/sk',
    'target',
  ];
  const body = rows.map((r) => {
    const best = r.higherIsBetter ? Math.max(r.simd128, r.relaxed) : Math.min(r.simd128, r.relaxed);
    return [
      r.kernel,
      r.size,
      r.unit,
      fmt(r.simd128, r.unit),
      fmt(r.relaxed, r.unit),
      fmt(r.plain, r.unit),
      speedRatio(best, r.plain, r.higherIsBetter),
      r.baseline === undefined ? '—' : `${fmt(r.baseline, r.unit)} (${r.baselineName})`,
      speedRatio(best, r.baseline, r.higherIsBetter),
      r.target,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i] as number)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

function pythonHas(module: string): boolean {
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
  return r.status === 0;
}

function svcData(k: Kernels, n: number, d: number, seed: number): { x: Float64Array; y: Float64Array } {
  // Two overlapping classes whose boundary is curved: label = sign of x0·x1 + 0.5·x2² − 0.5 + noise.
  const x = k.rngNormal(seed, 0, n * d);
  const noise = k.rngNormal(seed, 1, n, { std: 0.3 });
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v =
      (x[i * d] as number) * (x[i * d + 1] as number) +
      0.5 * (x[i * d + 2] as number) ** 2 -
      0.5 +
      (noise[i] as number);
    y[i] = v > 0 ? 1 : 0;
  }
  return { x, y };
}

async function main(): Promise<void> {
  const simd = await loadKernels({ variant: 'simd128' });
  const relaxed = await loadKernels({ variant: 'auto' });
  const hasNumpy = pythonHas('numpy');
  const hasSklearn = hasNumpy && pythonHas('sklearn');
  console.log(
    `node ${process.version}; relaxed build: ${relaxed.variant === 'relaxed' ? 'yes' : 'no (engine lacks relaxed SIMD)'}; numpy: ${hasNumpy ? 'yes' : 'no'}; scikit-learn: ${hasSklearn ? 'yes' : 'no'}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'wukong-kernels-bench-'));
  const save = (name: string, data: Float64Array) => writeFileSync(join(dir, `${name}.f64`), data);
  const rows: Row[] = [];
  const both = (fn: (k: Kernels) => number): [number, number] => [fn(simd), fn(relaxed)];

  // GEMM.
  const gemmInputs = new Map<number, [Float64Array, Float64Array]>();
  for (const n of GEMM_SIZES) {
    const a = simd.rngUniform(1, n, n * n, { low: -1, high: 1 });
    const b = simd.rngUniform(2, n, n * n, { low: -1, high: 1 });
    gemmInputs.set(n, [a, b]);
    save(`gemm_a_${n}`, a);
    save(`gemm_b_${n}`, b);
  }
  const gemmRows: [number, number, number, number | undefined][] = [];
  for (const n of GEMM_SIZES) {
    const [a, b] = gemmInputs.get(n) as [Float64Array, Float64Array];
    const flop = 2 * n ** 3;
    const reps = n <= 512 ? 10 : n <= 1000 ? 5 : 3;
    const [ts, tr] = both((k) => {
      const A = k.fromArray(a);
      const B = k.fromArray(b);
      const C = k.alloc(n * n);
      const t = bestMs(() => k.gemm({ m: n, n, k: n, a: A, b: B, c: C }), reps);
      for (const buf of [A, B, C]) k.free(buf);
      return t;
    });
    const c = new Float64Array(n * n);
    const tp = bestMs(() => R.gemmRef(false, false, n, n, n, 1, a, b, 0, c), n <= 512 ? 3 : 1);
    gemmRows.push([n, flop / ts / 1e6, flop / tr / 1e6, flop / tp / 1e6]);
    console.log(
      `gemm ${n}: simd128 ${(flop / ts / 1e6).toFixed(2)} GFLOP/s, relaxed ${(flop / tr / 1e6).toFixed(2)} GFLOP/s, plain TS ${(flop / tp / 1e6).toFixed(2)} GFLOP/s`,
    );
  }

  // Thin GEMMs (svd_compressed's A·Ω and Qᵀ·A per block), buffers in wasm memory.
  const ta = simd.rngUniform(7, 0, THIN.n * THIN.n, { low: -1, high: 1 });
  const tb = simd.rngUniform(8, 0, THIN.n * THIN.cols, { low: -1, high: 1 });
  save('thin_a', ta);
  save('thin_b', tb);
  const thinFlop = 2 * THIN.n * THIN.n * THIN.cols;
  const thinRows: [string, number, number][] = [];
  for (const transposed of [false, true]) {
    const [ts, tr] = both((k) => {
      const A = k.fromArray(ta);
      const B = k.fromArray(tb);
      const C = k.alloc(THIN.n * THIN.cols);
      const t = transposed
        ? bestMs(() => k.gemm({ m: THIN.cols, n: THIN.n, k: THIN.n, a: B, b: A, c: C, transA: true }), 9)
        : bestMs(() => k.gemm({ m: THIN.n, n: THIN.cols, k: THIN.n, a: A, b: B, c: C }), 9);
      for (const buf of [A, B, C]) k.free(buf);
      return t;
    });
    const size = transposed ? `${THIN.n}×${THIN.cols}ᵀ · ${THIN.n}²` : `${THIN.n}² · ${THIN.n}×${THIN.cols}`;
    thinRows.push([size, thinFlop / ts / 1e6, thinFlop / tr / 1e6]);
    console.log(
      `gemm ${size}: simd128 ${(thinFlop / ts / 1e6).toFixed(2)} GFLOP/s, relaxed ${(thinFlop / tr / 1e6).toFixed(2)} GFLOP/s`,
    );
  }

  // Random numbers: one 2000×2000 block of uniforms into wasm memory.
  const [rngS, rngR] = both((k) => {
    const out = k.alloc(RNG_COUNT);
    const t = bestMs(() => k.rngUniform(9, 1, RNG_COUNT, { out }), 9);
    k.free(out);
    return t;
  });
  const rngP = bestMs(() => R.rngUniformRef(9, 1, RNG_COUNT), 2);
  console.log(
    `rng uniform ${RNG_COUNT}: simd128 ${rngS.toFixed(2)} ms, relaxed ${rngR.toFixed(2)} ms, plain TS ${rngP.toFixed(1)} ms`,
  );

  // QR.
  const [qm, qn] = QR_SHAPE;
  const qa = simd.rngUniform(3, 0, qm * qn, { low: -1, high: 1 });
  save('qr_a', qa);
  const [qrS, qrR] = both((k) => {
    const A = k.fromArray(qa);
    const q = k.alloc(qm * qn);
    const r = k.alloc(qn * qn);
    const t = bestMs(() => k.qr(A, qm, qn, { q, r }), 7);
    for (const buf of [A, q, r]) k.free(buf);
    return t;
  });
  const [qrOnlyS, qrOnlyR] = both((k) => {
    const A = k.fromArray(qa);
    const r = k.alloc(qn * qn);
    const t = bestMs(() => k.qrR(A, qm, qn, r), 7);
    for (const buf of [A, r]) k.free(buf);
    return t;
  });
  const qrP = bestMs(() => R.qrRef(qa, qm, qn), 1);
  console.log(
    `qr ${qm}×${qn}: simd128 ${qrS.toFixed(1)} ms, relaxed ${qrR.toFixed(1)} ms, plain TS ${qrP.toFixed(1)} ms; R only: simd128 ${qrOnlyS.toFixed(1)} ms, relaxed ${qrOnlyR.toFixed(1)} ms`,
  );

  // SVD.
  const svdRows: [number, number, number, number][] = [];
  for (const n of SVD_SIZES) {
    const a = simd.rngUniform(4, n, n * n, { low: -1, high: 1 });
    save(`svd_a_${n}`, a);
    const reps = n >= 500 ? 5 : 20;
    const [ts, tr] = both((k) => {
      const A = k.fromArray(a);
      const u = k.alloc(n * n);
      const s = k.alloc(n);
      const vt = k.alloc(n * n);
      const t = bestMs(() => k.svd(A, n, n, { u, s, vt }), reps);
      for (const buf of [A, u, s, vt]) k.free(buf);
      return t;
    });
    const tp = bestMs(() => R.svdRef(a, n, n), n >= 500 ? 1 : 3);
    svdRows.push([n, ts, tr, tp]);
    console.log(
      `svd ${n}×${n}: simd128 ${ts.toFixed(2)} ms, relaxed ${tr.toFixed(2)} ms, plain TS ${tp.toFixed(1)} ms`,
    );
  }

  // SVD of the QR block shape (tall: the QR-first path).
  const [svdTallS, svdTallR] = both((k) => {
    const A = k.fromArray(qa);
    const u = k.alloc(qm * qn);
    const s = k.alloc(qn);
    const vt = k.alloc(qn * qn);
    const t = bestMs(() => k.svd(A, qm, qn, { u, s, vt }), 5);
    for (const buf of [A, u, s, vt]) k.free(buf);
    return t;
  });
  console.log(`svd ${qm}×${qn}: simd128 ${svdTallS.toFixed(1)} ms, relaxed ${svdTallR.toFixed(1)} ms`);

  // SVC predict (RBF, gamma 'scale', C = 1), model fit on 1,000 rows of 20 features.
  const train = svcData(simd, SVC.n, SVC.d, 5);
  const test = svcData(simd, SVC.rows, SVC.d, 6);
  save('svc_x', train.x);
  save('svc_y', train.y);
  save('svc_xt', test.x);
  const fitMs = bestMs(() => relaxed.svcFit(train.x, train.y, SVC.n, SVC.d), 1);
  const model: SvcModel = relaxed.svcFit(train.x, train.y, SVC.n, SVC.d);
  const [svS, svR] = both((k) => {
    const X = k.fromArray(test.x);
    const out = k.alloc(SVC.rows);
    const t = bestMs(() => k.svcDecision(model, X, SVC.rows, out), 5);
    k.free(X);
    k.free(out);
    return t;
  });
  const svP = bestMs(() => R.svcPredictRef(model, test.x, SVC.rows), 1);
  console.log(
    `svc: fit ${fitMs.toFixed(1)} ms (${model.nSV} support vectors, ${model.iterations} iterations); predict ${SVC.rows} rows: simd128 ${svS.toFixed(1)} ms, relaxed ${svR.toFixed(1)} ms, plain TS ${svP.toFixed(1)} ms`,
  );

  // Baselines.
  let py: Record<string, number> = {};
  if (hasNumpy) {
    const spec = JSON.stringify({
      dir,
      gemm: GEMM_SIZES,
      thin: THIN,
      rng: RNG_COUNT,
      qr: QR_SHAPE,
      svd: SVD_SIZES,
      svc: SVC,
    });
    const script = new URL('../../bench/numpy_baseline.py', import.meta.url).pathname;
    const r = spawnSync(PYTHON, [script, spec], {
      encoding: 'utf8',
      env: {
        ...process.env,
        OPENBLAS_NUM_THREADS: '1',
        OMP_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
        OPENBLAS_CORETYPE: 'SkylakeX',
      },
      maxBuffer: 1 << 20,
    });
    if (r.status === 0) py = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    else
      console.log(`numpy baseline failed (columns left empty): ${r.stderr.trim().split('\n').pop() ?? ''}`);
    if (py.svc_nsv !== undefined) console.log(`scikit-learn model: ${py.svc_nsv} support vectors`);
  }
  rmSync(dir, { recursive: true, force: true });

  for (const [n, s, r, p] of gemmRows) {
    const t = py[`gemm_${n}`];
    rows.push({
      kernel: 'gemm',
      size: `${n}²`,
      unit: 'GFLOP/s',
      simd128: s,
      relaxed: r,
      plain: p,
      baseline: t === undefined ? undefined : (2 * n ** 3) / t / 1e9,
      baselineName: 'numpy',
      higherIsBetter: true,
      target: n === 1000 ? '≥ 6 simd128, ≥ 10 relaxed' : '',
    });
  }
  for (const [size, s2, r2] of thinRows) {
    const t = py[size.includes('ᵀ') ? 'thin_t' : 'thin'];
    rows.push({
      kernel: 'gemm, thin',
      size,
      unit: 'GFLOP/s',
      simd128: s2,
      relaxed: r2,
      plain: undefined,
      baseline: t === undefined ? undefined : thinFlop / t / 1e9,
      baselineName: 'numpy',
      higherIsBetter: true,
      target: '',
    });
  }
  rows.push({
    kernel: 'rng uniform',
    size: '2000×2000',
    unit: 'ms',
    simd128: rngS,
    relaxed: rngR,
    plain: rngP,
    baseline: py.rng === undefined ? undefined : py.rng * 1e3,
    baselineName: 'numpy MT19937',
    higherIsBetter: false,
    target: '',
  });
  rows.push({
    kernel: 'qr',
    size: `${qm}×${qn}`,
    unit: 'ms',
    simd128: qrS,
    relaxed: qrR,
    plain: qrP,
    baseline: py.qr === undefined ? undefined : py.qr * 1e3,
    baselineName: 'numpy',
    higherIsBetter: false,
    target: 'as fast as numpy',
  });
  rows.push({
    kernel: 'qr, R only',
    size: `${qm}×${qn}`,
    unit: 'ms',
    simd128: qrOnlyS,
    relaxed: qrOnlyR,
    plain: undefined,
    baseline: py.qr_r === undefined ? undefined : py.qr_r * 1e3,
    baselineName: 'numpy',
    higherIsBetter: false,
    target: '',
  });
  for (const [n, s, r, p] of svdRows) {
    const t = py[`svd_${n}`];
    rows.push({
      kernel: 'svd',
      size: `${n}×${n}`,
      unit: 'ms',
      simd128: s,
      relaxed: r,
      plain: p,
      baseline: t === undefined ? undefined : t * 1e3,
      baselineName: 'numpy',
      higherIsBetter: false,
      target: 'within 3× of numpy',
    });
  }
  rows.push({
    kernel: 'svd',
    size: `${qm}×${qn}`,
    unit: 'ms',
    simd128: svdTallS,
    relaxed: svdTallR,
    plain: undefined,
    baseline: py.svd_tall === undefined ? undefined : py.svd_tall * 1e3,
    baselineName: 'numpy',
    higherIsBetter: false,
    target: '',
  });
  rows.push({
    kernel: 'svc predict',
    size: `${SVC.rows} rows, d=${SVC.d}, ${model.nSV} SV`,
    unit: 'rows/s',
    simd128: (SVC.rows / svS) * 1e3,
    relaxed: (SVC.rows / svR) * 1e3,
    plain: (SVC.rows / svP) * 1e3,
    baseline: py.svc_predict === undefined ? undefined : SVC.rows / py.svc_predict,
    baselineName: 'sklearn',
    higherIsBetter: true,
    target: '≥ scikit-learn',
  });
  console.log('');
  printTable(rows);
}

await main();
