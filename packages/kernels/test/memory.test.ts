// The runtime really frees: 10,000 alloc/free cycles of mixed sizes (8 B to 1.6 MB) in mixed order,
// with up to 48 buffers live, leave memory exactly where it was after the first 1,000 cycles; repeated
// routine calls do not grow memory either; requests beyond wasm32's 4 GiB get typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BufferFreedError,
  loadKernels,
  WasmMemoryLimitError,
  type F64Buffer,
  type Kernels,
} from '../src/index.js';
import { lcg, randomMatrix } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

describe('memory', () => {
  it('no growth over 10,000 alloc/free cycles of mixed sizes in mixed order', () => {
    const rand = lcg(2024);
    const live: F64Buffer[] = [];
    let afterWarm = 0;
    let allocs = 0;
    for (let cycle = 0; cycle < 10_000; cycle++) {
      if (cycle === 1000) afterWarm = k.memoryBytes;
      // Allocate 1–3 buffers with log-uniform sizes, then free a random subset (not LIFO, not FIFO).
      const count = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < count && live.length < 48; i++) {
        const length = Math.max(1, Math.floor(Math.exp(rand() * Math.log(200_000))));
        const b = k.alloc(length);
        b.view[0] = cycle; // touch the block
        b.view[length - 1] = cycle;
        live.push(b);
        allocs++;
      }
      const frees = live.length >= 48 ? count + 1 : Math.floor(rand() * (count + 1));
      for (let i = 0; i < frees && live.length > 0; i++) {
        const idx = Math.floor(rand() * live.length);
        const [b] = live.splice(idx, 1);
        k.free(b as F64Buffer);
      }
    }
    expect(allocs).toBeGreaterThan(10_000);
    expect(afterWarm).toBeGreaterThan(0);
    expect(k.memoryBytes).toBe(afterWarm);
    for (const b of live) k.free(b);
    // With everything freed, a block as large as the whole churn's peak fits without growing.
    const before = k.memoryBytes;
    const big = k.alloc(Math.floor(before / 8 / 4));
    expect(k.memoryBytes).toBe(before);
    k.free(big);
  });

  it('repeated routine calls do not grow memory after the first', () => {
    const a = randomMatrix(120, 40, 1);
    const run = () => {
      k.matmul(a, 120, 40, a, 120, { transB: true });
      k.qr(a, 120, 40);
      k.qrR(a, 120, 40);
      k.qrR(a, 40, 120);
      k.svd(a, 120, 40);
      k.rngNormal(1, 2, 5000);
    };
    run();
    const before = k.memoryBytes;
    for (let i = 0; i < 50; i++) run();
    expect(k.memoryBytes).toBe(before);
  });

  it('requests beyond 4 GiB throw WasmMemoryLimitError before anything is allocated', () => {
    const before = k.memoryBytes;
    expect(() => k.alloc(2 ** 29)).toThrow(WasmMemoryLimitError); // exactly 4 GiB
    expect(() => k.alloc(2 ** 31 - 1)).toThrow(WasmMemoryLimitError);
    expect(() => k.rngUniform(1, 1, 2 ** 30)).toThrow(WasmMemoryLimitError);
    // 40000×40000 output = 12.8 GB: rejected from the shapes alone (inputs given as buffers).
    const a = k.alloc(1);
    try {
      k.matmul(a, 40_000, 0, a, 40_000);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WasmMemoryLimitError);
      expect((e as WasmMemoryLimitError).code).toBe('KERNELS_MEMORY_LIMIT');
      expect((e as WasmMemoryLimitError).message).toMatch(/matmul/);
    }
    // qr, qrR and the QR-first svd too (their wasm-side workspace sizes would wrap at 32 bits).
    for (const run of [
      () => k.qr(a, 100_000, 10_000),
      () => k.qrR(a, 1_000_000, 600),
      () => k.svd(a, 1_000_000, 600),
      () => k.svd(a, 600, 1_000_000),
    ]) {
      expect(run).toThrow(WasmMemoryLimitError);
    }
    k.free(a);
    expect(k.memoryBytes).toBe(before);
  });

  it('use after free and double free throw BufferFreedError', () => {
    const b = k.alloc(10);
    k.free(b);
    expect(() => b.view).toThrow(BufferFreedError);
    expect(() => k.free(b)).toThrow(BufferFreedError);
    expect(() => k.sum(b)).toThrow(BufferFreedError);
  });

  it('buffers are 16-byte aligned and views survive memory growth', () => {
    const small = k.fromArray(new Float64Array([1, 2, 3]));
    expect(small.ptr % 16).toBe(0);
    const huge = k.alloc(Math.ceil(k.memoryBytes / 8) + 1_000_000); // forces growth
    expect(Array.from(small.view)).toEqual([1, 2, 3]);
    k.free(huge);
    k.free(small);
  });
});
