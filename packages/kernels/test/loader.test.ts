// Loading: build selection (relaxed when validated, SIMD128 otherwise or on request), explicit bytes
// and compiled modules, the synchronous loader, bad wasm as KernelLoadError, and one independent
// instance per worker thread.
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  enableRelaxedSimd,
  KernelLoadError,
  kernelWasmUrl,
  loadKernels,
  loadKernelsSync,
  readKernelWasm,
  reference as R,
} from '../src/index.js';
import { wasmApi } from '../src/wasm-api.js';
import { randomMatrix } from './helpers.js';

const workerUrl = new URL('./worker-entry.mjs', import.meta.url);

function runWorker(
  data: Record<string, unknown>,
): Promise<{ c: Float64Array; variant: string; memoryBytes: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerUrl, { workerData: data });
    w.once('message', (m: { c: Float64Array; variant: string; memoryBytes: number }) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('loader', () => {
  it('relaxed SIMD is enabled on this engine and auto picks it; simd128 on request', async () => {
    expect(enableRelaxedSimd()).toBe(true);
    expect((await loadKernels()).variant).toBe('relaxed');
    expect((await loadKernels({ variant: 'simd128' })).variant).toBe('simd128');
    expect(loadKernelsSync({ variant: 'simd128', warmUp: false }).variant).toBe('simd128');
  });

  it('accepts explicit bytes and compiled modules; falls back when no relaxed build is supplied', async () => {
    const bytes = await readKernelWasm('simd128');
    const fromBytes = await loadKernels({ wasm: { simd128: bytes } });
    expect(fromBytes.variant).toBe('simd128');
    const relaxedModule = new wasmApi.Module(await readFile(kernelWasmUrl('relaxed')));
    const fromModule = await loadKernels({ wasm: { simd128: bytes, relaxed: relaxedModule } });
    expect(fromModule.variant).toBe('relaxed');
    const a = randomMatrix(9, 9, 1);
    expect(
      R.maxAbsDiffRef(fromBytes.matmul(a, 9, 9, a, 9), fromModule.matmul(a, 9, 9, a, 9)),
    ).toBeLessThanOrEqual(1e-14);
    await expect(loadKernels({ variant: 'relaxed', wasm: { simd128: bytes } })).rejects.toThrow(
      KernelLoadError,
    );
  });

  it('rejects bytes that are not the kernels module with KernelLoadError', async () => {
    await expect(loadKernels({ wasm: { simd128: new Uint8Array([1, 2, 3]) } })).rejects.toMatchObject({
      name: 'KernelLoadError',
      code: 'KERNELS_LOAD_FAILED',
    });
    // A valid module without the kernels' exports.
    const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(() => loadKernelsSync({ wasm: { simd128: empty } })).toThrow(/lacks the export 'memory'/);
  });

  it('each worker thread loads its own instance (package files, bytes, or a posted module)', async () => {
    const n = 24;
    const a = randomMatrix(n, n, 2);
    const b = randomMatrix(n, n, 3);
    const expected = R.matmulRef(a, n, n, b, n);
    const module = new wasmApi.Module(await readKernelWasm('simd128'));
    const bytes = await readKernelWasm('relaxed');
    const results = await Promise.all([
      runWorker({ a, b, n, variant: 'auto' }),
      runWorker({ a, b, n, variant: 'simd128', wasm: { simd128: module } }),
      runWorker({ a, b, n, variant: 'relaxed', wasm: { simd128: module, relaxed: bytes } }),
    ]);
    expect(results.map((r) => r.variant)).toEqual(['relaxed', 'simd128', 'relaxed']);
    for (const r of results) expect(R.maxAbsDiffRef(r.c, expected)).toBeLessThanOrEqual(1e-13);
  });
});
