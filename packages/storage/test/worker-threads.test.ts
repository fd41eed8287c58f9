// The memory store across real worker threads: large values written by one worker are read by another
// without being copied (both threads see the same SharedArrayBuffer memory), small ones are copied, blocking event reads wake on append
// from another thread, fan-in stays exactly-once across threads, and typed errors survive the port.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanInCode, MemoryStore, SHARE_MIN_BYTES, keys } from '../src/index.js';

const fixture = new URL('./fixtures/memory-worker.mjs', import.meta.url);

class TestWorker {
  readonly worker: Worker;
  #seq = 0;
  readonly #waiting = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();

  constructor(store: MemoryStore) {
    const port = store.connectPort();
    this.worker = new Worker(fixture, { workerData: { port }, transferList: [port] });
    this.worker.on(
      'message',
      (msg: { seq: number; ok: boolean; result?: Record<string, unknown>; error?: string }) => {
        const waiting = this.#waiting.get(msg.seq);
        this.#waiting.delete(msg.seq);
        if (msg.ok) waiting?.resolve(msg.result ?? {});
        else waiting?.reject(new Error(msg.error));
      },
    );
    this.worker.on('error', (err) => {
      for (const w of this.#waiting.values()) w.reject(err);
    });
  }

  send(cmd: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, cmd, ...args });
    });
  }
}

describe('MemoryStore across worker threads', () => {
  let store: MemoryStore;
  let writer: TestWorker;
  let reader: TestWorker;

  beforeAll(() => {
    if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
      throw new Error('worker threads load the built package: run the build first (nx test does)');
    }
    store = new MemoryStore();
    writer = new TestWorker(store);
    reader = new TestWorker(store);
  });

  afterAll(async () => {
    await Promise.all([writer?.worker.terminate(), reader?.worker.terminate()]);
    await store?.close();
  });

  it('a value written in one worker is read in another from the same shared memory, not a copy', async () => {
    const key = keys.out('threads', 1);
    const size = 8 * 1024 * 1024;
    const written = await writer.send('set', { key, size, seed: 3, shared: true });
    expect(written.shared).toBe(true);
    const writerBuffer = written.buffer as SharedArrayBuffer;

    const read = await reader.send('get', { key });
    expect(read.shared).toBe(true);
    expect(read.length).toBe(size);
    let expectedSum = 0;
    for (let i = 0; i < size; i++) expectedSum = (expectedSum + ((i * 7 + 3) & 0xff)) >>> 0;
    expect(read.sum).toBe(expectedSum);

    // The main thread's copy-free view of the stored value, the writer's buffer and the reader's buffer are
    // one piece of memory: a byte written through the reader's view shows up in all of them.
    const mainView = (await store.getRequired(key)) as Uint8Array;
    expect(mainView.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(new Uint8Array(writerBuffer)[1000]).toBe((1000 * 7 + 3) & 0xff);
    await reader.send('poke', { key, index: 1000, byte: 0xee });
    expect(mainView[1000]).toBe(0xee);
    expect(new Uint8Array(writerBuffer)[1000]).toBe(0xee);
    expect((await writer.send('peek', { key, index: 1000 })).byte).toBe(0xee);
    expect(new Uint8Array(read.buffer as SharedArrayBuffer)[1000]).toBe(0xee);
  });

  it('a plain (non-shared) value is moved into shared memory once by the writer and shared from then on', async () => {
    const key = keys.out('threads', 2);
    const written = await writer.send('set', { key, size: 100_000, seed: 9, shared: false });
    expect(written.shared).toBe(false);
    const read = await reader.send('get', { key });
    expect(read.shared).toBe(true);
    await reader.send('poke', { key, index: 5, byte: 0x42 });
    expect(((await store.getRequired(key)) as Uint8Array)[5]).toBe(0x42);
    const again = await writer.send('get', { key });
    expect(new Uint8Array(again.buffer as SharedArrayBuffer)[5]).toBe(0x42);
  });

  it('a value below SHARE_MIN_BYTES travels as a copy: neither its writer nor a reader can change it', async () => {
    const key = keys.out('threads', 3);
    const size = SHARE_MIN_BYTES - 1;
    const written = await writer.send('set', { key, size, seed: 5, shared: true });
    const read = await reader.send('get', { key });
    expect(read.shared).toBe(false);
    expect(read.length).toBe(size);
    const stored = (await store.getRequired(key)) as Uint8Array;
    expect(stored.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const before = stored[7];
    await reader.send('poke', { key, index: 7, byte: (before! + 1) & 0xff });
    new Uint8Array(written.buffer as SharedArrayBuffer)[7] = (before! + 2) & 0xff;
    expect(((await store.getRequired(key)) as Uint8Array)[7]).toBe(before);
    expect((await reader.send('get', { key })).sum).toBe(read.sum);
  });

  it('a blocking event read in one worker wakes when another worker appends', async () => {
    const job = 'threads-events';
    const reading = reader.send('read', { job, after: '0', blockMs: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
    const { id } = await writer.send('append', { job, text: 'final:7' });
    const { events } = await reading;
    expect(events).toEqual([{ id, text: 'final:7' }]);
  });

  it('fan-in from two threads elects exactly one holder', async () => {
    const job = 'threads-fanin';
    for (let child = 0; child < 20; child++) {
      const k = [keys.fanIn(job, child), keys.trigger(job, child)];
      const calls: Promise<Record<string, unknown>>[] = [];
      for (let parent = 0; parent < 8; parent++) {
        const worker = parent % 2 === 0 ? writer : reader;
        calls.push(worker.send('fanIn', { keys: k, args: [parent, 8, 60_000] }));
        calls.push(
          (parent % 2 === 0 ? reader : writer).send('fanIn', { keys: k, args: [parent, 8, 60_000] }),
        );
      }
      const results = (await Promise.all(calls)).map(
        (r) => r.result as { code: number; holder: string | null },
      );
      const holders = new Set(results.filter((r) => r.code === FanInCode.Holder).map((r) => r.holder));
      expect(holders.size).toBe(1);
    }
  });

  it('typed errors keep their name, code and fields across the port', async () => {
    const key = keys.out('threads', 'missing');
    const err = await reader.send('getRequiredMissing', { key });
    expect(err).toMatchObject({ name: 'ObjectLost', code: 'OBJECT_LOST', key, shard: 'memory' });
    expect(err.message).toContain(key);
  });
});
