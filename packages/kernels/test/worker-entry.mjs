// Worker used by loader.test.ts: loads its own kernels instance (package files, explicit bytes or a
// posted WebAssembly.Module) and returns a product and its variant.
import { parentPort, workerData } from 'node:worker_threads';
import { loadKernels } from '../dist/index.js';

const { a, b, n, wasm, variant } = workerData;
const kernels = await loadKernels(wasm ? { wasm, variant } : { variant });
const c = kernels.matmul(a, n, n, b, n);
parentPort.postMessage({ c, variant: kernels.variant, memoryBytes: kernels.memoryBytes });
